/**
 * Peak memory of a large analysis: analyze() over 50,000 Fashion-MNIST training images with every default
 * layer (models/fashion-mnist-cnn.onnx when present, else models/mnist-cnn.onnx), into a temporary store.
 * The bar is a peak resident set below 4 GB.
 *
 * The peak comes from the kernel (VmHWM in /proc/self/status: the true high-water mark of the whole
 * process, worker threads included, whatever the sampling misses); a sampler (process.memoryUsage every
 * --sample-ms) attributes RSS and heap to the pipeline stage running at the time. Stages are the analyze
 * progress stages; the per-layer clustering steps are grouped by layer. Below 200,000 inputs the maps are
 * made while the layers are clustered: 'from s' says when each stage began, and stages that overlap share
 * the process's CPU seconds shown for each. Usage:
 *   node build/scripts/bench-memory.js [--model m.onnx] [--data fashion-mnist] [--split train|test|all] [--limit 50000]
 *     [--layers a,b] [--threads N] [--sample-ms 50] [--keep out.duckdb] [--stop-at clustering]
 *     [--spanning-tree auto|exact|approximate]
 * --stop-at S ends the run when the first stage whose name starts with S begins (e.g. 'cluster' to measure
 * the extraction and normalizing alone), printing the stages so far. --spanning-tree exact|approximate sets
 * the clustering's tree (default 'auto', as `nap analyze`): `exact` measures the path 'auto' took below
 * 200,000 inputs before session 11. DuckDB's allocator is set up as the CLI sets it (src/io/store/allocator.ts);
 * DUCKDB_JE_MALLOC_CONF= (empty) in the environment measures DuckDB's own defaults instead.
 */
import { rm, mkdtemp, stat } from 'node:fs/promises';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SpanningTreeChoice } from '../src/compute/hdbscan/index.js';
import { SPANNING_TREES } from '../src/compute/hdbscan/options.js';
import { configureDuckDbAllocator } from '../src/io/store/allocator.js';
import { FASHION_MNIST_SPLITS } from '../src/io/datasets/open.js';
import type { Progress } from '../src/progress.js';
import { fixed, formatTable } from './bench/timing.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const BAR_BYTES = 4 * GB;

// As the CLI does, before DuckDB's native library loads (analyze is imported below, after it).
configureDuckDbAllocator();
const { analyze } = await import('../src/engine/analyze.js');

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string', default: 'fashion-mnist' },
    split: { type: 'string', default: 'train' },
    limit: { type: 'string', default: '50000' },
    layers: { type: 'string' },
    threads: { type: 'string' },
    'sample-ms': { type: 'string', default: '50' },
    keep: { type: 'string' },
    'stop-at': { type: 'string' },
    'spanning-tree': { type: 'string' },
  },
});

const model =
  args.model ??
  (existsSync('models/fashion-mnist-cnn.onnx') ? 'models/fashion-mnist-cnn.onnx' : 'models/mnist-cnn.onnx');
