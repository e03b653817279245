/**
 * Distributed runs against a single-process run of the same command: the queue with real redis-server and
 * BullMQ (three worker processes, one SIGKILLed in the middle of a shard; Redis restarted empty mid-shard;
 * the coordinator SIGKILLed and started again; a worker that sees another model; layers clustered by the
 * workers in a PCA cluster space, then gathered), and indexed workers with nap gather (a shard written
 * twice; a worker that sees another model or other dataset files; a missing or corrupt shard refused by
 * name; shard files, records, manifests, result files and jobs of another format refused by name). Every
 * run must store exactly the single-process results.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Queue } from 'bullmq';
import { jobError, prepareAnnouncedRun, processJob, QUEUE_NAME, type JobData } from '../../src/distributed/jobs.js';
import { mapFile, patternsFile, readMap, readPatterns } from '../../src/distributed/layer-results.js';
import { absoluteOptions, buildManifest, claimFolder, readManifest } from '../../src/distributed/manifest.js';
import { withDuckDB } from '../../src/distributed/parquet-table.js';
import { readPayloadFile, writePayloadFile } from '../../src/distributed/payload.js';
import { redisOptions } from '../../src/distributed/redis-address.js';
import { prepareAnalysis } from '../../src/engine/analyze.js';
import { InputError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { napVersion } from '../../src/version.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runNap, WorkerProcess } from './cli-processes.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const MNIST_MODEL = path.join(MODELS, 'mnist-cnn.onnx');
const OTHER_MODEL = path.join(MODELS, 'fashion-mnist-cnn.onnx');
const ROWS = 1500;
const SHARDS = 6;

/** The analysis every run here makes: 1,500 digits in batches of 16 (94 batches), PCA maps. */
const analysis = (model = MNIST_MODEL) => [
  '--model',
  model,
  '--data',
  'mnist',
  '--limit',
  String(ROWS),
  '--batch-size',
  '16',
  '--projection',
  'pca',
];

let dir: string;
let redis: RedisServer;
let reference: Snapshot;

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Everything a run stores that the distributed runs must reproduce exactly. */
async function snapshot(out: string) {
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const runs = await store.listRuns();
    assert.equal(runs.length, 1, `${out} holds one run`);
    const { runId, status } = runs[0]!;
    const inputs = await store.readInputs(runId);
    const layers = [];
    for (const layer of await store.listLayers(runId)) {
      const activations = await store.readActivations(runId, layer.layer);
      const clusterings = await store.listClusterings(runId, layer.layer);
      assert.equal(clusterings.length, 1, `${layer.layer}: one clustering`);
      const { clusteringId, params } = clusterings[0]!;
      const space = (params as { clusterSpace?: string }).clusterSpace;
      const projection = await store.readProjection(runId, layer.layer);
      layers.push({
        layer: layer.layer,
        activations: Array.from(activations.matrix.data),
        params,
        patterns: await store.readPatterns(clusteringId),
        memberships: await store.readMemberships(clusteringId),
        condensedTree: await store.readCondensedTree(clusteringId),
        linkageTree: await store.readLinkageTree(clusteringId),
        softMemberships: await store.readSoftMemberships(clusteringId),
        clusterSpace: space === undefined ? null : await store.readClusterSpace(runId, layer.layer, space),
        layerStatistics: await store.readUnitStats({ runId, layer: layer.layer }),
        statistics: await store.readUnitStats({ clusteringId }),
        max: await store.readMaxActivations(runId, layer.layer),
        map: projection && { x: Array.from(projection.x), y: Array.from(projection.y) },
      });
    }
    return {
      status,
      inputs: { ...inputs, path: inputs.path, label: inputs.label },
      details: await store.readInputDetails(runId),
      layers,
    };
  } finally {
    await store.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-distributed-'));
  redis = await RedisServer.start();
  const out = path.join(dir, 'single.duckdb');
  const single = await runNap(['analyze', ...analysis(), '--out', out, '--quiet']);
  assert.equal(single.code, 0, single.stderr);
  reference = await snapshot(out);
  assert.equal(reference.inputs.index.length, ROWS);
  for (const layer of reference.layers) {
    // Trees and soft memberships are compared below, so the reference must hold them.
    assert.equal(layer.linkageTree?.pointCount, ROWS, `${layer.layer}: linkage tree of every input`);
    assert.ok(layer.softMemberships.patternId.length > 0, `${layer.layer}: soft memberships stored`);
  }
});

