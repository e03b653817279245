/**
 * Engine throughput against the issue's speed bar: model + pipeline (decoding, aggregation and storage
 * included) must reach 0.95 of bare onnxruntime session.run throughput for the same model, batch and
 * threads (issue 21 item 1; issue 3 asked 0.85). For a MobileNetV2-size model at 224x224, batch 32, for each thread count, in one process:
 *   (a)  bare:     session.run on the unmodified model, whole batches of 32 from pre-made random batches;
 *   (a') bare, in the runner's runs: the same, each batch run in chunks of the runner's items per run
 *                  (src/io/onnx/runner.ts itemsPerRun: 4 images of 224x224, which onnxruntime computes faster
 *                  than 32 at a time because their activations stay in cache);
 *   (b)  model:    (a') on the model the pipeline runs (every default layer pooled inside it, its per-unit
 *                  mean and max as outputs), so (b)/(a') is what the layers cost inside onnxruntime;
 *   (c)  decode:   dataset.load of the image folder at 224x224 alone (libvips threads, not onnxruntime's),
 *                  with the CPU time it takes per image;
 *   (d)  pipeline: analyze() (default layers, mean aggregation, a temp .duckdb) on --pipeline-images of the
 *                  folder (analyze's seeded `limit`; 0 = all), images/s from its 'extracting activations'
 *                  progress (first to last report: the first batch, which also warms the session up, is
 *                  not counted), and end-to-end seconds;
 *   (d+)           the same until the first 'normalizing layers' report: the buffered last commit of the
 *                  stored activations comes after the last extraction report, and is counted here.
 *   (e)  arrays:   (d) on the same images decoded once beforehand into an .npy file (a tensor dataset of
 *                  [N, 3, 224, 224] float32), so that (e)/(a) is what the engine itself costs beside the
 *                  model, without the JPEG decoding that shares the cores in (d).
 * (a), (a') and (b) time --bare-batches batches after two warm-up batches (onnxruntime records its memory
 * plan on the first run of a shape and allocates it on the second, which is slow). (a), (a'), (b) and (d)
 * are measured --repeat times, in turn, and their medians are reported. The issue's ratio is (d)/(a); (d)/(a')
 * holds onnxruntime to the same runs as the pipeline. When onnxruntime's threads take every core, decoding
 * takes CPU time from the model: the CPU lines bound what the pipeline can reach then, and say how much
 * CPU per image the bar leaves against what the pooled model (on one thread: no idle threads spinning) and
 * decoding take.
 * Then a profile of the extraction stage (see bench/extraction-profile.ts) says where its time goes (for
 * the first thread count), and a profile of one batch commit (bench/commit-profile.ts) where the store's.
 *
 * Everything is built in os.tmpdir() and removed at the end: a random-weight MobileNetV2 and a folder
 * of synthetic JPEGs. Usage:
 *   node build/scripts/bench-engine.js [--images 640] [--pipeline-images 320] [--batch 32] [--threads 1,2]
 *     [--bare-batches 4] [--repeat 3] [--profile-images 160] [--sharp-concurrency N]
 * (--profile-images 0 skips the profiles; --sharp-concurrency sets libvips threads per image, default one per core.) The defaults keep the whole run near 2 minutes on 2 quiet cores.
 * The machine's load average is printed before and after: other work on the cores skews every figure.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { analyze } from '../src/engine/analyze.js';
import { openDataset } from '../src/io/datasets/open.js';
import { itemsPerRun } from '../src/io/onnx/runner.js';
import type { Preprocessing } from '../src/io/datasets/types.js';
import { withExtraOutputs } from '../src/io/onnx/graph.js';
import { listLayersOfBytes } from '../src/io/onnx/inspect.js';
import { pooledOutputNames } from '../src/io/onnx/pooling.js';
import { profileCommit } from './bench/commit-profile.js';
import { profileExtraction } from './bench/extraction-profile.js';
import { float32Npy } from '../test/helpers/npy.js';
import { MOBILENET_V2_INPUT, MOBILENET_V2_OUTPUT, writeMobileNetV2 } from './bench/mobilenet-v2.js';
import { makeSyntheticImageFolder } from './bench/synthetic-images.js';
import { fixed, formatTable, median, ProgressClock, randomBatches, seconds } from './bench/timing.js';

const SIDE = 224;
const EXTRACTING = 'extracting activations';
const NORMALIZING = 'normalizing layers';
/** Issue 21 item 1: >= 0.95 of bare session.run at every thread count (issue 3 asked 0.85). */
const BAR = 0.95;

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '640' },
    'pipeline-images': { type: 'string', default: '320' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1,2' },
    'bare-batches': { type: 'string', default: '4' },
    repeat: { type: 'string', default: '3' },
    'profile-images': { type: 'string', default: '160' },
    'sharp-concurrency': { type: 'string' },
  },
});
// libvips threads per image operation (sharp's default: one per core), for trying how decoding shares the cores.
if (args['sharp-concurrency'] !== undefined) sharp.concurrency(Number(args['sharp-concurrency']));
const imageCount = Number(args.images);
const batchSize = Number(args.batch);
const threadCounts = args.threads.split(',').map(Number);
const bareBatches = Number(args['bare-batches']);
const repeat = Number(args.repeat);
const profileImages = Number(args['profile-images']);
const pipelineImages = Number(args['pipeline-images']);
for (const [name, value] of [
  ['images', imageCount],
  ['batch', batchSize],
  ['bare-batches', bareBatches],
  ['repeat', repeat],
  ...threadCounts.map((t) => ['threads', t] as const),
] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} ${value} is not a positive whole number`);
}
for (const [name, value] of [
  ['profile-images', profileImages],
  ['pipeline-images', pipelineImages],
] as const) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} ${value} is not a whole number`);
}

