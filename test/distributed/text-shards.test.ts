/**
 * A text model's analysis in shards: `nap worker --shard i/2` tokenizes its rows of a CSV text column and
 * runs BERT's three integer inputs, `nap gather` stores the run. The gathered run holds what the
 * single-process run holds: the token layers' layouts, the inputs' texts (input contents), the activations
 * and the patterns. The same options with --activations are refused by nap worker and by --queue.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NapStore } from '../../src/io/store/index.js';
import { runNap } from './cli-processes.js';

const TEXT_ANALYSIS = [
  '--model',
  'test/fixtures/text/tiny-bert.onnx',
  '--data',
  'test/fixtures/text/sentences.csv',
  '--text-column',
  'text',
  '--tokenizer',
  'test/fixtures/text/wordpiece/tokenizer.json',
  '--max-length',
  '16',
  '--batch-size',
  '4',
  '--threads',
  '1',
  '--projection',
  'none',
  '--min-cluster-size',
  '2',
  '--min-samples',
  '2',
];

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-text-shards-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

async function snapshot(out: string) {
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const [run] = await store.listRuns();
    assert.ok(run, `${out} holds a run`);
    const layers = [];
    for (const layer of await store.listLayers(run.runId)) {
      const [clustering] = await store.listClusterings(run.runId, layer.layer);
      layers.push({
        layer: layer.layer,
        activations: Array.from((await store.readActivations(run.runId, layer.layer)).matrix.data),
        memberships: clustering && (await store.readMemberships(clustering.clusteringId)),
      });
    }
    return {
      status: run.status,
      layouts: await store.readLayerLayouts(run.runId),
      contents: await store.readInputContents(run.runId),
      inputs: await store.readInputs(run.runId),
      layers,
    };
  } finally {
    await store.close();
  }
}

test('indexed shards of a text model gather into the single-process run: layouts, input texts, activations, patterns', async () => {
  const single = path.join(dir, 'single.duckdb');
  const alone = await runNap(['analyze', ...TEXT_ANALYSIS, '--out', single, '--quiet']);
  assert.equal(alone.code, 0, alone.stderr);
  const shared = path.join(dir, 'shards');
  for (const shard of ['0/2', '1/2']) {
    const worker = await runNap(['worker', '--shard', shard, '--shared', shared, ...TEXT_ANALYSIS, '--quiet']);
    assert.equal(worker.code, 0, worker.stderr);
  }
  const gatheredOut = path.join(dir, 'gathered.duckdb');
  const gathered = await runNap(['gather', '--shared', shared, '--out', gatheredOut, '--quiet']);
  assert.equal(gathered.code, 0, gathered.stderr);

  const reference = await snapshot(single);
  assert.equal(reference.status, 'complete');
  assert.ok(
    reference.layouts.some((layout) => layout.layout === 'tokens' && layout.positions === 16),
    'token layers recorded',
  );
  assert.equal(reference.contents.length, 12, 'one text per sentence');
  assert.equal(reference.contents[0]?.text, 'the cat sat on the mat');
  assert.deepEqual(await snapshot(gatheredOut), reference);
});

test('--activations is refused by nap worker and with --queue, naming why', async () => {
  const activations = ['--activations', 'test/fixtures/npy/f4.npy'];
  const worker = await runNap(['worker', '--shard', '0/2', '--shared', path.join(dir, 'x'), ...activations]);
  assert.equal(worker.code, 2, worker.stderr);
  assert.match(worker.stderr, /--activations has none to extract/);
  const queued = await runNap([
    'analyze',
    ...activations,
    '--out',
    path.join(dir, 'q.duckdb'),
    '--queue',
    'redis://127.0.0.1:1',
  ]);
  assert.equal(queued.code, 2, queued.stderr);
  assert.match(queued.stderr, /--queue distributes a model's extraction; --activations has none to distribute/);
});