after(async () => {
  await redis?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `body` with `count` fresh workers, stopped afterwards whatever happens (no worker of one test takes another's jobs). */
async function withWorkers<T>(count: number, body: (team: WorkerProcess[]) => Promise<T>): Promise<T> {
  const team = Array.from(
    { length: count },
    () => new WorkerProcess(redis.address, ['--threads', '1', '--lock-seconds', '2']),
  );
  try {
    await Promise.all(team.map((worker) => worker.waitFor(/waiting for jobs/)));
    return await body(team);
  } finally {
    await Promise.all(team.map((worker) => worker.stop()));
  }
}

const linesOf = (team: WorkerProcess[]) => team.map((worker) => worker.lines.join('\n')).join('\n');

/** Calls `onMiddle` once, with the worker and shard, when a worker reports a shard partly done. */
function whenMidShard(team: WorkerProcess[], onMiddle: (worker: WorkerProcess, shard: number) => void): void {
  let seen = false;
  for (const worker of team) {
    worker.onLine((line) => {
      const progress = /shard (\d+)\/\d+ of run \w+: shard \d+\/\d+ (\d+)\/(\d+)/.exec(line);
      if (!progress || seen) return;
      const [, shard, done, total] = progress.map(Number) as [number, number, number, number];
      if (done > 0 && done < total) {
        seen = true;
        onMiddle(worker, shard);
      }
    });
  }
}

/** `nap analyze ... --queue` over SHARDS shards into `name`.duckdb, its shared folder `name`-shards. */
function coordinate(name: string, options: Parameters<typeof runNap>[1] = {}, extra: string[] = []) {
  const out = path.join(dir, `${name}.duckdb`);
  const shared = path.join(dir, `${name}-shards`);
  const args = ['analyze', ...analysis(), ...extra, '--out', out, '--queue', redis.address, '--shards', String(SHARDS)];
  return { out, shared, finished: runNap([...args, '--shared', shared], options) };
}

test('queue: three workers, one SIGKILLed in the middle of a shard: the run completes with the single-process results', async () => {
  await withWorkers(3, async (team) => {
    let killed: { pid: number; shard: number } | undefined;
    whenMidShard(team, (worker, shard) => {
      killed = { pid: worker.pid, shard };
      worker.kill('SIGKILL');
    });
    // A progress line at every poll (a log prints one every 5 s by default), so that the rows are seen to go up.
    const { out, shared, finished } = coordinate('queue', { env: { NAP_PROGRESS_SECONDS: '0' } });
    const run = await finished;
    assert.equal(run.code, 0, run.stderr);
    assert.ok(killed, `a worker was killed in the middle of a shard; workers said:\n${linesOf(team)}`);
    const killedWorker = team.find((worker) => worker.pid === killed!.pid)!;
    assert.equal((await killedWorker.exited).signal, 'SIGKILL');
    // The killed worker's shard was written by one of the others, after BullMQ found the job stalled.
    const recordFile = path.join(shared, 'shards', `shard-0000${killed.shard}.json`);
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as { worker: string };
    const writer = Number(/:(\d+)$/.exec(record.worker)?.[1]);
    assert.notEqual(writer, killed.pid);
    assert.ok(
      team.some((worker) => worker.pid === writer),
      `shard ${killed.shard} was written by a live worker (${record.worker})`,
    );
    // Progress across all workers: the coordinator's rows went up to every row of the run (the last line ends the stage).
    const rows = [...run.stderr.matchAll(/extracting activations on the queue:? (\d+)\/(\d+)/g)];
    assert.ok(rows.length >= 2, run.stderr);
    assert.ok(rows.every((match) => Number(match[2]) === ROWS));
    assert.equal(Number(rows.at(-1)![1]), ROWS);
    assert.deepEqual(await snapshot(out), reference);
  });
});

test("queue: workers waiting when a run starts set it up on the coordinator's announcement, before their first shard job", async () => {
  await withWorkers(2, async () => {
    const { out, shared, finished } = coordinate('announced');
    const run = await finished;
    assert.equal(run.code, 0, run.stderr);
    const queue = new Queue<JobData>(QUEUE_NAME, { connection: redisOptions(redis.address) });
    try {
      const jobs = (await queue.getJobs(['completed'], 0, -1)).filter(
        (job) => job.data.kind === 'extract' && job.data.folder === shared,
      );
      assert.equal(jobs.length, SHARDS);
      for (const job of jobs) {
        assert.equal((job.returnvalue as { preparedBy?: string }).preparedBy, 'announcement', `job ${job.id}`);
      }
    } finally {
      await queue.close();
    }
    assert.deepEqual(await snapshot(out), reference);
  });
});

test('queue: Redis restarted empty in the middle of a shard: the run resumes and completes with the single-process results', async () => {
  await withWorkers(2, async (team) => {
    let restart: Promise<void> | undefined;
    whenMidShard(team, () => {
      restart = redis.restart();
    });
    const { out, finished } = coordinate('restart');
    const run = await finished;
    assert.ok(restart, `Redis was restarted during the extraction; workers said:\n${linesOf(team)}`);
    await restart;
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await snapshot(out), reference);
  });
});

test('queue: the coordinator SIGKILLed in the middle of the run and started again resumes it: written shards are kept', async () => {
  await withWorkers(2, async (team) => {
    const kill = new AbortController();
    for (const worker of team) worker.onLine((line) => /shard \d+\/\d+ of run \w+: done in/.test(line) && kill.abort());
    const first = coordinate('resumed', { kill: kill.signal });
    const killed = await first.finished;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const records = path.join(first.shared, 'shards');
    const written = new Map<string, string>();
    for (const name of await readdir(records)) written.set(name, await readFile(path.join(records, name), 'utf8'));
    assert.ok(written.size >= 1 && written.size < SHARDS, `${written.size} shards written before the kill`);

    const again = coordinate('resumed');
    const run = await again.finished;
    assert.equal(run.code, 0, run.stderr);
    // The shards written before the kill were not computed again.
    for (const [name, record] of written) assert.equal(await readFile(path.join(records, name), 'utf8'), record, name);
    assert.deepEqual(await snapshot(again.out), reference);
  });
});

test('queue: a worker that sees another model refuses the job, and the coordinator stops with its reason', async () => {
  const model = path.join(dir, 'changing.onnx');
  await copyFile(MNIST_MODEL, model);
  // The model changes on "this machine" after the coordinator has read it, before any worker starts.
  let changed: Promise<void> | undefined;
  const coordinator = runNap(
    ['analyze', ...analysis(model), '--out', path.join(dir, 'refused.duckdb'), '--queue', redis.address],
    {
      onStderr: (stderr) => {
        if (!changed && /extracting activations on the queue/.test(stderr)) changed = copyFile(OTHER_MODEL, model);
      },
    },
  );
  while (!changed) await new Promise((resolve) => setTimeout(resolve, 100));
  await changed;
  await withWorkers(1, async ([worker]) => {
    const run = await coordinator;
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /shard 0\/1: worker \S+ refuses run \w+: its model .*changing\.onnx has sha256 \w+…, the run's has \w+…/,
    );
    assert.match(run.stderr, /every machine must see the same model file/);
    await worker!.waitFor(/failed: worker \S+ refuses run/);
  });
});

test('queue and gather: --cluster-space pca:4 clusters every layer on the workers in the space of the single-process run', async () => {
  const space = ['--cluster-space', 'pca:4'];
  const single = path.join(dir, 'single-pca.duckdb');
  const alone = await runNap(['analyze', ...analysis(), ...space, '--out', single, '--quiet']);
  assert.equal(alone.code, 0, alone.stderr);
  const expected = await snapshot(single);
  for (const layer of expected.layers) {
    assert.equal((layer.params as { clusterSpace?: string }).clusterSpace, 'pca:4', layer.layer);
    assert.equal(layer.clusterSpace?.dim, 4, `${layer.layer}: its PCA rows are stored`);
  }
  assert.notDeepEqual(
    expected.layers.map((layer) => layer.memberships),
    reference.layers.map((layer) => layer.memberships),
    'the PCA space gives other patterns than the raw one',
  );
  await withWorkers(2, async () => {
    const { out, shared, finished } = coordinate('pca', {}, space);
    const run = await finished;
    assert.equal(run.code, 0, run.stderr);
    // Each layer was clustered by a worker, in the PCA space, once: its patterns job's result file holds the
    // space's rows, which the coordinator stored.
    const results = path.join(shared, 'results');
    const names = (await readdir(results)).filter((name) => name.startsWith('patterns-'));
    const clustered = await Promise.all(
      names.map((name) =>
        readPayloadFile<{ layer: string; space?: { space: string; values: Float32Array } }>(path.join(results, name)),
      ),
    );
    assert.equal(clustered.length, expected.layers.length, names.join(', '));
    for (const layer of expected.layers) {
      const result = clustered.find((payload) => payload?.layer === layer.layer);
      assert.equal(result?.space?.space, 'pca:4', `${layer.layer}: clustered by a worker in pca:4`);
      assert.deepEqual(result.space.values, layer.clusterSpace?.values);
    }
    assert.deepEqual(await snapshot(out), expected);
    // nap gather over the same shards clusters in the run's space too.
    const gatheredOut = path.join(dir, 'gathered-pca.duckdb');
    const gathered = await runNap(['gather', '--shared', shared, '--out', gatheredOut, '--quiet']);
    assert.equal(gathered.code, 0, gathered.stderr);
    assert.deepEqual(await snapshot(gatheredOut), expected);
  });
});

const indexed = () => path.join(dir, 'indexed-shards');

test('indexed: nap worker --shard i/3 (and JOB_COMPLETION_INDEX) then nap gather give the single-process results', async () => {
  const shard = (extra: string[], env: NodeJS.ProcessEnv = {}) =>
    runNap(['worker', ...extra, '--shared', indexed(), ...analysis(), '--quiet'], { env });
  const results = [
    await shard(['--shard', '0/3']),
    await shard(['--shards', '3'], { JOB_COMPLETION_INDEX: '1' }),
    await shard(['--shard', '2/3']),
  ];
  for (const [i, result] of results.entries()) {
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`shard ${i}/3 of run \\w+: \\d+ inputs written`));
  }
  const again = await shard(['--shard', '2/3']);
  assert.match(again.stdout, /shard 2\/3 of run \w+: 508 inputs already written/);
  // Shard 1 written twice, as by two workers that both ran it: the second writes its own files, then the
  // first one's record lands last. Both sets of files stay; the gather reads only those of the record.
  const record = path.join(indexed(), 'shards', 'shard-00001.json');
  await rename(record, `${record}.first`);
  const twice = await shard(['--shard', '1/3']);
  assert.match(twice.stdout, /shard 1\/3 of run \w+: 496 inputs written/);
  await rename(`${record}.first`, record);
  const copies = (await readdir(path.join(indexed(), 'layer-02'))).filter((name) => name.startsWith('shard-00001.'));
  assert.equal(copies.length, 2, `two writes of shard 1: ${copies.join(', ')}`);
  const out = path.join(dir, 'gathered.duckdb');
  const gathered = await runNap(['gather', '--shared', indexed(), '--out', out, '--quiet']);
  assert.equal(gathered.code, 0, gathered.stderr);
  assert.deepEqual(await snapshot(out), reference);
});

