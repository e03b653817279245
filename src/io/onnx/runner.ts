/**
 * The model runner the pipeline uses: one onnxruntime session over a derived copy of the model in which
 * every requested layer is an extra graph output, so one `session.run` per batch yields all layers.
 *
 * Fixed batch sizes: when the model declares a fixed batch dimension B (often 1), a batch of N items is
 * run in ceil(N / B) chunks of B items, the last chunk padded with zeros whose results are dropped; the
 * returned tensors always have N rows.
 */
import * as ort from 'onnxruntime-node';
import { InputError } from '../../errors.js';
import { decodeModel, graphOutputs, pooledOutputNames, resolveLayers, singleFloatInput, withExtraOutputs } from './graph.js';
import { formatDims } from './layout.js';
import { createSession, readModelFile, resolveThreads } from './session.js';

export interface LayerTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** A layer reduced inside the model: per item and unit, the mean and the max over all positions. */
export interface PooledTensor {
  name: string;
  /** [N, C, 1, ...]: one value per item and unit. */
  dims: number[];
  mean: Float32Array;
  max: Float32Array;
}

export interface ModelRunner {
  readonly inputName: string;
  /** As declared by the model; strings are symbolic dims (e.g. 'batch'). */
  readonly inputDims: (number | string)[];
  /** The model's first output, used for predictions. */
  readonly outputName: string;
  readonly layerNames: string[];
  /** The layers of layerNames that are pooled inside the model (OnnxRunnerOptions.pooled). */
  readonly pooledNames: string[];
  /**
   * Runs one batch (row-major, dims `batchDims`); every returned tensor has the batch as its first axis.
   * `layers` holds the raw tensors of the layers that are not pooled and `pooled` the pooled ones, each
   * in layerNames order.
   */
  run(batch: Float32Array, batchDims: number[]): Promise<{ layers: LayerTensor[]; pooled: PooledTensor[]; output: LayerTensor }>;
  close(): Promise<void>;
}

export interface OnnxRunnerOptions {
  /** Tensor names of the layers to read out (see listLayers); duplicates are read once. */
  layers: string[];
  /** onnxruntime intra-op threads. Default: all cores (os.availableParallelism()). */
  threads?: number;
  /**
   * Layers of `layers` to pool inside the model: their per-unit mean and max over positions come back
   * instead of their raw tensors, which is far cheaper for big feature maps. Each must be a channels-first
   * tensor [N, C, ...positions] of rank 3 or more. Default none.
   */
  pooled?: string[];
}

export async function openOnnxModel(path: string, options: OnnxRunnerOptions): Promise<ModelRunner> {
  return openOnnxBytes(await readModelFile(path), path, options);
}

/** Same as openOnnxModel for model bytes already in memory; `source` names them in error messages. */
export async function openOnnxBytes(
  bytes: Uint8Array,
  source: string,
  options: OnnxRunnerOptions,
): Promise<ModelRunner> {
  const threads = resolveThreads(options.threads);
  const { graph } = decodeModel(bytes, source);
  const input = singleFloatInput(graph, source);
  const [output] = graphOutputs(graph);
  if (!output) throw new InputError(`${source} declares no outputs`, { hint: 'export the model with its output' });

  const layerNames = [...new Set(options.layers)];
  resolveLayers(graph, layerNames);
  const pooled = new Set(options.pooled ?? []);
  const outside = [...pooled].find((name) => !layerNames.includes(name));
  if (outside !== undefined) {
    throw new InputError(`pooled layer '${outside}' is not one of the layers read out`, { hint: 'list every pooled layer in layers as well' });
  }
  const pooledNames = layerNames.filter((name) => pooled.has(name));
  const rawNames = layerNames.filter((name) => !pooled.has(name));
  const session = await createSession(withExtraOutputs(bytes, rawNames, source, pooledNames), source, threads);
  return new OnnxModelRunner(session, input.name, input.dims, output.name, layerNames, pooledNames);
}

