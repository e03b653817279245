/**
 * Engine throughput: model + pipeline (decoding, aggregation and storage included) against bare
 * onnxruntime session.run, for a MobileNetV2-size model at 224x224, batch 32, for each thread count.
 *
 *   (a) bare:        session.run on the unmodified model, pre-made random batches (no decoding);
 *   (b) bare+layers: the same with every default layer as an extra output (as the pipeline's runner does);
 *   (c) decode:      dataset.load of the image folder at 224x224 alone (does not use onnxruntime threads);
 *   (d) pipeline:    analyze() (default layers, mean aggregation, a temp .duckdb) on --pipeline-images of
 *                    the folder (analyze's seeded `limit`; 0 = all), images/s from its
 *                    'extracting activations' progress (first to last report), and end-to-end seconds;
 *   (d+) the same until the first 'normalizing layers' report: the buffered last commit of the stored
 *                    activations comes after the last extraction report, and is counted here;
 *   (e) bare+pooled: session.run on the model with each default layer's GlobalAveragePool and GlobalMaxPool
 *                    as outputs instead of the layer (the proposed fix, bench/in-graph-pooling.ts).
 * Then a profile of the extraction stage (see bench/extraction-profile.ts) says where its time goes, for
 * the engine's runner and for the pooled prototype (for the first thread count), and a profile of one batch
 * commit (bench/commit-profile.ts) says where the store's time goes.
 *
 * Everything is built in os.tmpdir() and removed at the end: a random-weight MobileNetV2 and a folder
 * of synthetic JPEGs. Usage:
 *   node build/scripts/bench-engine.js [--images 640] [--pipeline-images 320] [--batch 32] [--threads 1,2]
 *     [--bare-batches 4] [--profile-images 96]
 * (--profile-images 0 skips the profiles.) The defaults keep the whole run near 4 minutes on 2 busy cores.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { analyze } from '../src/engine/analyze.js';
import { openDataset } from '../src/io/datasets/open.js';
import type { Preprocessing } from '../src/io/datasets/types.js';
import { withExtraOutputs } from '../src/io/onnx/graph.js';
import { listLayersOfBytes } from '../src/io/onnx/inspect.js';
import { profileCommit } from './bench/commit-profile.js';
import { profileExtraction, type ExtractionProfile } from './bench/extraction-profile.js';
import { withPooledOutputs } from './bench/in-graph-pooling.js';
import { MOBILENET_V2_INPUT, MOBILENET_V2_OUTPUT, writeMobileNetV2 } from './bench/mobilenet-v2.js';
import { makeSyntheticImageFolder } from './bench/synthetic-images.js';
import { fixed, formatTable, ProgressClock, randomBatches, seconds } from './bench/timing.js';

const SIDE = 224;
const EXTRACTING = 'extracting activations';
const NORMALIZING = 'normalizing layers';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '640' },
    'pipeline-images': { type: 'string', default: '320' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1,2' },
    'bare-batches': { type: 'string', default: '4' },
    'profile-images': { type: 'string', default: '96' },
  },
});
const imageCount = Number(args.images);
const batchSize = Number(args.batch);
const threadCounts = args.threads.split(',').map(Number);
const bareBatches = Number(args['bare-batches']);
const profileImages = Number(args['profile-images']);
const pipelineImages = Number(args['pipeline-images']);
for (const [name, value] of [['images', imageCount], ['batch', batchSize], ['bare-batches', bareBatches], ...threadCounts.map((t) => ['threads', t] as const)] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} ${value} is not a positive whole number`);
}
for (const [name, value] of [['profile-images', profileImages], ['pipeline-images', pipelineImages]] as const) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} ${value} is not a whole number`);
}

const preprocessing: Preprocessing = { width: SIDE, height: SIDE, channels: 3, layout: 'NCHW' };

/** Images/s of session.run over pre-made batches: one warm-up run, then `runs` timed runs. */
async function bareRate(modelBytes: Uint8Array, threads: number, fetches: string[], inputs: Float32Array[], runs: number): Promise<number> {
  const session = await ort.InferenceSession.create(modelBytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  try {
    const dims = [batchSize, 3, SIDE, SIDE];
    const feeds = inputs.map((data) => ({ [MOBILENET_V2_INPUT]: new ort.Tensor('float32', data, dims) }));
    const warm = await session.run(feeds[0]!, fetches);
    const probabilities = warm[MOBILENET_V2_OUTPUT]!.data as Float32Array;
    const rowSum = probabilities.subarray(0, probabilities.length / batchSize).reduce((a, b) => a + b, 0);
    if (Math.abs(rowSum - 1) > 1e-3) throw new Error(`the model's output row sums to ${rowSum}, not 1: the benchmark model is broken`);
    const elapsed = await seconds(async () => {
      for (let r = 0; r < runs; r++) await session.run(feeds[r % feeds.length]!, fetches);
    });
    return (runs * batchSize) / elapsed;
  } finally {
    await session.release();
  }
}

/** Images/s of dataset.load over the whole folder, batch by batch, as the pipeline loads it. */
async function decodeRate(folder: string): Promise<number> {
  const dataset = await openDataset(folder);
  const count = dataset.items.length;
  const elapsed = await seconds(async () => {
    for (let start = 0; start < count; start += batchSize) {
      const indices = Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
      const batch = await dataset.load(indices, preprocessing);
      if (batch.failed.length > 0) throw new Error(`could not decode ${batch.failed[0]!.path}: ${batch.failed[0]!.reason}`);
    }
  });
  return count / elapsed;
}

async function pipeline(modelPath: string, folder: string, out: string, threads: number, layerCount: number): Promise<{ rate: number; rateStored: number; endToEnd: number; clock: ProgressClock }> {
  const clock = new ProgressClock();
  const limit = pipelineImages > 0 ? { limit: pipelineImages } : {};
  const start = performance.now();
  const result = await analyze({ model: modelPath, data: folder, out, threads, batchSize, aggregation: 'mean', ...limit }, { onProgress: clock.onProgress });
  const endToEnd = (performance.now() - start) / 1000;
  if (result.skipped.length > 0 || result.layers.length !== layerCount) {
    throw new Error(`analyze skipped ${result.skipped.length} images and stored ${result.layers.length} of ${layerCount} layers`);
  }
  return { rate: clock.rate(EXTRACTING), rateStored: clock.rateUntil(EXTRACTING, NORMALIZING), endToEnd, clock };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-engine-'));
  try {
    const setup = performance.now();
    const model = await writeMobileNetV2(path.join(work, 'mobilenet-v2.onnx'));
    const images = await makeSyntheticImageFolder({ folder: path.join(work, 'images'), count: imageCount });
    const layers = (await listLayersOfBytes(model.bytes, model.path, { threads: 1, probeDims: [1, 3, SIDE, SIDE] })).filter((l) => l.isDefault);
    const layerNames = layers.map((l) => l.name);
    const withLayers = withExtraOutputs(model.bytes, layerNames, model.path);
    const pooled = withPooledOutputs(model.bytes, layers);
    const pooledFetches = [...new Set([MOBILENET_V2_OUTPUT, ...pooled.outputs.flatMap((o) => [o.mean, o.max])])];
    const inputs = randomBatches(2, batchSize * 3 * SIDE * SIDE);
    const floatsPerImage = layers.reduce((n, l) => n + l.dims.slice(1).reduce((a, b) => a * b, 1), 0);
    console.log(`MobileNetV2 1.0 (random He weights), ${SIDE}x${SIDE} NCHW, batch ${batchSize}; ${images.count} JPEGs 256x256 in ${images.classes.length} classes`);
    console.log(`${layers.length} default layers, ${(floatsPerImage * 4 / 1e6).toFixed(1)} MB of layer tensors per image; ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`setup ${((performance.now() - setup) / 1000).toFixed(1)} s\n`);

    const decode = await decodeRate(images.folder);
    const rows: string[][] = [['threads', '(a) bare', '(b) bare+layers', '(c) decode', '(d) pipeline', '(d)/(a)', '(d)/(b)', '(d+)', '(d+)/(a)', 'end-to-end s', '(e) bare+pooled', '(e)/(a)']];
    const details: string[] = [];
    const profiles: [string, ExtractionProfile][] = [];
    for (const threads of threadCounts) {
      const bare = await bareRate(model.bytes, threads, [MOBILENET_V2_OUTPUT], inputs, bareBatches);
      const bareLayers = await bareRate(withLayers, threads, [MOBILENET_V2_OUTPUT, ...layerNames], inputs, bareBatches);
      const barePooled = await bareRate(pooled.bytes, threads, pooledFetches, inputs, bareBatches);
      const run = await pipeline(model.path, images.folder, path.join(work, `run-${threads}.duckdb`), threads, layers.length);
      rows.push([String(threads), fixed(bare), fixed(bareLayers), fixed(decode), fixed(run.rate), fixed(run.rate / bare, 2), fixed(run.rate / bareLayers, 2), fixed(run.rateStored), fixed(run.rateStored / bare, 2), fixed(run.endToEnd), fixed(barePooled), fixed(barePooled / bare, 2)]);
      details.push(`threads ${threads}: ${run.clock.breakdown().map(({ stage, seconds: s }) => `${stage} ${s.toFixed(1)} s`).join(', ')}`);
      if (profileImages > 0 && threads === threadCounts[0]) {
        const common = { modelBytes: model.bytes, modelPath: model.path, folder: images.folder, layers, threads, batchSize, preprocessing, images: profileImages };
        profiles.push([`${threads} engine`, await profileExtraction(common)]);
        profiles.push([`${threads} pooled`, await profileExtraction({ ...common, pooled: true })]);
      }
    }
    console.log('images/s:');
    console.log(formatTable(rows));
    console.log(`(c) is measured once: decoding runs on libvips/libuv threads, not onnxruntime's.`);
    for (const row of rows.slice(1)) {
      const verdict = (ratio: string) => (Number(ratio) >= 0.85 ? 'meets' : 'misses');
      console.log(`threads ${row[0]}: pipeline / bare = ${row[5]} (${row[8]} with the last commit): ${verdict(row[5]!)} (${verdict(row[8]!)}) the 0.85 bar`);
    }
    console.log(`Pipeline stages (first to last progress report):\n  ${details.join('\n  ')}`);
    if (profiles.length > 0) {
      const profileRows = [['threads runner', 'images', 'img/s', 'wait decode s', 'model s', 'aggregate s', 'commit s', 'last flush s', 'decode (beside) s', 'layer MB/img']];
      for (const [label, p] of profiles) {
        profileRows.push([label, String(p.images), fixed(p.images / p.seconds), fixed(p.steps.wait, 2), fixed(p.steps.model, 2), fixed(p.steps.aggregate, 2), fixed(p.steps.commit, 2), fixed(p.steps.flush, 2), fixed(p.steps.decode, 2), fixed(p.layerMegabytesPerImage)]);
      }
      console.log(`\nExtraction profile: the engine's extractActivations with timed runner, dataset and commit (batches after the first);`);
      console.log(`runner 'engine' is the pipeline's, 'pooled' the prototype of the proposed fix (its unit maxima are not real).`);
      console.log(formatTable(profileRows));
      const commitRows = 8 * batchSize;
      const commit = await profileCommit(layers.map((l) => ({ name: l.name, units: l.dims[1]! })), { rows: commitRows, perInputs: batchSize });
      console.log(`\nStoring, ms per ${batchSize} inputs (commits of ${commitRows} rows x ${layers.length} layers, median of 3):`);
      console.log(`  store.appendStagedBatch ${fixed(commit.commit)} ms; building FLOAT[] list values of the same rows, alone, ${fixed(commit.lists)} ms;`);
      console.log(`  proposed (one row per layer and commit, float32 matrices as BLOBs) ${fixed(commit.proposed)} ms`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