test('indexed: a worker with another model than the folder run refuses it, naming what differs', async () => {
  const other = await runNap(['worker', '--shard', '1/3', '--shared', indexed(), ...analysis(OTHER_MODEL)]);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /refuses run \w+: its model .*mnist-cnn\.onnx has sha256/);
});

test('indexed: a worker that sees other dataset files than the folder run refuses it, naming the dataset', async () => {
  const images = path.join(dir, 'images');
  for (const [i, label] of ['zero', 'one'].flatMap((name) => Array.from({ length: 16 }, () => name)).entries()) {
    await mkdir(path.join(images, label), { recursive: true });
    const pixels = Buffer.alloc(28 * 28, (i * 37) % 256);
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(path.join(images, label, `${i}.png`));
  }
  const shared = path.join(dir, 'images-shards');
  const shard = (which: string) =>
    runNap([
      'worker',
      '--shard',
      which,
      '--shared',
      shared,
      '--model',
      MNIST_MODEL,
      '--data',
      images,
      '--batch-size',
      '16',
    ]);
  const first = await shard('0/2');
  assert.equal(first.code, 0, first.stderr);
  // The other machine's copy of one image differs (here: its modification time).
  await utimes(path.join(images, 'one', '20.png'), new Date(), new Date(Date.now() - 86_400_000));
  const second = await shard('1/2');
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, /refuses run \w+: its dataset .*images has fingerprint \w+, the run's has \w+/);
  assert.match(second.stderr, /every machine must see the same dataset files/);
});