const preprocessing: Preprocessing = { width: SIDE, height: SIDE, channels: 3, layout: 'NCHW' };
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

interface Rate {
  /** Images per second. */
  rate: number;
  /** Process CPU milliseconds per image (every thread). */
  cpu: number;
}

/** Images/s of session.run over pre-made batches, `perRun` items per run: two warm-up batches, then `batches` timed. */
async function bareRate(
  modelBytes: Uint8Array,
  threads: number,
  fetches: string[],
  inputs: Float32Array[],
  batches: number,
  perRun: number,
): Promise<Rate> {
  const session = await ort.InferenceSession.create(modelBytes, {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
  });
  const itemSize = 3 * SIDE * SIDE;
  const runBatch = async (data: Float32Array) => {
    let first: ort.InferenceSession.ReturnType | undefined;
    for (let start = 0; start < batchSize; start += perRun) {
      const items = Math.min(perRun, batchSize - start);
      const feed = new ort.Tensor('float32', data.subarray(start * itemSize, (start + items) * itemSize), [
        items,
        3,
        SIDE,
        SIDE,
      ]);
      const result = await session.run({ [MOBILENET_V2_INPUT]: feed }, fetches);
      first ??= result;
    }
    return first!;
  };
  try {
    const warm = await runBatch(inputs[0]!);
    await runBatch(inputs[1 % inputs.length]!);
    const probabilities = warm[MOBILENET_V2_OUTPUT]!.data as Float32Array;
    const rowSum = probabilities
      .subarray(0, probabilities.length / Math.min(perRun, batchSize))
      .reduce((a, b) => a + b, 0);
    if (Math.abs(rowSum - 1) > 1e-3)
      throw new Error(`the model's output row sums to ${rowSum}, not 1: the benchmark model is broken`);
    const cpu = process.cpuUsage();
    const elapsed = await seconds(async () => {
      for (let b = 0; b < batches; b++) await runBatch(inputs[b % inputs.length]!);
    });
    return { rate: (batches * batchSize) / elapsed, cpu: cpuMilliseconds(cpu) / (batches * batchSize) };
  } finally {
    await session.release();
  }
}

function cpuMilliseconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Images/s of dataset.load over the whole folder, batch by batch, as the pipeline loads it. */
async function decodeRate(folder: string): Promise<Rate> {
  const dataset = await openDataset(folder);
  const count = dataset.items.length;
  const cpu = process.cpuUsage();
  const elapsed = await seconds(async () => {
    for (let start = 0; start < count; start += batchSize) {
      const indices = Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
      const batch = await dataset.load(indices, preprocessing);
      if (batch.failed.length > 0)
        throw new Error(`could not decode ${batch.failed[0]!.path}: ${batch.failed[0]!.reason}`);
    }
  });
  return { rate: count / elapsed, cpu: cpuMilliseconds(cpu) / count };
}

