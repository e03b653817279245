/**
 * TF.js models in nap: throughput of tfjs itself against onnxruntime on the converted model, for the
 * pre-trained models nsfwjs ships (MobileNetV2 and InceptionV3 LayersModels, a MobileNetV2 GraphModel).
 *
 *   convert:     seconds for model.json + shards -> ONNX bytes (what readModelFile does on every open);
 *   tfjs wasm:   model.predict on the wasm backend (single-threaded: Node has no wasm threads), images/s;
 *   tfjs cpu:    the same on tfjs's default pure-JS backend (only for --cpu-models, it is very slow);
 *   ort N thr:   session.run of the converted model with N intra-op threads, images/s;
 *   max diff:    largest |ort - tfjs| over the timed outputs (class probabilities).
 * Same random batches (uniform [0, 1) NHWC, as nsfwjs feeds /255 pixels) and batch size for every engine;
 * one untimed warm-up batch each. Then, unless --analyze-images 0, a full `analyze` of MNIST digits through
 * InceptionV3's model.json with layers mixed0..mixed10 (the NAP paper's layers), with its timing.
 *
 *   node build/scripts/bench-tfjs.js [--models mobilenet_v2,inception_v3,mobilenet_v2_mid] [--batch 8]
 *     [--batches 3] [--threads 1,2] [--cpu-models mobilenet_v2] [--analyze-images 300]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { analyze } from '../src/engine/analyze.js';
import { convertTfjsModelFile } from '../src/io/tfjs/load.js';
import { NSFW_MODELS, writeNsfwModel, type NsfwModelName } from '../test/io/tfjs/nsfwjs-models.js';
import {
  loadGraphModel,
  loadLayersModel,
  maxAbsDiff,
  predictGraph,
  predictLayer,
  tf,
} from '../test/io/tfjs/tfjs-reference.js';
import { fixed, formatTable, ProgressClock, randomBatches, seconds } from './bench/timing.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenet_v2,inception_v3,mobilenet_v2_mid' },
    batch: { type: 'string', default: '8' },
    batches: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1,2' },
    'cpu-models': { type: 'string', default: 'mobilenet_v2' },
    'analyze-images': { type: 'string', default: '300' },
  },
});
const models = args.models.split(',') as NsfwModelName[];
const batchSize = Number(args.batch);
const batchCount = Number(args.batches);
const threadCounts = args.threads.split(',').map(Number);
const cpuModels = new Set(args['cpu-models'].split(',').filter(Boolean));
const analyzeImages = Number(args['analyze-images']);

type Predict = (batch: Float32Array, dims: number[]) => Promise<Float32Array>;

/** Images per second over `batchCount` timed batches after one warm-up; also returns the outputs. */
async function throughput(
  predict: Predict,
  batches: Float32Array[],
  dims: number[],
): Promise<{ rate: number; outputs: Float32Array[] }> {
  await predict(batches[0]!, dims);
  const outputs: Float32Array[] = [];
  const time = await seconds(async () => {
    for (const batch of batches) outputs.push(await predict(batch, dims));
  });
  return { rate: (batches.length * dims[0]!) / time, outputs };
}

async function tfjsPredictor(file: string, name: NsfwModelName): Promise<{ predict: Predict; dispose: () => void }> {
  if (NSFW_MODELS[name].format === 'graph-model') {
    const model = await loadGraphModel(file);
    return { predict: (batch, dims) => predictGraph(model, batch, dims), dispose: () => model.dispose() };
  }
  const model = await loadLayersModel(file);
  return {
    predict: async (batch, dims) => (await predictLayer(model, batch, dims)).data,
    dispose: () => model.dispose(),
  };
}

async function ortPredictor(
  bytes: Uint8Array,
  threads: number,
): Promise<{ predict: Predict; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
  });
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  return {
    predict: async (batch, dims) =>
      (await session.run({ [input!]: new ort.Tensor('float32', batch, dims) }))[output!]!.data as Float32Array,
    release: () => session.release(),
  };
}

function largestDiff(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(...a.map((values, i) => maxAbsDiff(values, b[i]!)));
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-tfjs-'));
try {
  console.log(
    `batch ${batchSize}, ${batchCount} timed batches, ${os.availableParallelism()} cores; images/s (higher is better)\n`,
  );
  const header = [
    'model',
    'input',
    'convert s',
    'tfjs wasm',
    'tfjs cpu',
    ...threadCounts.map((t) => `ort ${t} thr`),
    'ort/wasm (1 thr)',
    'max diff',
  ];
  const rows: string[][] = [header];
  const files = new Map<NsfwModelName, string>();
  for (const name of models) {
    const side = NSFW_MODELS[name].size;
    const file = await writeNsfwModel(name, dir);
    files.set(name, file);
    let bytes: Uint8Array = new Uint8Array();
    const convertSeconds = await seconds(async () => {
      bytes = await convertTfjsModelFile(file);
    });
    const dims = [batchSize, side, side, 3];
    const batches = randomBatches(
      batchCount,
      dims.reduce((a, b) => a * b, 1),
      1,
    );

    await tf.setBackend('wasm');
    const wasm = await tfjsPredictor(file, name);
    const wasmRun = await throughput(wasm.predict, batches, dims);
    wasm.dispose();

    let cpuRate = Number.NaN;
    if (cpuModels.has(name)) {
      await tf.setBackend('cpu');
      const cpu = await tfjsPredictor(file, name);
      cpuRate = (await throughput(cpu.predict, batches.slice(0, 1), dims)).rate;
      cpu.dispose();
      await tf.setBackend('wasm');
    }

    const ortRates: number[] = [];
    let diff = 0;
    for (const threads of threadCounts) {
      const session = await ortPredictor(bytes, threads);
      const run = await throughput(session.predict, batches, dims);
      await session.release();
      ortRates.push(run.rate);
      diff = Math.max(diff, largestDiff(run.outputs, wasmRun.outputs));
    }
    const oneThread = threadCounts.indexOf(1);
    rows.push([
      name,
      `${side}x${side}`,
      fixed(convertSeconds, 2),
      fixed(wasmRun.rate),
      fixed(cpuRate, 2),
      ...ortRates.map((rate) => fixed(rate)),
      oneThread >= 0 ? `${fixed(ortRates[oneThread]! / wasmRun.rate)}x` : '-',
      diff.toExponential(1),
    ]);
    console.log(`${name} done`);
  }
  console.log(`\n${formatTable(rows)}\n`);

  const inception = files.get('inception_v3');
  if (analyzeImages > 0 && inception) {
    const clock = new ProgressClock();
    const layers = Array.from({ length: 11 }, (_, i) => `mixed${i}`);
    const total = await seconds(() =>
      analyze(
        {
          model: inception,
          data: 'mnist',
          out: path.join(dir, 'inception.duckdb'),
          limit: analyzeImages,
          layers,
          threads: Math.max(...threadCounts),
        },
        { onProgress: clock.onProgress },
      ),
    );
    console.log(
      `analyze: InceptionV3 model.json, ${analyzeImages} MNIST digits at 299x299, layers mixed0..mixed10, ${Math.max(...threadCounts)} threads`,
    );
    console.log(`  ${fixed(total)} s end to end; extraction ${fixed(clock.rate('extracting activations'))} images/s`);
    console.log(
      formatTable([['stage', 'seconds'], ...clock.breakdown().map(({ stage, seconds: s }) => [stage, fixed(s, 2)])]),
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