test('gather refuses a folder with a missing or a corrupt shard, names it, and writes nothing', async () => {
  const missing = path.join(dir, 'missing-shard');
  await cp(indexed(), missing, { recursive: true });
  await unlink(path.join(missing, 'shards', 'shard-00001.json'));
  const out = path.join(dir, 'never.duckdb');
  const noShard = await runNap(['gather', '--shared', missing, '--out', out]);
  assert.equal(noShard.code, 2, noShard.stderr);
  assert.match(
    noShard.stderr,
    /shard 1 of 3 \(rows 496 to 991\) is missing: .*shards\/shard-00001\.json does not exist/,
  );
  assert.match(noShard.stderr, /nap worker --shard 1\/3/);

  const corrupt = path.join(dir, 'corrupt-shard');
  await cp(indexed(), corrupt, { recursive: true });
  const record = JSON.parse(await readFile(path.join(corrupt, 'shards', 'shard-00002.json'), 'utf8')) as {
    files: Record<string, { path: string }>;
  };
  const damaged = path.join(corrupt, record.files['layer-02']!.path);
  const file = await open(damaged, 'r+');
  await file.write(Buffer.alloc(64, 0xff), 0, 64, Math.floor((await file.stat()).size / 2));
  await file.close();
  const badShard = await runNap(['gather', '--shared', corrupt, '--out', out]);
  assert.equal(badShard.code, 2, badShard.stderr);
  assert.match(badShard.stderr, /shard 2 of 3 \(rows 992 to 1499\) is corrupt: /);
  assert.ok(badShard.stderr.includes(`${damaged} does not match the SHA-256 of its record`), badShard.stderr);
  await assert.rejects(stat(out), { code: 'ENOENT' }, 'nothing was written');
});

