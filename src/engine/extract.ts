import { createHash } from 'node:crypto';
import {
  aggregateInto,
  aggregatedDim,
  layerGeometry,
  type Aggregation,
  type ChannelOrder,
  type LayerGeometry,
} from '../compute/aggregate.js';
import { gatherRows } from '../compute/matrix.js';
import { unitMaximaInto } from '../compute/max-activations.js';
import { predict } from '../compute/predictions.js';
import { CancelledError, InputError } from '../errors.js';
import type { Dataset, DatasetBase, FailedItem, Preprocessing } from '../io/datasets/types.js';
import type { LayerLayout } from '../io/onnx/layer-layout.js';
import type { LayerTensor, ModelRunner, PooledTensor, RunOutput } from '../io/onnx/runner.js';
import type { NamedTensor } from '../io/tensor.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';

export interface ExtractedLayer {
  name: string;
  /** The ONNX op that produces the layer's tensor. */
  opType: string;
  /** Dims of one input's raw tensor (batch dim dropped). */
  itemDims: number[];
  /** Token sequence, spatial map or flat vector (see src/io/onnx/layer-layout.ts). */
  layout: LayerLayout;
  geometry: LayerGeometry;
  /** Columns of the aggregated activations. */
  dim: number;
}

/** One batch of model feeds from the dataset; rows of `failed` items are zeros. */
export interface FedBatch {
  feeds: NamedTensor[];
  failed: FailedItem[];
  /** Attention mask of the batch (rows x tokens, 0 = padding), left out of token aggregations. */
  mask?: { tokens: number; data: Uint8Array };
}

/** Reads the dataset items at `indices` as model feeds. */
export type BatchLoader = (indices: Int32Array, control: TaskControl) => Promise<FedBatch>;

/** The loader of an image dataset: its decoded, preprocessed images feed the model input `inputName`. */
export function imageBatchLoader(dataset: Dataset, preprocessing: Preprocessing, inputName: string): BatchLoader {
  return async (indices, control) => {
    const batch = await dataset.load(indices, preprocessing, control.signal ? { signal: control.signal } : {});
    return { feeds: [{ name: inputName, type: 'float32', dims: batch.dims, data: batch.data }], failed: batch.failed };
  };
}

/** What one batch yields for the inputs that could be read; rows are positions in the plan's `items`. */
export interface ExtractedBatch {
  /** Rows [start, start + count) of the plan were processed, whether or not each could be read. */
  start: number;
  count: number;
  rows: Int32Array;
  prediction: Int32Array;
  probability: Float32Array;
  /** Class probabilities of `rows` (rows x classes; NaN rows where the model named no class). */
  probabilities: Float32Array;
  classes: number;
  /** sha256 (hex) of each row's model input tensor: equal digests are exact duplicates for the model. */
  digest: string[];
  /** Per layer: raw aggregated activations and per-unit maxima of `rows`. */
  layers: { values: Float32Array; unitMax: Float32Array }[];
  /** Per entry of the plan's unitMaps: the unit's raw map (positions values per row) and its maximum. */
  unitMaps: { values: Float32Array; unitMax: Float32Array }[];
  skipped: FailedItem[];
}

export interface ExtractionPlan {
  runner: ModelRunner;
  dataset: DatasetBase;
  /** Dataset item index of each row of the analysis. */
  items: Int32Array;
  /** Reads a batch of items as model feeds (imageBatchLoader for images). */
  load: BatchLoader;
  layers: ExtractedLayer[];
  aggregation: Aggregation;
  /** Units whose raw spatial maps are kept for unit patterns: index into `layers` and unit number. */
  unitMaps: { layer: number; unit: number }[];
  batchSize: number;
  /** Unreadable images: dropped and reported (true) or an error naming the first one (false). */
  skipBadImages: boolean;
}

/**
 * A layer's aggregation geometry from its output dims (batch first) and its layout: a channel order
 * (spatial or flat), or a traced layout with its units, positions and prefix tokens (see LayerShape).
 */
