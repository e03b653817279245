/**
 * The model runner the pipeline uses: one onnxruntime session over a derived copy of the model in which
 * every requested layer is an extra graph output, so one `session.run` per batch yields all layers. The
 * session lives in a worker thread (worker-session.ts), so decoding and storing go on while the model runs.
 *
 * Chunks: a batch of N items is run in chunks small enough for the processor's cache (itemsPerRun), and
 * when the model declares a fixed batch dimension B (often 1) in ceil(N / B) chunks of B items, the last
 * chunk padded with zeros whose results are dropped; the returned tensors always have N rows.
 */
import { InputError, option } from '../../errors.js';
import { decoded, graphOutputs, resolveLayers, withExtraOutputs, type DecodedModel } from './graph.js';
import { resolveDevice, type DeviceOption } from './device.js';
import { modelInputs, type Feed, type ModelInput } from './model-inputs.js';
import { pooledOutputNames } from './pooling.js';
import { formatDims } from './layout.js';
import { readModelFile, resolveThreads } from './session.js';
import { WorkerSession, type WireTensor } from './worker-session.js';

export interface LayerTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** A layer reduced inside the model: per item and unit, the mean and the max over all positions. */
export interface PooledTensor {
  name: string;
  /** [N, C]: one value per item and unit. */
  dims: number[];
  mean: Float32Array;
  max: Float32Array;
}

export type RunOutput = { layers: LayerTensor[]; pooled: PooledTensor[]; output: LayerTensor };

export interface ModelRunner {
  /** The first runtime input (the image input of an image model). */
  readonly inputName: string;
  /** As declared by the model; strings are symbolic dims (e.g. 'batch'). */
  readonly inputDims: (number | string)[];
  /** Every runtime input, each fed by name (runFeeds). */
  readonly inputs: ModelInput[];
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
  run(batch: Float32Array, batchDims: number[]): Promise<RunOutput>;
  /** As run, for a model with any inputs: one feed per runtime input, each with the batch as first axis. */
  runFeeds(feeds: Feed[]): Promise<RunOutput>;
  /** Seconds the model has waited between runs with nothing to compute (starved by its caller), if known. */
  idleSeconds?(): number;
  close(): Promise<void>;
}

export interface OnnxRunnerOptions {
  /** Tensor names of the layers to read out (see listLayers); duplicates are read once. */
  layers: string[];
  /** onnxruntime intra-op threads. Default: all cores (os.availableParallelism()). */
  threads?: number;
  /** Execution provider: 'cpu' (default), 'cuda', 'webgpu', or 'auto' (the first that starts). */
  device?: DeviceOption;
  /**
   * Layers of `layers` to pool inside the model: their per-unit mean and max over positions come back
   * instead of their raw tensors, which is far cheaper for big feature maps. Each must be a channels-first
   * tensor [N, C, ...positions] of rank 3 or more. Default none.
   */
  pooled?: string[];
  /**
   * Most items per session.run: a bigger batch is run in chunks of this many. Default: as many as keep a
   * chunk's input within RUN_INPUT_BYTES (see itemsPerRun). A model with a fixed batch size B runs B at a time.
   */
  itemsPerRun?: number;
}

/**
 * Input bytes per session.run when OnnxRunnerOptions.itemsPerRun is not given. An image model's largest
 * activations are several times its input (MobileNetV2: 8x), and onnxruntime's CPU kernels run much faster
 * while a run's activations stay in the processor's cache: MobileNetV2 at 224x224 on one thread computes
 * about 20% more images/s in runs of 4 images than of 32. 2.5 MB is 4 such images, and a whole batch of
 * small images (MNIST: 3 KB each).
 */
export const RUN_INPUT_BYTES = 2.5e6;

/** Items per session.run for items of `itemFloats` float32 values each: `requested`, else by RUN_INPUT_BYTES. */
export function itemsPerRun(itemFloats: number, requested?: number): number {
  return requested ?? Math.max(1, Math.floor(RUN_INPUT_BYTES / (4 * itemFloats)));
}

export async function openOnnxModel(path: string, options: OnnxRunnerOptions): Promise<ModelRunner> {
  return openOnnxBytes(await readModelFile(path), path, options);
}

