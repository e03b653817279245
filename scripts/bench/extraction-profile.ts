/**
 * Where the time of the pipeline's extraction stage goes. It runs the engine's own extractActivations
 * (src/engine/extract.ts) with the runner, the dataset and the store commit wrapped in timers. The three
 * overlap (the model runs in a worker thread on batch b + 1 while batch b is committed and batch b + 2
 * decodes), so each is reported as its own busy time over the batches after the first, beside the wall time:
 *   model:   the time some batch was in the runner's hands (runner.runFeeds: session.run in the worker,
 *            outputs handed back; the next batch is queued behind the running one, so spans overlap and
 *            their union is counted);
 *   idle:    wall time no batch was in the model's hands: waiting for a decoded batch or the main thread;
 *   starved: what the worker thread itself measured (runner.idleSeconds): time between its runs with no
 *            run to serve, the chunks of one batch included;
 *   decode:  dataset.load of each batch (libvips threads, then JavaScript filling the float batch);
 *   commit:  handing each batch to a BatchBuffer that commits with store.appendStagedBatch every 2048 rows
 *            or 5 s, exactly as analyze() does (src/engine/analyze.ts, extractIntoStore);
 *   flush:   the buffer's last commit after the last batch (analyze() does it before normalizing);
 *   cpu:     process CPU seconds (every thread) over the same wall time.
 * The model's images/s here against its images/s alone (bench-engine (b)) shows what decoding and
 * storing beside it take from it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuffer } from '../../src/engine/batch-buffer.js';
import { describeLayer, extractActivations, imageBatchLoader, type ExtractedBatch } from '../../src/engine/extract.js';
import { openDataset } from '../../src/io/datasets/open.js';
import type { Dataset, Preprocessing } from '../../src/io/datasets/types.js';
import type { LayerInfo } from '../../src/io/onnx/inspect.js';
import { openOnnxBytes } from '../../src/io/onnx/runner.js';
import { NapStore } from '../../src/io/store/index.js';

export interface ProfileOptions {
  modelBytes: Uint8Array;
  modelPath: string;
  folder: string;
  /** The layers to read out, with their probe dims (from listLayersOfBytes). */
  layers: LayerInfo[];
  threads: number;
  batchSize: number;
  preprocessing: Preprocessing;
  /** Images to run (the first ones of the folder); default all. */
  images?: number;
  /** The runner's items per session.run (OnnxRunnerOptions.itemsPerRun); default the runner's. */
  itemsPerRun?: number;
  /** Image decodes in flight (DatasetOptions.concurrency); default the dataset's. */
  decodeConcurrency?: number;
}

/** Seconds of each step over the batches after the first (the first one warms up). */
export interface StepSeconds {
  model: number;
  idle: number;
  starved: number;
  decode: number;
  commit: number;
  flush: number;
  cpu: number;
}

export interface ExtractionProfile {
  /** Images of the batches after the first, and their wall seconds (the last flush included). */
  images: number;
  seconds: number;
  steps: StepSeconds;
  /** Megabytes of layer tensors the model hands back per image. */
  layerMegabytesPerImage: number;
}