export function describeLayer(
  name: string,
  opType: string,
  dims: number[],
  layout: ChannelOrder | LayoutGeometry,
  aggregation: Aggregation,
): ExtractedLayer {
  const geometry: LayerGeometry =
    typeof layout === 'string'
      ? layerGeometry(dims, layout)
      : { units: layout.units, positions: layout.positions, order: layout.order, prefix: layout.prefixTokens };
  const kind: LayerLayout = typeof layout === 'string' ? (geometry.positions > 1 ? 'spatial' : 'flat') : layout.layout;
  if (aggregation === 'cls' && kind !== 'tokens') {
    throw new InputError(`aggregation 'cls' takes a token layer's first token, and layer '${name}' is ${kind}`, {
      hint: 'use --aggregation mean (or max, absmax) for it, leave it out with --layers, or force --layout LAYER=tokens',
    });
  }
  return { name, opType, itemDims: dims.slice(1), layout: kind, geometry, dim: aggregatedDim(aggregation, geometry) };
}

/** What describeLayer needs of a traced layout (a LayerShape). */
export interface LayoutGeometry {
  layout: LayerLayout;
  order: ChannelOrder;
  units: number;
  positions: number;
  prefixTokens: number;
}

/**
 * Rejects a non-finite value in a layer's tensor, naming the input. Rows of unreadable images (`failed`
 * batch offsets) are skipped: they were fed as zeros, and a model may well give NaN or Inf for an all-zero
 * input (a division by the input's norm, a log), which says nothing about the images that were read.
 */
function checkFinite(
  tensor: LayerTensor,
  count: number,
  firstRow: number,
  plan: ExtractionPlan,
  failed: ReadonlySet<number>,
): void {
  const itemSize = tensor.data.length / count;
  for (let i = 0; i < tensor.data.length; i++) {
    if (!Number.isFinite(tensor.data[i]!)) {
      const offset = Math.floor(i / itemSize);
      if (failed.has(offset)) {
        i = (offset + 1) * itemSize - 1;
        continue;
      }
      const item = plan.items[firstRow + offset]!;
      throw new InputError(
        `layer '${tensor.name}' produced ${tensor.data[i]} for input ${plan.dataset.items[item]?.path ?? item}`,
        {
          hint: 'the model gives non-finite activations for this input: check its preprocessing (--scale, --mean, --std) or leave the layer out with --layers',
        },
      );
    }
  }
}

/** Contiguous ranges of rows in [0, total) that are not covered by `done` ranges, split into batches. */
export function pendingBatches(
  total: number,
  done: { start: number; count: number }[],
  batchSize: number,
): { start: number; count: number }[] {
  const covered = new Uint8Array(total);
  for (const range of done) covered.fill(1, range.start, Math.min(total, range.start + range.count));
  const batches: { start: number; count: number }[] = [];
  let row = 0;
  while (row < total) {
    if (covered[row]) {
      row++;
      continue;
    }
    let end = row;
    while (end < total && !covered[end] && end - row < batchSize) end++;
    batches.push({ start: row, count: end - row });
    row = end;
  }
  return batches;
}

/**
 * Runs the model over the given batches of the plan, one forward pass per batch for all layers, and hands
 * each batch's aggregated activations to `commit` (which stores them) in order: raw tensors never outlive
 * their batch, and everything committed survives an interruption. Three stages overlap: while the model
 * runs on batch b (with batch b+1 queued behind it as soon as it is decoded), batch b+2 decodes and batch
 * b-1 is aggregated and committed (the runner computes off the main thread, see
 * src/io/onnx/worker-session.ts). A batch that cannot be read (skipBadImages false) fails only after every
 * batch before it is committed.
 */