/** The folder's shard 0 record and one of its files, named by its table ('inputs', 'layer-01'...). */
async function shardFile(folder: string, table: string) {
  const recordFile = path.join(folder, 'shards', 'shard-00000.json');
  const record = JSON.parse(await readFile(recordFile, 'utf8')) as {
    format: string;
    files: Record<string, { path: string; bytes: number; sha256: string }>;
  };
  return { recordFile, record, entry: record.files[table]!, file: path.join(folder, record.files[table]!.path) };
}

test('a shard file of another format is refused by nap gather and by the coordinator, naming it, its format and what to do', async () => {
  const older = path.join(dir, 'older-parquet');
  await cp(indexed(), older, { recursive: true });
  // Shard 0's layer-01 file as another nap would write it: the same rows, another format in its key-value
  // metadata; its record updated with the new size and SHA-256, so that only the format differs.
  const { recordFile, record, entry, file } = await shardFile(older, 'layer-01');
  await withDuckDB(async (connection) => {
    await connection.run(
      `COPY (SELECT * FROM read_parquet('${file}')) TO '${file}.new' (FORMAT parquet, KV_METADATA {nap_format: 'nap-shards/1', nap_version: '0.0.1'})`,
    );
  });
  await rename(`${file}.new`, file);
  const bytes = await readFile(file);
  Object.assign(entry, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  await writeFile(recordFile, JSON.stringify(record, null, 2));
  const refusal = `shard 0 of 3 (rows 0 to 495) is of another format: ${file} has format "nap-shards/1", written by nap 0.0.1; this nap (${napVersion()}) reads format "nap-shards/2"`;
  const out = path.join(dir, 'older.duckdb');
  const gathered = await runNap(['gather', '--shared', older, '--out', out]);
  assert.equal(gathered.code, 2, gathered.stderr);
  assert.ok(gathered.stderr.includes(refusal), gathered.stderr);
  assert.match(gathered.stderr, /nap worker --shard 0\/3 .*; or gather with the nap version that wrote it/);
  await assert.rejects(stat(out), { code: 'ENOENT' }, 'nothing was written');

  // The coordinator of the same run (3 shards of 16-input batches) finds every shard written, and checks each.
  const coordinated = await runNap([
    'analyze',
    ...analysis(),
    '--out',
    path.join(dir, 'older-queue.duckdb'),
    '--queue',
    redis.address,
    '--shards',
    '3',
    '--shared',
    older,
  ]);
  assert.equal(coordinated.code, 2, coordinated.stderr);
  assert.ok(coordinated.stderr.includes(refusal), coordinated.stderr);
});

test('a shard record, a manifest or a result file of another format is refused, naming it; so is a job of another format', async () => {
  const older = path.join(dir, 'older-record');
  await cp(indexed(), older, { recursive: true });
  const { recordFile, record } = await shardFile(older, 'inputs');
  await writeFile(recordFile, JSON.stringify({ ...record, format: 'nap-shards/1', nap: '0.0.1' }));
  const out = path.join(dir, 'older-record.duckdb');
  const byRecord = await runNap(['gather', '--shared', older, '--out', out]);
  assert.equal(byRecord.code, 2, byRecord.stderr);
  assert.ok(
    byRecord.stderr.includes(
      `shard 0 of 3 (rows 0 to 495) is of another format: ${recordFile} has format "nap-shards/1", written by nap 0.0.1; this nap`,
    ),
    byRecord.stderr,
  );

  const manifestFile = path.join(older, 'run.json');
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestFile, JSON.stringify({ ...manifest, format: undefined, nap: undefined }));
  const byManifest = await runNap(['gather', '--shared', older, '--out', out]);
  assert.equal(byManifest.code, 2, byManifest.stderr);
  assert.ok(
    byManifest.stderr.includes(`${manifestFile} has no format version, written by another nap version; this nap`),
    byManifest.stderr,
  );
  assert.match(
    byManifest.stderr,
    /start the run in a new shared folder, or finish the run with the nap version that wrote it/,
  );
  await assert.rejects(stat(out), { code: 'ENOENT' }, 'nothing was written');

  // A worker's result file (a layer's patterns or map) of another format.
  const run = await readManifest(indexed());
  const layer = run.layers[0]!.name;
  const inputIndex = Int32Array.from({ length: ROWS }, (_, i) => i);
  const results = path.join(dir, 'older-results');
  const patterns = patternsFile(results, run, layer, { options: {}, space: 'raw' });
  const map = mapFile(results, run, layer, { method: 'pca', params: { seed: 42 } });
  await mkdir(path.dirname(patterns), { recursive: true });
  for (const file of [patterns, map]) {
    await writePayloadFile(file, { format: 'nap-shards/1', nap: '0.0.1', key: run.key, layer, inputIndex });
  }
  const resultRefusal = (file: string) => (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.equal(
      error.message.split('\n')[0],
      `${file} has format "nap-shards/1", written by nap 0.0.1; this nap (${napVersion()}) reads format "nap-shards/2"`,
    );
    assert.match(error.hint ?? '', /delete it and run the same command again/);
    return true;
  };
  await assert.rejects(readPatterns(patterns, run, layer, inputIndex), resultRefusal(patterns));
  await assert.rejects(readMap(map, run, layer, inputIndex), resultRefusal(map));

  // A queue job of a coordinator that writes another format: the worker refuses it (and does not retry it).
  const job = {
    kind: 'extract' as const,
    folder: older,
    run: { ...run, format: 'nap-shards/3' as never, nap: '9.0.0' },
    shard: 0,
  };
  await assert.rejects(processJob(job, {}, {}), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(
      error.message,
      /refuses run \w+: its coordinator \(nap 9\.0\.0\) writes format "nap-shards\/3", this worker/,
    );
    assert.equal(jobError(error).name, 'UnrecoverableError');
    return true;
  });
});