export async function profileExtraction(options: ProfileOptions): Promise<ExtractionProfile> {
  const dataset = await openDataset(
    options.folder,
    options.decodeConcurrency ? { concurrency: options.decodeConcurrency } : {},
  );
  const count = Math.min(options.images ?? dataset.items.length, dataset.items.length);
  const items = Int32Array.from({ length: count }, (_, i) => i);
  // The layers analyze() has the runtime pool for 'mean' aggregation of an NCHW model (no unit patterns).
  const pooled = options.layers.filter((l) => l.dims.length >= 3).map((l) => l.name);
  const runner = await openOnnxBytes(options.modelBytes, options.modelPath, {
    layers: options.layers.map((l) => l.name),
    threads: options.threads,
    pooled,
    ...(options.itemsPerRun ? { itemsPerRun: options.itemsPerRun } : {}),
  });
  const layers = options.layers.map((l) => describeLayer(l.name, l.opType, l.dims, 'channels-first', 'mean'));
  const folder = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-profile-'));
  const store = await NapStore.open(path.join(folder, 'profile.duckdb'));
  type Span = { start: number; end: number };
  const runs: (Span & { count: number })[] = [];
  const loads: Span[] = [];
  const commits: Span[] = [];
  const timed = async <T>(spans: Span[], work: () => Promise<T>): Promise<T> => {
    const span = { start: performance.now(), end: 0 };
    spans.push(span);
    const result = await work();
    span.end = performance.now();
    return result;
  };
  let layerValues = 0;
  let flush = 0;
  let flushEnd = 0;
  let cpuFrom: NodeJS.CpuUsage | undefined;
  let starvedFrom = 0;
  let starved = 0;
  let cpu = 0;

  // The runner's own runFeeds (what extractActivations calls), timed; patched on the instance so every
  // other member stays the runner's.
  const untimedRun = runner.runFeeds.bind(runner);
  runner.runFeeds = async (feeds) => {
    const count = feeds[0]!.dims[0]!;
    const span = { start: performance.now(), end: 0, count };
    runs.push(span);
    const result = await untimedRun(feeds);
    span.end = performance.now();
    // The first batch to come back (the next one is already queued): steady state starts here.
    if (cpuFrom === undefined) {
      cpuFrom = process.cpuUsage();
      starvedFrom = runner.idleSeconds?.() ?? Number.NaN;
    }
    layerValues =
      (result.layers.reduce((n, t) => n + t.data.length, 0) +
        result.pooled.reduce((n, p) => n + p.mean.length + p.max.length, 0)) /
      count;
    return result;
  };
  const timedDataset: Dataset = {
    ...dataset,
    load: (indices, prep, control) => timed(loads, () => dataset.load(indices, prep, control)),
  };
  try {
    const runId = await store.createRun({
      name: 'profile',
      modelPath: options.modelPath,
      modelSha256: 'profile',
      modelLayout: 'NCHW',
      datasetSpec: options.folder,
      datasetFingerprint: dataset.fingerprint,
      extractionConfigHash: 'profile',
      config: {},
      predictionLabels: null,
    });
    const batches = [];
    for (let start = 0; start < count; start += options.batchSize)
      batches.push({ start, count: Math.min(options.batchSize, count - start) });
    // The same columns analyze() commits without unit patterns (src/engine/analyze.ts, extractIntoStore).
    const buffer = new BatchBuffer(
      async (batch: ExtractedBatch) => {
        await store.appendStagedBatch(runId, {
          start: batch.start,
          count: batch.count,
          inputs: {
            index: batch.rows,
            path: Array.from(batch.rows, (row) => dataset.items[items[row]!]!.path),
            label: Array.from(batch.rows, (row) => dataset.items[items[row]!]!.label),
            prediction: batch.prediction,
            predictionLabel: Array.from(batch.prediction, (p) => String(p)),
            probability: batch.probability,
          },
          layers: batch.layers.map((values, l) => ({
            layer: layers[l]!.name,
            values: values.values,
            dim: layers[l]!.dim,
            unitMax: values.unitMax,
            units: layers[l]!.geometry.units,
          })),
        });
      },
      { rows: 2048, seconds: 5 },
    );
    const plan = {
      runner,
      dataset: timedDataset,
      items,
      load: imageBatchLoader(timedDataset, options.preprocessing, runner.inputName),
      layers,
      aggregation: 'mean' as const,
      unitMaps: [],
      batchSize: options.batchSize,
      skipBadImages: true,
    };
    await extractActivations(plan, batches, (batch) => timed(commits, () => buffer.add(batch)));
    const flushStart = performance.now();
    await buffer.flush();
    flushEnd = performance.now();
    starved = (runner.idleSeconds?.() ?? Number.NaN) - starvedFrom;
    flush = (flushEnd - flushStart) / 1000;
    const used = process.cpuUsage(cpuFrom);
    cpu = (used.user + used.system) / 1e6;
  } finally {
    await runner.close();
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
  // After the first run: its decode and warm-up are not steady state.
  const from = runs[0]?.end ?? Number.NaN;
  const busy = (spans: Span[]) =>
    spans.reduce((s, span) => s + Math.max(0, span.end - Math.max(span.start, from)), 0) / 1000;
  const seconds = (flushEnd - from) / 1000;
  // A batch is queued behind the one running (see extractActivations): the worker has work whenever some
  // batch is in its hands, so the model's busy time is the union of the runs' spans, not their sum.
  const model = covered(runs.slice(1), from) / 1000;
  return {
    images: runs.slice(1).reduce((n, r) => n + r.count, 0),
    seconds,
    steps: { model, idle: seconds - model, starved, decode: busy(loads), commit: busy(commits), flush, cpu },
    layerMegabytesPerImage: (layerValues * 4) / 1e6,
  };
}

/** Milliseconds after `from` covered by at least one of `spans`. */
function covered(spans: { start: number; end: number }[], from: number): number {
  const sorted = spans
    .map((span) => ({ start: Math.max(span.start, from), end: span.end }))
    .filter((span) => span.end > span.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let reach = from;
  for (const span of sorted) {
    if (span.end <= reach) continue;
    total += span.end - Math.max(span.start, reach);
    reach = span.end;
  }
  return total;
}