export async function extractActivations(
  plan: ExtractionPlan,
  batches: { start: number; count: number }[],
  commit: (batch: ExtractedBatch) => Promise<void>,
  control: TaskControl = {},
): Promise<void> {
  const total = batches.reduce((n, b) => n + b.count, 0);
  // Set once the loop below has ended (done, failed or cancelled): work started ahead must start no more.
  let stopped = false;
  const load = (index: number) => {
    const { start, count } = batches[index]!;
    return handled(
      plan.load(plan.items.subarray(start, start + count), control.signal ? { signal: control.signal } : {}),
    );
  };
  let decoding = batches.length > 0 ? load(0) : undefined;
  /** Batch `index` once decoded, with the model started on it; the batch after it starts decoding. */
  const launch = async (index: number): Promise<{ batch: FedBatch; output: Promise<RunOutput> }> => {
    const batch = await decoding!;
    // The decode may finish after the extraction has given up: starting the next load or the model then
    // would be work nobody awaits (and a load refused by an aborted signal, a rejection nobody handles).
    if (stopped) throw new CancelledError('extraction');
    decoding = index + 1 < batches.length ? load(index + 1) : undefined;
    const first = batch.failed[0];
    if (first && !plan.skipBadImages) {
      throw new InputError(`cannot read image ${first.path}: ${first.reason}`, {
        hint: 'fix or remove the file, or leave out --fail-on-bad-image to skip unreadable images',
      });
    }
    return { batch, output: handled(plan.runner.runFeeds(batch.feeds)) };
  };
  let next = batches.length > 0 ? handled(launch(0)) : undefined;
  try {
    let done = 0;
    for (let b = 0; b < batches.length; b++) {
      throwIfCancelled(control.signal, 'extraction');
      const { batch, output } = await next!;
      // The next batch goes to the model as soon as it is decoded, queued behind this one: the model then
      // never waits for this batch's outputs to be received, aggregated and committed.
      next = b + 1 < batches.length ? handled(launch(b + 1)) : undefined;
      const outputs = await output;
      await commit(assembleBatch(plan, batches[b]!, batch, outputs));
      done += batches[b]!.count;
      control.onProgress?.({ stage: 'extracting activations', done, total });
    }
  } finally {
    // Work started ahead is abandoned when a batch fails or is cancelled: every such promise was made with
    // handled(), as its rejection is expected, and the flag keeps a decode that ends later from going on.
    stopped = true;
  }
}

/** The same promise, marked as handled: it is awaited later, after other awaits, and may reject before. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** One batch's predictions, aggregated layers and unit maps, for the inputs that could be read. */
function assembleBatch(
  plan: ExtractionPlan,
  { start, count }: { start: number; count: number },
  batch: FedBatch,
  { layers, pooled, output }: RunOutput,
): ExtractedBatch {
  // By item, not by first position: an item listed twice (explicit indices) fails at both positions.
  const failedItems = new Set(batch.failed.map((failure) => failure.index));
  const failed = new Set<number>();
  plan.items.subarray(start, start + count).forEach((item, offset) => {
    if (failedItems.has(item)) failed.add(offset);
  });
  const raw = new Map(layers.map((tensor) => [tensor.name, tensor]));
  const reduced = new Map(pooled.map((tensor) => [tensor.name, tensor]));
  const kept = Int32Array.from({ length: count }, (_, i) => i).filter((i) => !failed.has(i));
  const classes = output.data.length / count;
  const predicted = predict(output.data, count, classes);
  const result: ExtractedBatch = {
    start,
    count,
    rows: kept.map((i) => start + i),
    // An output row with NaN or +Inf names no class: stored as "no prediction" (-1, probability NaN).
    prediction: kept.map((i) => (Number.isFinite(predicted.probability[i]!) ? predicted.classIndex[i]! : -1)),
    probability: Float32Array.from(kept, (i) => predicted.probability[i]!),
    probabilities: gatherRows(predicted.probabilities, classes, kept),
    classes,
    digest: Array.from(kept, (i) => digestOf(batch.feeds, i, count)),
    layers: [],
    unitMaps: [],
    skipped: batch.failed,
  };
  for (const layer of plan.layers) {
    const mask =
      layer.layout === 'tokens' && batch.mask?.tokens === layer.geometry.positions ? batch.mask.data : undefined;
    const { values, unitMax } = aggregateLayer(layer, raw, reduced, count, start, plan, failed, mask);
    result.layers.push(
      kept.length === count
        ? { values, unitMax }
        : { values: gatherRows(values, layer.dim, kept), unitMax: gatherRows(unitMax, layer.geometry.units, kept) },
    );
  }
  for (const map of plan.unitMaps) {
    const { geometry } = plan.layers[map.layer]!;
    const values = unitMapRows(raw.get(plan.layers[map.layer]!.name)!.data, geometry, map.unit, kept);
    const unitMax = new Float32Array(kept.length);
    for (let r = 0; r < kept.length; r++)
      unitMax[r] = Math.max(...values.subarray(r * geometry.positions, (r + 1) * geometry.positions));
    result.unitMaps.push({ values, unitMax });
  }
  return result;
}