test('a worker set up from an announcement before the model file changed sets the run up again for its job, and refuses only a run it does not match', async () => {
  const model = path.join(dir, 'announced.onnx');
  await copyFile(OTHER_MODEL, model);
  const options = absoluteOptions({ model, data: 'mnist', limit: 64, batchSize: 16, threads: 1 });
  // Announced (and set up) with the other model; the file then changes before the run's coordinator reads it.
  await prepareAnnouncedRun(JSON.parse(JSON.stringify(options)) as typeof options, 1);
  await copyFile(MNIST_MODEL, model);
  const prepared = await prepareAnalysis(options);
  const run = buildManifest(prepared, options, 2);
  const folder = path.join(dir, 'set-up-again-shards');
  await claimFolder(folder, run, 'this test');
  const job = { kind: 'extract' as const, folder, run: JSON.parse(JSON.stringify(run)) as typeof run, shard: 0 };
  const result = await processJob(job, { threads: 1 }, {});
  assert.equal(result.preparedBy, 'job', 'set up again: the announced set-up saw the other model');
  assert.equal(result.rows, 32);
  // A run whose model differs from the file here is refused.
  const other = buildManifest(await prepareAnalysis({ ...options, model: OTHER_MODEL }), options, 2);
  await assert.rejects(
    processJob({ ...job, run: other, folder: `${folder}-other` }, { threads: 1 }, {}),
    /refuses run/,
  );
});