/** Same as openOnnxModel for model bytes already in memory; `source` names them in error messages. */
/** A runner of model bytes, or of a model decoded once for a whole run (see withExtraOutputs). */
export async function openOnnxBytes(
  bytes: Uint8Array | DecodedModel,
  source: string,
  options: OnnxRunnerOptions,
): Promise<ModelRunner> {
  const threads = resolveThreads(options.threads);
  const perRun = options.itemsPerRun;
  if (perRun !== undefined && (!Number.isInteger(perRun) || perRun < 1)) {
    throw new InputError(`itemsPerRun = ${perRun} is not a positive integer`, {
      hint: 'pass 1 or more items per run, or leave it out',
    });
  }
  const model = decoded(bytes, source);
  const { graph } = model;
  const inputs = modelInputs(graph, source);
  const [output] = graphOutputs(graph);
  if (!output) throw new InputError(`${source} declares no outputs`, { hint: 'export the model with its output' });

  const layerNames = [...new Set(options.layers)];
  resolveLayers(graph, layerNames);
  const pooled = new Set(options.pooled ?? []);
  const outside = [...pooled].find((name) => !layerNames.includes(name));
  if (outside !== undefined) {
    throw new InputError(`pooled layer '${outside}' is not one of the layers read out`, {
      hint: 'list every pooled layer in layers as well',
    });
  }
  const pooledNames = layerNames.filter((name) => pooled.has(name));
  const rawNames = layerNames.filter((name) => !pooled.has(name));
  const device = await resolveDevice(options.device);
  const session = await WorkerSession.open(
    withExtraOutputs(model, rawNames, source, pooledNames),
    source,
    threads,
    device,
  );
  return new OnnxModelRunner(session, inputs, output.name, layerNames, pooledNames, perRun);
}

class OnnxModelRunner implements ModelRunner {
  /** The model's declared batch size, or undefined when the batch dimension is symbolic. */
  private readonly fixedBatch: number | undefined;
  readonly inputName: string;
  readonly inputDims: (number | string)[];

  constructor(
    private readonly session: WorkerSession,
    readonly inputs: ModelInput[],
    readonly outputName: string,
    readonly layerNames: string[],
    readonly pooledNames: string[],
    private readonly perRun: number | undefined,
  ) {
    this.inputName = inputs[0]!.name;
    this.inputDims = inputs[0]!.dims;
    const declared = this.inputDims[0];
    this.fixedBatch = typeof declared === 'number' && declared > 0 ? declared : undefined;
  }

  async run(batch: Float32Array, batchDims: number[]): Promise<RunOutput> {
    if (this.inputs.length > 1) {
      throw new InputError(
        `the model has ${this.inputs.length} inputs (${this.inputs.map((i) => i.name).join(', ')})`,
        {
          hint: 'feed every input by name (runFeeds), from a dataset that provides each of them',
        },
      );
    }
    return this.runFeeds([{ name: this.inputName, type: 'float32', dims: batchDims, data: batch }]);
  }

  async runFeeds(feeds: Feed[]): Promise<RunOutput> {
    const count = this.checkFeeds(feeds);
    const itemFloats = feeds.reduce((n, feed) => n + feed.data.length / count, 0);
    const chunk = this.fixedBatch ?? Math.min(count, itemsPerRun(itemFloats, this.perRun));
    const rawNames = this.layerNames.filter((n) => !this.pooledNames.includes(n));
    const pooledOutputs = this.pooledNames.map(pooledOutputNames);
    const fetches = [
      ...new Set([this.outputName, ...rawNames, ...pooledOutputs.flatMap(({ mean, max }) => [mean, max])]),
    ];
    // Every chunk is handed to the worker at once, which runs them back to back: awaiting each before
    // sending the next left the model idle whenever the main thread was busy (decoding, storing) as a
    // chunk ended.
    const runs: Promise<RunPart>[] = [];
    for (let start = 0; start < count; start += chunk) {
      const items = Math.min(chunk, count - start);
      // Only a fixed batch size needs a short last chunk padded; otherwise it runs as it is.
      const runItems = this.fixedBatch ?? items;
      const chunkFeeds = Object.fromEntries(
        feeds.map((feed) => {
          const itemSize = feed.data.length / count;
          let data = feed.data.subarray(start * itemSize, (start + items) * itemSize);
          if (items < runItems) {
            const padded = new (data.constructor as new (length: number) => typeof data)(runItems * itemSize);
            padded.set(data as never);
            data = padded;
          }
          return [feed.name, { type: feed.type, data, dims: [runItems, ...feed.dims.slice(1)] }];
        }),
      );
      runs.push(this.session.run(chunkFeeds, fetches).then((outputs) => ({ outputs, items, runItems })));
    }
    const parts = await Promise.all(runs);
    const gather = (name: string): LayerTensor => concatBatch(name, parts, count);
    const pooled = this.pooledNames.map((name, i): PooledTensor => {
      const mean = gather(pooledOutputs[i]!.mean);
      return { name, dims: mean.dims, mean: mean.data, max: gather(pooledOutputs[i]!.max).data };
    });
    return { layers: rawNames.map(gather), pooled, output: gather(this.outputName) };
  }