/**
 * One layer's aggregated values and unit maxima for all `count` items of a batch: from the runtime's pooled
 * mean and max when the runner pools the layer (aggregation 'mean' or 'max' only), else from its raw tensor.
 * A non-finite value anywhere in a layer's tensor makes its pooled mean non-finite too, so checking the
 * pooled values still catches it.
 */
function aggregateLayer(
  layer: ExtractedLayer,
  raw: Map<string, LayerTensor>,
  reduced: Map<string, PooledTensor>,
  count: number,
  start: number,
  plan: ExtractionPlan,
  failed: ReadonlySet<number>,
  mask: Uint8Array | undefined,
): { values: Float32Array; unitMax: Float32Array } {
  const pooled = reduced.get(layer.name);
  if (pooled) {
    if (plan.aggregation !== 'mean' && plan.aggregation !== 'max') {
      throw new RangeError(
        `layer '${layer.name}' is pooled, which serves 'mean' and 'max' aggregation only, not '${plan.aggregation}'`,
      );
    }
    checkFinite({ name: layer.name, dims: pooled.dims, data: pooled.mean }, count, start, plan, failed);
    checkFinite({ name: layer.name, dims: pooled.dims, data: pooled.max }, count, start, plan, failed);
    return { values: plan.aggregation === 'mean' ? pooled.mean : pooled.max, unitMax: pooled.max };
  }
  const tensor = raw.get(layer.name)!;
  checkFinite(tensor, count, start, plan, failed);
  const values = new Float32Array(count * layer.dim);
  aggregateInto(tensor.data, count, layer.geometry, plan.aggregation, values, 0, mask);
  const unitMax = new Float32Array(count * layer.geometry.units);
  unitMaximaInto(tensor.data, count, layer.geometry, unitMax, 0, mask);
  return { values, unitMax };
}

/** Unit `unit`'s values at every position for the given items, one row of `positions` values per item. */
function unitMapRows(source: Float32Array, geometry: LayerGeometry, unit: number, items: Int32Array): Float32Array {
  const { units, positions, order } = geometry;
  const out = new Float32Array(items.length * positions);
  items.forEach((item, r) => {
    const base = item * units * positions;
    for (let p = 0; p < positions; p++) {
      out[r * positions + p] =
        source[order === 'channels-first' ? base + unit * positions + p : base + p * units + unit]!;
    }
  });
  return out;
}

/** SHA-256 of row `row` of every feed (of `count` rows), in feed order: what the model was fed for one input. */
function digestOf(feeds: FedBatch['feeds'], row: number, count: number): string {
  const hash = createHash('sha256');
  for (const { data } of feeds) {
    const size = data.byteLength / count;
    hash.update(new Uint8Array(data.buffer, data.byteOffset + row * size, size));
  }
  return hash.digest('hex');
}