/** The first `count` images of the folder decoded as the pipeline decodes them, written as one .npy file. */
async function writeDecodedArrays(folder: string, count: number, file: string): Promise<void> {
  const dataset = await openDataset(folder);
  const itemSize = 3 * SIDE * SIDE;
  const values = new Float32Array(count * itemSize);
  for (let start = 0; start < count; start += batchSize) {
    const indices = Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    values.set((await dataset.load(indices, preprocessing)).data, start * itemSize);
  }
  await writeFile(file, float32Npy([count, 3, SIDE, SIDE], values));
}

interface PipelineRun {
  rate: number;
  rateStored: number;
  endToEnd: number;
  clock: ProgressClock;
}

async function pipeline(
  modelPath: string,
  folder: string,
  out: string,
  threads: number,
  layerCount: number,
): Promise<PipelineRun> {
  const clock = new ProgressClock();
  const limit = pipelineImages > 0 ? { limit: pipelineImages } : {};
  const start = performance.now();
  const result = await analyze(
    { model: modelPath, data: folder, out, threads, batchSize, aggregation: 'mean', ...limit },
    { onProgress: clock.onProgress },
  );
  const endToEnd = (performance.now() - start) / 1000;
  if (result.skipped.length > 0 || result.layers.length !== layerCount) {
    throw new Error(
      `analyze skipped ${result.skipped.length} images and stored ${result.layers.length} of ${layerCount} layers`,
    );
  }
  await rm(out, { force: true });
  return { rate: clock.rate(EXTRACTING), rateStored: clock.rateUntil(EXTRACTING, NORMALIZING), endToEnd, clock };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-engine-'));
  try {
    const setup = performance.now();
    const model = await writeMobileNetV2(path.join(work, 'mobilenet-v2.onnx'));
    const images = await makeSyntheticImageFolder({ folder: path.join(work, 'images'), count: imageCount });
    const layers = (
      await listLayersOfBytes(model.bytes, model.path, { threads: 1, probeDims: [1, 3, SIDE, SIDE] })
    ).filter((l) => l.isDefault);
    // The model the pipeline's runner derives: analyze() pools the channels-first layers with positions.
    const pooledNames = layers.filter((l) => l.dims.length >= 3).map((l) => l.name);
    const rawNames = layers.filter((l) => l.dims.length < 3).map((l) => l.name);
    const pipelineModel = withExtraOutputs(model.bytes, rawNames, model.path, pooledNames);
    const pipelineFetches = [
      ...new Set([
        MOBILENET_V2_OUTPUT,
        ...rawNames,
        ...pooledNames.flatMap((name) => Object.values(pooledOutputNames(name))),
      ]),
    ];
    const inputs = randomBatches(2, batchSize * 3 * SIDE * SIDE);
    console.log(
      `MobileNetV2 1.0 (random He weights), ${SIDE}x${SIDE} NCHW, batch ${batchSize}; ${images.count} JPEGs 256x256 in ${images.classes.length} classes`,
    );
    console.log(
      `${layers.length} default layers (${pooledNames.length} pooled in the model); ${os.availableParallelism()} cores; load average ${load()} (1, 5, 15 min); sharp concurrency ${sharp.concurrency()}`,
    );
    console.log(`setup ${((performance.now() - setup) / 1000).toFixed(1)} s\n`);

    const decode = await decodeRate(images.folder);
    const arrays = path.join(work, 'decoded.npy');
    await writeDecodedArrays(images.folder, pipelineImages > 0 ? pipelineImages : images.count, arrays);
    const perRun = itemsPerRun(3 * SIDE * SIDE);
    const measured = new Map(
      threadCounts.map((t) => [
        t,
        {
          bare: [] as Rate[],
          bareRuns: [] as Rate[],
          model: [] as Rate[],
          runs: [] as PipelineRun[],
          arrayRuns: [] as PipelineRun[],
        },
      ]),
    );
    for (let r = 0; r < repeat; r++) {
      for (const threads of threadCounts) {
        const m = measured.get(threads)!;
        m.bare.push(await bareRate(model.bytes, threads, [MOBILENET_V2_OUTPUT], inputs, bareBatches, batchSize));
        m.bareRuns.push(await bareRate(model.bytes, threads, [MOBILENET_V2_OUTPUT], inputs, bareBatches, perRun));
        m.model.push(await bareRate(pipelineModel, threads, pipelineFetches, inputs, bareBatches, perRun));
        m.runs.push(
          await pipeline(
            model.path,
            images.folder,
            path.join(work, `run-${threads}-${r}.duckdb`),
            threads,
            layers.length,
          ),
        );
        m.arrayRuns.push(
          await pipeline(model.path, arrays, path.join(work, `arrays-${threads}-${r}.duckdb`), threads, layers.length),
        );
      }
    }

    const rows: string[][] = [
      [
        'threads',
        '(a) bare',
        `(a') bare in ${perRun}s`,
        '(b) model',
        "(b)/(a')",
        '(c) decode',
        '(d) pipeline',
        '(d)/(a)',
        "(d)/(a')",
        '(d+)',
        '(d+)/(a)',
        '(e) arrays',
        '(e)/(a)',
        'end-to-end s',
      ],
    ];
    const verdicts: string[] = [];
    const spread: string[] = [];
    const rates = (values: Rate[]) => values.map((v) => v.rate);
    for (const [threads, m] of measured) {
      const bare = median(rates(m.bare));
      const bareRuns = median(rates(m.bareRuns));
      const modelRate = median(rates(m.model));
      const rate = median(m.runs.map((run) => run.rate));
      const stored = median(m.runs.map((run) => run.rateStored));
      const arrayRate = median(m.arrayRuns.map((run) => run.rate));
      rows.push([
        String(threads),
        fixed(bare),
        fixed(bareRuns),
        fixed(modelRate),
        fixed(modelRate / bareRuns, 2),
        fixed(decode.rate),
        fixed(rate),
        fixed(rate / bare, 2),
        fixed(rate / bareRuns, 2),
        fixed(stored),
        fixed(stored / bare, 2),
        fixed(arrayRate),
        fixed(arrayRate / bare, 2),
        fixed(median(m.runs.map((run) => run.endToEnd))),
      ]);
      const verdict = (ratio: number) => (ratio >= BAR ? 'meets' : 'misses');
      verdicts.push(
        `threads ${threads}: pipeline ${fixed(rate)} images/s / bare session.run ${fixed(bare)} images/s = ${fixed(rate / bare, 2)}: ${verdict(rate / bare)} the ${BAR} bar ` +
          `(${fixed(stored / bare, 2)} with the last commit; ${fixed(rate / bareRuns, 2)} of bare in runs of ${perRun}, ${fixed(bareRuns)} images/s)`,
      );
      verdicts.push(
        `  on the images decoded beforehand (e): ${fixed(arrayRate)} images/s = ${fixed(arrayRate / bare, 2)} of bare session.run (${fixed(arrayRate / bareRuns, 2)} of bare in runs of ${perRun}): the engine's own cost beside the model`,
      );
      const cpuModel = median(m.bareRuns.map((v) => v.cpu));
      const cores = os.availableParallelism();
      const cpuLine = `  CPU per image: bare in runs of ${perRun} ${fixed(cpuModel, 2)} ms (${threads} thread${threads > 1 ? 's' : ''}), decoding ${fixed(decode.cpu, 2)} ms: `;
      if (threads >= cores) {
        // Every core is onnxruntime's: decoding's CPU time comes out of the model's.
        const ceiling = (cores * 1000) / (cpuModel + decode.cpu);
        verdicts.push(
          `${cpuLine}on ${cores} cores both fit ${fixed(ceiling)} images/s at most, ${fixed(ceiling / bare, 2)} of (a), ${fixed(ceiling / bareRuns, 2)} of (a')`,
        );
        // The model's own work, without idle threads spinning: the pooled model on one thread, if measured.
        const single = measured.get(1);
        const compute = median((single ?? m).model.map((v) => v.cpu));
        const budget = (cores * 1000) / (BAR * bare);
        verdicts.push(
          `  ${BAR} of (a) leaves ${fixed(budget, 2)} ms of CPU per image in all on ${cores} cores; the model with its pools computes ${fixed(compute, 2)} ms (${single ? '1 thread' : `${threads} threads`}) and decoding takes ${fixed(decode.cpu, 2)}: ` +
            `${fixed(compute + decode.cpu, 2)} ms, ${fixed((cores * 1000) / (compute + decode.cpu))} images/s at most (${fixed((cores * 1000) / (compute + decode.cpu) / bare, 2)} of (a)) before aggregating and storing`,
        );
      } else {
        const decodeCeiling = ((cores - threads) * 1000) / decode.cpu;
        verdicts.push(
          `${cpuLine}decoding alone on the ${cores - threads} core${cores - threads > 1 ? 's' : ''} left keeps up with ${fixed(decodeCeiling)} images/s`,
        );
      }
      const each = (values: number[]) => values.map((v) => fixed(v)).join(' ');
      spread.push(
        `threads ${threads}: (a) ${each(rates(m.bare))}; (a') ${each(rates(m.bareRuns))}; (b) ${each(rates(m.model))}; (d) ${each(m.runs.map((run) => run.rate))}; (e) ${each(m.arrayRuns.map((run) => run.rate))}`,
      );
      spread.push(
        `  pipeline stages, last repeat: ${m.runs[m.runs.length - 1]!.clock.breakdown()
          .map(({ stage, seconds: s }) => `${stage} ${s.toFixed(1)} s`)
          .join(', ')}`,
      );
    }
    console.log(`images/s, medians of ${repeat} repeats:`);
    console.log(formatTable(rows));
    console.log(
      `(c) is measured once (${fixed(decode.cpu, 2)} ms of CPU per image): decoding runs on libvips/libuv threads, not onnxruntime's.\n`,
    );
    console.log(
      `The issue's ratio, model + pipeline / bare session.run (both images/s, same model, batch ${batchSize} and threads):`,
    );
    console.log(`  ${verdicts.join('\n  ')}`);
    console.log(`Each repeat, images/s:\n  ${spread.join('\n  ')}`);
    console.log(`load average after: ${load()}`);

    if (profileImages > 0) {
      const threads = threadCounts[0]!;
      const p = await profileExtraction({
        modelBytes: model.bytes,
        modelPath: model.path,
        folder: images.folder,
        layers,
        threads,
        batchSize,
        preprocessing,
        images: profileImages,
      });
      const profileRows = [
        [
          'threads',
          'images',
          'img/s',
          'wall s',
          'model s',
          'model idle s',
          'starved s',
          'decode s',
          'commit s',
          'last flush s',
          'CPU s',
          'layer KB/img',
        ],
      ];
      profileRows.push([
        String(threads),
        String(p.images),
        fixed(p.images / p.seconds),
        fixed(p.seconds, 2),
        fixed(p.steps.model, 2),
        fixed(p.steps.idle, 2),
        fixed(p.steps.starved, 2),
        fixed(p.steps.decode, 2),
        fixed(p.steps.commit, 2),
        fixed(p.steps.flush, 2),
        fixed(p.steps.cpu, 2),
        fixed(p.layerMegabytesPerImage * 1000),
      ]);
      console.log(
        `\nExtraction profile, batches after the first: the engine's extractActivations with its runner, dataset and commit timed.`,
      );
      console.log(
        `Model, decode and commit overlap: each is its own busy time within the wall time; the model alone runs at ${fixed(median(rates(measured.get(threads)!.model)))} img/s.`,
      );
      console.log(formatTable(profileRows));
      const commitRows = 8 * batchSize;
      const commit = await profileCommit(
        layers.map((l) => ({ name: l.name, units: l.dims[1]! })),
        { rows: commitRows, perInputs: batchSize },
      );
      console.log(
        `\nStoring, ms per ${batchSize} inputs (commits of ${commitRows} rows x ${layers.length} layers, median of 3):`,
      );
      console.log(
        `  store.appendStagedBatch ${fixed(commit.commit)} ms; building FLOAT[] list values of the same rows, alone, ${fixed(commit.lists)} ms;`,
      );
      console.log(`  proposed (one row per layer and commit, float32 matrices as BLOBs) ${fixed(commit.proposed)} ms`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
