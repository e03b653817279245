/**
 * TF.js itself as the reference: loading a model.json from disk (tfjs-node is not installed, so files
 * are read here and handed over in memory), saving tfjs-built models the way tensorflowjs_converter lays
 * them out, and predicting any layer. Runs on the wasm backend, which is many times faster than the
 * pure-JS cpu backend in Node.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

let backend: Promise<boolean> | undefined;

/** Selects the wasm backend once per process. */
export function useWasmBackend(): Promise<boolean> {
  backend ??= tf.setBackend('wasm');
  return backend;
}

interface ModelJsonFile {
  format?: string;
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

/** Reads model.json and its shards as tfjs model artifacts. */
export async function readArtifacts(file: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(await readFile(file, 'utf8')) as ModelJsonFile;
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest)
    for (const shard of group.paths) shards.push(await readFile(path.join(path.dirname(file), shard)));
  const data = Buffer.concat(shards);
  return {
    format: json.format,
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    userDefinedMetadata: json.userDefinedMetadata as Record<string, object> | undefined,
  };
}

export async function loadLayersModel(file: string): Promise<tf.LayersModel> {
  await useWasmBackend();
  return tf.loadLayersModel(tf.io.fromMemory(await readArtifacts(file)));
}

export async function loadGraphModel(file: string): Promise<tf.GraphModel> {
  await useWasmBackend();
  return tf.loadGraphModel(tf.io.fromMemory(await readArtifacts(file)));
}

/** Saves a tfjs model as `<dir>/model.json` + `weights.bin`, the layout tensorflowjs_converter writes; returns the model.json path. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<string> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((saved) => {
      artifacts = saved;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  const { modelTopology, weightSpecs, weightData } = artifacts!;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(weightData as ArrayBuffer));
  const file = path.join(dir, 'model.json');
  await writeFile(
    file,
    JSON.stringify({
      format: 'layers-model',
      modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
    }),
  );
  return file;
}

/**
 * Output of `layer` (default: the model's output) for a batch in the model's own (channels-last) layout;
 * `name:k` is the output of the layer's call k (shared layers, nested models).
 */
export async function predictLayer(
  model: tf.LayersModel,
  batch: Float32Array,
  dims: number[],
  layer?: string,
): Promise<{ data: Float32Array; dims: number[] }> {
  const target = layer === undefined ? model : tf.model({ inputs: model.inputs, outputs: layerOutput(model, layer) });
  const input = tf.tensor(batch, dims);
  const output = target.predict(input) as tf.Tensor;
  const data = (await output.data()) as Float32Array;
  const result = { data, dims: output.shape };
  tf.dispose([input, output]);
  return result;
}

/** Several layers' outputs from one forward pass, in `layers` order. */
export async function predictLayers(
  model: tf.LayersModel,
  batch: Float32Array,
  dims: number[],
  layers: string[],
): Promise<Float32Array[]> {
  const target = tf.model({ inputs: model.inputs, outputs: layers.map((layer) => layerOutput(model, layer)) });
  const input = tf.tensor(batch, dims);
  const predicted = target.predict(input);
  const outputs = Array.isArray(predicted) ? predicted : [predicted];
  const data = await Promise.all(outputs.map(async (output) => (await output.data()) as Float32Array));
  tf.dispose([input, ...outputs]);
  return data;
}

function layerOutput(model: tf.LayersModel, layer: string): tf.SymbolicTensor {
  const [name, call] = layer.split(':') as [string, string | undefined];
  const found = model.getLayer(name);
  return (call === undefined ? found.output : found.getOutputAt(Number(call))) as tf.SymbolicTensor;
}

export async function predictGraph(model: tf.GraphModel, batch: Float32Array, dims: number[]): Promise<Float32Array> {
  const input = tf.tensor(batch, dims);
  const output = model.predict(input) as tf.Tensor;
  const data = (await output.data()) as Float32Array;
  tf.dispose([input, output]);
  return data;
}

/** Deterministic weights for every variable of a freshly built model (variances kept positive). */
export function setSeededWeights(model: tf.LayersModel, seed = 1): void {
  let state = seed;
  const next = () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  const values = model.weights.map((w) => {
    const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const positive = /variance|moving_var/.test(w.name);
    const data = Float32Array.from({ length: size }, () => (positive ? 0.5 + next() : (next() - 0.5) * 0.8));
    return tf.tensor(data, w.shape as number[]);
  });
  model.setWeights(values);
  tf.dispose(values);
}

/** Channels-first [N,C,H,W] data moved to channels-last [N,H,W,C]. */
export function nchwToNhwc(data: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < n!; i++)
    for (let k = 0; k < c!; k++)
      for (let p = 0; p < h! * w!; p++) out[(i * h! * w! + p) * c! + k] = data[(i * c! + k) * h! * w! + p]!;
  return out;
}

/** Largest |a - b| relative to the reference's scale (max |b|, at least 1): float32 rounding grows with the values. */
export function scaledMaxDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1;
  for (const value of b) scale = Math.max(scale, Math.abs(value));
  return maxAbsDiff(a, b) / scale;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export { tf };