  idleSeconds(): number {
    return this.session.idleMs / 1000;
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  /** Throws unless `feeds` fit the model's inputs, one each, with one batch; returns its item count. */
  private checkFeeds(feeds: Feed[]): number {
    const missing = this.inputs.find((input) => !feeds.some((feed) => feed.name === input.name));
    if (missing) {
      throw new InputError(`model input '${missing.name}' [${formatDims(missing.dims)}] ${missing.type} is not fed`, {
        hint: `feed every input of the model: ${this.inputs.map((input) => input.name).join(', ')}`,
      });
    }
    const count = feeds[0]?.dims[0];
    if (count === undefined) {
      throw new InputError('no feeds were given', { hint: 'feed every input of the model' });
    }
    for (const feed of feeds) {
      const input = this.inputs.find((candidate) => candidate.name === feed.name);
      if (!input) {
        throw new InputError(`the model has no input '${feed.name}'`, {
          hint: `its inputs: ${this.inputs.map((i) => i.name).join(', ')}`,
        });
      }
      if (feed.type !== input.type) {
        throw new InputError(`model input '${feed.name}' takes ${input.type}, not ${feed.type}`, {
          hint: `convert the data of '${feed.name}' to ${input.type}`,
        });
      }
      this.checkBatch(feed, input.dims);
      if (feed.dims[0] !== count) {
        throw new InputError(`feed '${feed.name}' has ${feed.dims[0]} rows, the others ${count}`, {
          hint: 'give every input the same batch of items',
        });
      }
    }
    return count;
  }

  private checkBatch({ name, data, dims: batchDims }: Feed, declared: (number | string)[]): void {
    const fits =
      batchDims.length === declared.length &&
      batchDims.every(
        (d, i) => Number.isInteger(d) && d > 0 && (i === 0 || typeof declared[i] !== 'number' || declared[i] === d),
      );
    if (!fits) {
      throw new InputError(
        `the model input '${name}' expects [${formatDims(declared)}] but got a batch shaped [${formatDims(batchDims)}]`,
        { hint: shapeHint(declared, batchDims) },
      );
    }
    const expected = batchDims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new InputError(
        `batch holds ${data.length} values but its dims [${formatDims(batchDims)}] need ${expected}`,
        {
          hint: 'pass batch data whose length is the product of batchDims',
        },
      );
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
    if (a === z && b === x && c === y) return `the channel axis is in the wrong place: set ${option('layout', 'NCHW')}`;
    if (a === y && b === z && c === x) return `the channel axis is in the wrong place: set ${option('layout', 'NHWC')}`;
    return `resize images and set channels to match [${formatDims(declared.slice(1))}] (${option('imageSize')})`;
  }
  return `make each item [${formatDims(declared.slice(1))}] in preprocessing`;
}

/** One session.run of a batch: its outputs, the batch items it holds, and the items it ran (padding included). */
interface RunPart {
  outputs: Record<string, WireTensor>;
  items: number;
  runItems: number;
}

/** A tensor of the whole batch from the runs' parts: their rows in order, padding rows dropped. */
function concatBatch(name: string, parts: RunPart[], count: number): LayerTensor {
  const tensors = parts.map((part) => part.outputs[name]);
  const first = tensors[0];
  if (!first || first.type !== 'float32') {
    throw new InputError(`tensor '${name}' came back as ${first ? first.type : 'nothing'}, not float32`, {
      hint: 'nap reads float32 tensors: pick float32 layers, and export the model with a float32 first output',
    });
  }
  const misfit = parts.findIndex((part, i) => tensors[i]!.dims[0] !== part.runItems);
  if (misfit >= 0) {
    throw new InputError(
      `layer '${name}' has dims [${formatDims(tensors[misfit]!.dims)}] whose first axis is not the batch (${parts[misfit]!.runItems})`,
      {
        hint: 'pick a layer whose output keeps one row per input item',
      },
    );
  }
  const rowDims = first.dims.slice(1);
  // A lone run is returned as is when it holds no padding rows.
  if (parts.length === 1 && first.dims[0] === count)
    return { name, dims: first.dims, data: first.data as Float32Array };
  const rowSize = rowDims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * rowSize);
  let row = 0;
  parts.forEach((part, i) => {
    data.set((tensors[i]!.data as Float32Array).subarray(0, part.items * rowSize), row * rowSize);
    row += part.items;
  });
  return { name, dims: [count, ...rowDims], data };
}