class OnnxModelRunner implements ModelRunner {
  /** The model's declared batch size, or undefined when the batch dimension is symbolic. */
  private readonly fixedBatch: number | undefined;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly inputName: string,
    readonly inputDims: (number | string)[],
    readonly outputName: string,
    readonly layerNames: string[],
    readonly pooledNames: string[],
  ) {
    const declared = inputDims[0];
    this.fixedBatch = typeof declared === 'number' && declared > 0 ? declared : undefined;
  }

  async run(batch: Float32Array, batchDims: number[]): Promise<{ layers: LayerTensor[]; pooled: PooledTensor[]; output: LayerTensor }> {
    this.checkBatch(batch, batchDims);
    const count = batchDims[0];
    const chunk = this.fixedBatch ?? count;
    const itemSize = batch.length / count;
    const rawNames = this.layerNames.filter((n) => !this.pooledNames.includes(n));
    const pooledOutputs = this.pooledNames.map(pooledOutputNames);
    const fetches = [...new Set([this.outputName, ...rawNames, ...pooledOutputs.flatMap(({ mean, max }) => [mean, max])])];
    const parts: Record<string, ort.Tensor>[] = [];
    for (let start = 0; start < count; start += chunk) {
      const items = Math.min(chunk, count - start);
      let data = batch.subarray(start * itemSize, (start + items) * itemSize);
      if (items < chunk) {
        const padded = new Float32Array(chunk * itemSize);
        padded.set(data);
        data = padded;
      }
      const feed = new ort.Tensor('float32', data, [chunk, ...batchDims.slice(1)]);
      parts.push((await this.session.run({ [this.inputName]: feed }, fetches)) as Record<string, ort.Tensor>);
    }
    const gather = (name: string): LayerTensor => concatBatch(name, parts, chunk, count);
    const pooled = this.pooledNames.map((name, i): PooledTensor => {
      const mean = gather(pooledOutputs[i]!.mean);
      return { name, dims: mean.dims, mean: mean.data, max: gather(pooledOutputs[i]!.max).data };
    });
    return { layers: rawNames.map(gather), pooled, output: gather(this.outputName) };
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private checkBatch(batch: Float32Array, batchDims: number[]): void {
    const declared = this.inputDims;
    const fits =
      batchDims.length === declared.length &&
      batchDims.every((d, i) => Number.isInteger(d) && d > 0 && (i === 0 || typeof declared[i] !== 'number' || declared[i] === d));
    if (!fits) {
      throw new InputError(
        `the model input '${this.inputName}' expects [${formatDims(declared)}] but got a batch shaped [${formatDims(batchDims)}]`,
        { hint: shapeHint(declared, batchDims) },
      );
    }
    const expected = batchDims.reduce((a, b) => a * b, 1);
    if (batch.length !== expected) {
      throw new InputError(`batch holds ${batch.length} values but its dims [${formatDims(batchDims)}] need ${expected}`, {
        hint: 'pass batch data whose length is the product of batchDims',
      });
    }
  }
}

/** Suggests the preprocessing option that makes a given batch shape fit the model's declared one. */
function shapeHint(declared: (number | string)[], given: number[]): string {
  if (declared.length !== given.length) {
    return declared.length === 4
      ? 'this is an image model: load the data as images (image preprocessing builds [N,C,H,W] or [N,H,W,C] batches)'
      : `flatten or reshape each item to [${formatDims(declared.slice(1))}] in preprocessing`;
  }
  if (declared.length === 4) {
    const [, a, b, c] = declared;
    const [, x, y, z] = given;
    if (a === z && b === x && c === y) return 'the channel axis is in the wrong place: set the layout option to NCHW';
    if (a === y && b === z && c === x) return 'the channel axis is in the wrong place: set the layout option to NHWC';
    return `resize images and set channels to match [${formatDims(declared.slice(1))}] (image size and channels options)`;
  }
  return `make each item [${formatDims(declared.slice(1))}] in preprocessing`;
}

function concatBatch(name: string, parts: Record<string, ort.Tensor>[], chunk: number, count: number): LayerTensor {
  const first = parts[0][name];
  if (!first || first.type !== 'float32') {
    throw new InputError(`tensor '${name}' came back as ${first ? first.type : 'nothing'}, not float32`, {
      hint: 'nap reads float32 tensors: pick float32 layers, and export the model with a float32 first output',
    });
  }
  const dims = first.dims.map(Number);
  if (dims[0] !== chunk) {
    throw new InputError(`layer '${name}' has dims [${formatDims(dims)}] whose first axis is not the batch (${chunk})`, {
      hint: 'pick a layer whose output keeps one row per input item',
    });
  }
  // A lone chunk is returned as is only when it holds no padding rows.
  if (parts.length === 1 && count === chunk) return { name, dims, data: first.data as Float32Array };
  const rowSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * rowSize);
  parts.forEach((part, i) => {
    const rows = Math.min(chunk, count - i * chunk);
    data.set((part[name].data as Float32Array).subarray(0, rows * rowSize), i * chunk * rowSize);
  });
  return { name, dims: [count, ...dims.slice(1)], data };
}
