/**
 * Where the time of the pipeline's extraction stage goes. It runs the engine's own extractActivations
 * (src/engine/extract.ts) with the runner, the dataset and the store commit wrapped in timers, so each
 * batch's wall time splits into:
 *   wait:      from the end of the previous batch until the model starts (waiting for decoding);
 *   model:     runner.run, i.e. session.run with every layer as an extra output, outputs copied to JS;
 *   aggregate: from the model's return to the commit (checkFinite, mean aggregation, unit maxima, predictions);
 *   commit:    handing the batch to a BatchBuffer that commits with store.appendStagedBatch every 2048 rows
 *              or 5 s, exactly as analyze() does (src/engine/analyze.ts, extractIntoStore);
 *   flush:     the buffer's last commit after the last batch (analyze() does it before normalizing).
 * Decoding runs beside the model; its own wall time per batch is reported as `decode`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuffer } from '../../src/engine/batch-buffer.js';
import { describeLayer, extractActivations, type ExtractedBatch } from '../../src/engine/extract.js';
import { openDataset } from '../../src/io/datasets/open.js';
import type { Dataset, Preprocessing } from '../../src/io/datasets/types.js';
import type { LayerInfo } from '../../src/io/onnx/inspect.js';
import { openOnnxBytes } from '../../src/io/onnx/runner.js';
import { NapStore } from '../../src/io/store/index.js';
import { openPooledRunner } from './in-graph-pooling.js';

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
  /**
   * Run the prototype of the proposed fix (bench/in-graph-pooling.ts: layers pooled inside the model)
   * instead of the engine's runner; default false.
   */
  pooled?: boolean;
}

/** Seconds per step summed over the batches after the first (the first one warms up). */
export interface StepSeconds {
  wait: number;
  model: number;
  aggregate: number;
  commit: number;
  flush: number;
  decode: number;
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
  const dataset = await openDataset(options.folder);
  const count = Math.min(options.images ?? dataset.items.length, dataset.items.length);
  const items = Int32Array.from({ length: count }, (_, i) => i);
  // The layers analyze() would have the runtime pool, for an engine whose runner takes `pooled` (the proposed
  // change); an engine without it ignores the option and returns every layer raw.
  const engineOptions = { layers: options.layers.map((l) => l.name), threads: options.threads, pooled: options.layers.filter((l) => l.dims.length >= 3).map((l) => l.name) };
  const runner = options.pooled
    ? await openPooledRunner(options.modelBytes, options.layers, options.threads)
    : await openOnnxBytes(options.modelBytes, options.modelPath, engineOptions);
  // The pooled runner hands back [N, C] per layer: the same stored columns, C values per input to aggregate.
  const layers = options.layers.map((l) => describeLayer(l.name, l.opType, options.pooled ? l.dims.slice(0, 2) : l.dims, 'channels-first', 'mean'));
  const folder = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-profile-'));
  const store = await NapStore.open(path.join(folder, 'profile.duckdb'));
  const marks: { loop: number; runStart: number; runEnd: number; commitStart: number; commitEnd: number; decode: number; count: number }[] = [];
  let loopStart = performance.now();
  const current = () => marks[marks.length - 1]!;
  let layerValues = 0;
  let flush = 0;
  let flushEnd = 0;

  // The runner's own run, timed; patched on the instance so every other member stays the runner's.
  const untimedRun = runner.run.bind(runner);
  runner.run = async (batch, dims) => {
    marks.push({ loop: loopStart, runStart: performance.now(), runEnd: 0, commitStart: 0, commitEnd: 0, decode: decodeSeconds.shift() ?? 0, count: dims[0]! });
    const result = await untimedRun(batch, dims);
    current().runEnd = performance.now();
    const pooled = 'pooled' in result ? (result.pooled as { mean: Float32Array; max: Float32Array }[]) : [];
    layerValues = (result.layers.reduce((n, t) => n + t.data.length, 0) + pooled.reduce((n, p) => n + p.mean.length + p.max.length, 0)) / dims[0]!;
    return result;
  };
  const decodeSeconds: number[] = [];
  const timedDataset: Dataset = {
    ...dataset,
    load: async (indices, prep, control) => {
      const start = performance.now();
      const batch = await dataset.load(indices, prep, control);
      decodeSeconds.push((performance.now() - start) / 1000);
      return batch;
    },
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
    for (let start = 0; start < count; start += options.batchSize) batches.push({ start, count: Math.min(options.batchSize, count - start) });
    // The same columns analyze() commits without unit patterns (src/engine/analyze.ts, extractIntoStore).
    const buffer = new BatchBuffer(async (batch: ExtractedBatch) => {
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
        layers: batch.layers.map((values, l) => ({ layer: layers[l]!.name, values: values.values, dim: layers[l]!.dim, unitMax: values.unitMax, units: layers[l]!.geometry.units })),
      });
    }, { rows: 2048, seconds: 5 });
    const commit = async (batch: ExtractedBatch) => {
      current().commitStart = performance.now();
      await buffer.add(batch);
      current().commitEnd = performance.now();
    };
    const plan = { runner, dataset: timedDataset, items, preprocessing: options.preprocessing, layers, aggregation: 'mean' as const, unitMaps: [], batchSize: options.batchSize, skipBadImages: true };
    loopStart = performance.now();
    await extractActivations(plan, batches, commit, { onProgress: () => (loopStart = performance.now()) });
    const flushStart = performance.now();
    await buffer.flush();
    flushEnd = performance.now();
    flush = (flushEnd - flushStart) / 1000;
  } finally {
    await runner.close();
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
  const steady = marks.slice(1);
  const sum = (pick: (m: (typeof marks)[number]) => number) => steady.reduce((s, m) => s + pick(m), 0) / 1000;
  return {
    images: steady.reduce((n, m) => n + m.count, 0),
    seconds: steady.length > 0 ? (flushEnd - marks[0]!.commitEnd) / 1000 : Number.NaN,
    steps: {
      wait: sum((m) => m.runStart - m.loop),
      model: sum((m) => m.runEnd - m.runStart),
      aggregate: sum((m) => m.commitStart - m.runEnd),
      commit: sum((m) => m.commitEnd - m.commitStart),
      flush,
      decode: steady.reduce((s, m) => s + m.decode, 0),
    },
    layerMegabytesPerImage: (layerValues * 4) / 1e6,
  };
}