const limit = Number(args.limit);
const sampleMs = Number(args['sample-ms']);
const threads = args.threads === undefined ? undefined : Number(args.threads);
const spanningTree = args['spanning-tree'] as SpanningTreeChoice | undefined;
if (spanningTree !== undefined && !SPANNING_TREES.includes(spanningTree)) {
  throw new Error(`--spanning-tree ${spanningTree} is not one of ${SPANNING_TREES.join(', ')}`);
}
if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit ${args.limit} is not a positive whole number`);
if (!(sampleMs > 0)) throw new Error(`--sample-ms ${args['sample-ms']} is not a positive number of milliseconds`);
const split = FASHION_MNIST_SPLITS.find((name) => name === args.split);
if (split === undefined) throw new Error(`--split ${args.split} is not one of ${FASHION_MNIST_SPLITS.join(', ')}`);

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * The process's resident high-water mark in bytes, from the kernel; NaN where /proc is not available.
 * Read synchronously (a small kernel file), so that a stage's mark is the one at its end.
 */
function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

interface StageRecord {
  stage: string;
  startMs: number;
  endMs: number;
  /** CPU seconds of the process (all threads) when the stage started and ended: steadier than wall under load. */
  startCpu: number;
  endCpu: number;
  peakRss: number;
  peakHeap: number;
  peakExternal: number;
  /** The kernel's high-water mark when the stage ended: the first stage where it jumps is where the peak is. */
  hwmAtEnd: number;
}

/** Groups '<layer>: <step>' under 'cluster <layer>', and '<layer>: umap: <step>' or '<layer>: pca ...' under 'map <layer>'. */
function stageKey(progress: Progress): string {
  const colon = progress.stage.indexOf(': ');
  if (colon <= 0) return progress.stage;
  const step = progress.stage.slice(colon + 2);
  return `${/^(umap|pca)\b/.test(step) ? 'map' : 'cluster'} ${progress.stage.slice(0, colon)}`;
}

/**
 * The maps may be made while the layers are clustered (see analyze's mapsAlongside), two at a time once the
 * clustering is done: each map is a track of its own, the other stages one track.
 */
function trackOf(stage: string): string {
  return stage.startsWith('map ') ? stage : 'main';
}

/**
 * Stages by track: a stage ends where the next stage of its track starts, the last one of a track at its
 * last progress report. A stage's CPU seconds are the whole process's during its span, so stages that run
 * at once (a layer's clustering beside a map) share them.
 */
class MemoryRecorder {
  readonly stages: StageRecord[] = [];
  private readonly started = performance.now();
  private readonly current = new Map<string, StageRecord>();
  private readonly timer: NodeJS.Timeout;
  private finished = false;

  constructor(
    intervalMs: number,
    private readonly onStage: (stage: string) => void = () => undefined,
  ) {
    this.current.set('main', this.open('setup (open dataset, probe model, store)'));
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /**
   * The process's CPU seconds at the last sample (every --sample-ms): progress comes so often that reading
   * the CPU time at each report cost seconds of a run's CPU time.
   */
  private sampledCpu = cpuSeconds();
  private lastStage = { name: '', key: '' };

  readonly onProgress = (progress: Progress): void => {
    if (progress.stage !== this.lastStage.name) this.lastStage = { name: progress.stage, key: stageKey(progress) };
    const { key } = this.lastStage;
    const track = trackOf(key);
    const previous = this.current.get(track);
    if (previous?.stage === key) {
      previous.endMs = performance.now() - this.started;
      previous.endCpu = this.sampledCpu;
      return;
    }
    const record = this.open(key);
    this.current.set(track, record);
    if (previous !== undefined) this.end(previous, record.startMs, record.startCpu);
    // A line on stderr as each stage begins: how far a long run got when it is stopped.
    const rss = process.memoryUsage().rss / GB;
    process.stderr.write(
      `[${fixed(record.startMs / 1000, 1)} s, ${fixed(record.startCpu, 1)} CPU s, RSS ${fixed(rss, 2)} GiB, peak ${fixed(peakRssBytes() / GB, 2)} GiB] ${key}\n`,
    );
    this.onStage(key);
  };

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    this.sample();
    for (const record of this.current.values()) {
      // A stage that never reported again after it began ends now.
      if (Number.isNaN(record.endMs)) this.end(record, performance.now() - this.started, cpuSeconds());
      else record.hwmAtEnd = peakRssBytes();
    }
  }

  private open(stage: string): StageRecord {
    const record: StageRecord = {
      stage,
      startMs: performance.now() - this.started,
      endMs: Number.NaN,
      startCpu: cpuSeconds(),
      endCpu: Number.NaN,
      peakRss: 0,
      peakHeap: 0,
      peakExternal: 0,
      hwmAtEnd: Number.NaN,
    };
    this.stages.push(record);
    this.sampleInto(record);
    return record;
  }

  private end(record: StageRecord, endMs: number, endCpu: number): void {
    record.endMs = endMs;
    record.endCpu = endCpu;
    record.hwmAtEnd = peakRssBytes();
  }

  private sample(): void {
    this.sampledCpu = cpuSeconds();
    for (const record of this.current.values()) this.sampleInto(record);
  }

  private sampleInto(record: StageRecord): void {
    const usage = process.memoryUsage();
    record.peakRss = Math.max(record.peakRss, usage.rss);
    record.peakHeap = Math.max(record.peakHeap, usage.heapUsed);
    record.peakExternal = Math.max(record.peakExternal, usage.external + usage.arrayBuffers);
  }
}

function printStages(): void {
  console.log(
    formatTable([
      ['stage', 'from s', 'seconds', 'cpu s', 'peak RSS MB', 'peak heap MB', 'peak external MB', 'VmHWM at end MB'],
      ...recorder.stages.map((s) => [
        s.stage,
        fixed(s.startMs / 1000),
        fixed((s.endMs - s.startMs) / 1000),
        fixed(s.endCpu - s.startCpu),
        fixed(s.peakRss / MB, 0),
        fixed(s.peakHeap / MB, 0),
        fixed(s.peakExternal / MB, 0),
        fixed(s.hwmAtEnd / MB, 0),
      ]),
    ]),
  );
}

/**
 * --stop-at: the stages before `stage`, the peak so far, and out (the store is left half written). All at
 * once, before the stage's synchronous work can run on.
 */
function stopEarly(stage: string): void {
  const peak = peakRssBytes();
  for (const record of recorder.stages) {
    if (Number.isNaN(record.endMs)) {
      record.endMs = performance.now() - recorderStarted;
      record.endCpu = cpuSeconds();
    }
    if (Number.isNaN(record.hwmAtEnd)) record.hwmAtEnd = peak;
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(`\nstopped as '${stage}' began, at ${fixed(cpuSeconds())} CPU s; load average ${load}\n`);
  printStages();
  console.log(`peak RSS (VmHWM) ${fixed(peak / MB, 0)} MB = ${fixed(peak / GB, 2)} GB`);
  if (args.keep === undefined) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-memory-'));
const out = args.keep ?? path.join(dir, 'results.duckdb');
const stopAt = args['stop-at'];
const recorderStarted = performance.now();
const recorder = new MemoryRecorder(sampleMs, (stage) => {
  if (stopAt !== undefined && stage.startsWith(stopAt)) stopEarly(stage);
});
const startRss = process.memoryUsage().rss;
console.log(
  `model ${model}, data ${args.data} (${args.split}), limit ${limit}, layers ${args.layers ?? 'default'}, ${os.availableParallelism()} cores, sampling every ${sampleMs} ms`,
);
const loadAtStart = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
try {
  const wall = performance.now();
  const result = await analyze(
    {
      model,
      data: args.data,
      split,
      limit,
      out,
      ...(args.layers ? { layers: args.layers.split(',') } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(spanningTree !== undefined ? { clustering: { spanningTree } } : {}),
    },
    { onProgress: recorder.onProgress },
  );
  const seconds = (performance.now() - wall) / 1000;
  recorder.finish();
  const peak = peakRssBytes();
  const storeBytes = (await stat(out)).size;

  console.log(
    `\n${result.layers.length} layers, ${result.layers[0]?.inputs ?? 0} inputs, ${result.skipped.length} skipped, ${fixed(seconds)} s end to end (${fixed(cpuSeconds())} CPU s), store ${fixed(storeBytes / MB)} MB; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (at start ${loadAtStart})\n`,
  );
  printStages();
  console.log(`\nlayers: ${result.layers.map((l) => `${l.layer} ${l.patterns} patterns`).join(', ')}`);
  console.log(
    `RSS at start ${fixed(startRss / MB, 0)} MB; peak RSS (VmHWM) ${fixed(peak / MB, 0)} MB = ${fixed(peak / GB, 2)} GB`,
  );
  console.log(
    `bar: peak < ${BAR_BYTES / GB} GB: ${peak < BAR_BYTES ? 'PASS' : Number.isNaN(peak) ? 'UNKNOWN (no /proc)' : 'FAIL'}`,
  );
  if (!(peak < BAR_BYTES)) process.exitCode = 1;
} finally {
  recorder.finish();
  if (args.keep === undefined) await rm(dir, { recursive: true, force: true });
}
