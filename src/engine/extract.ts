import { aggregateInto, aggregatedDim, layerGeometry, type Aggregation, type ChannelOrder, type LayerGeometry } from '../compute/aggregate.js';
import { MaxActivations } from '../compute/max-activations.js';
import { makeMatrix, type Matrix } from '../compute/matrix.js';
import { divideColumns, poolDivisors, updateMaxAbs } from '../compute/normalize.js';
import { predict } from '../compute/predictions.js';
import { InputError } from '../errors.js';
import type { Dataset, LoadedBatch, Preprocessing } from '../io/datasets/types.js';
import type { LayerTensor, ModelRunner } from '../io/onnx/runner.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';

export interface ExtractionPlan {
  runner: ModelRunner;
  dataset: Dataset;
  /** Dataset item indices to run, in order; row r of every result is item `items[r]`. */
  items: Int32Array;
  preprocessing: Preprocessing;
  layers: { name: string; order: ChannelOrder }[];
  aggregation: Aggregation;
  batchSize: number;
  /** How many max-activating inputs to keep per unit and per layer. */
  topK: number;
  /** Default true: unreadable images are dropped and reported; false: the first one is an error. */
  skipBadImages: boolean;
}

export interface LayerActivations {
  name: string;
  /** Dims of one input's raw tensor (batch dim dropped). */
  itemDims: number[];
  geometry: LayerGeometry;
  /** Aggregated, unit-normalized activations: one row per kept input. */
  matrix: Matrix;
  /** Per-column divisor used by the normalization (max |value| over inputs). */
  divisors: Float64Array;
  maxActivations: MaxActivations;
}

export interface Extraction {
  /** Dataset item index of each kept row. */
  items: Int32Array;
  layers: LayerActivations[];
  prediction: Int32Array;
  probability: Float32Array;
  classCount: number;
  skipped: LoadedBatch['failed'];
}

interface LayerAccumulator {
  name: string;
  order: ChannelOrder;
  itemDims?: number[];
  geometry?: LayerGeometry;
  values?: Float32Array;
  dim: number;
  maxActivations?: MaxActivations;
}

function checkFinite(tensor: LayerTensor, count: number, firstRow: number, plan: ExtractionPlan): void {
  const itemSize = tensor.data.length / Math.max(1, tensor.dims[0] ?? 1);
  for (let i = 0; i < count * itemSize; i++) {
    if (!Number.isFinite(tensor.data[i]!)) {
      const item = plan.items[firstRow + Math.floor(i / itemSize)]!;
      throw new InputError(`layer '${tensor.name}' produced ${tensor.data[i]} for input ${plan.dataset.items[item]?.path ?? item}`, {
        hint: 'the model gives non-finite activations for this input: check its preprocessing (scale, mean/std) or leave the layer out with --layers',
      });
    }
  }
}

/**
 * Runs the model over the plan's items in batches, one forward pass per batch for all layers, keeping only
 * aggregated activations (raw tensors are dropped after each batch, so memory is N x aggregated dims).
 * The next batch decodes while the model runs on the current one.
 */
export async function extractActivations(plan: ExtractionPlan, control: TaskControl = {}): Promise<Extraction> {
  const total = plan.items.length;
  const accumulators: LayerAccumulator[] = plan.layers.map((layer) => ({ name: layer.name, order: layer.order, dim: 0 }));
  const prediction = new Int32Array(total);
  const probability = new Float32Array(total);
  const failedRows = new Set<number>();
  const skipped: LoadedBatch['failed'] = [];
  let classCount = 0;

  const load = (start: number) =>
    plan.dataset.load(plan.items.subarray(start, Math.min(total, start + plan.batchSize)), plan.preprocessing, { signal: control.signal });

  let pending = total > 0 ? load(0) : undefined;
  for (let start = 0; start < total; start += plan.batchSize) {
    throwIfCancelled(control.signal, 'extraction');
    const batch = await pending!;
    const count = Math.min(plan.batchSize, total - start);
    pending = start + plan.batchSize < total ? load(start + plan.batchSize) : undefined;
    for (const failure of batch.failed) {
      if (!plan.skipBadImages) {
        throw new InputError(`cannot read image ${failure.path}: ${failure.reason}`, { hint: 'fix or remove the file, or skip unreadable images (the default)' });
      }
      skipped.push(failure);
      const row = plan.items.indexOf(failure.index, start);
      if (row >= 0) failedRows.add(row);
    }
    const { layers, output } = await plan.runner.run(batch.data, batch.dims);
    const outputSize = output.data.length / count;
    classCount = outputSize;
    const predicted = predict(output.data, count, outputSize);
    prediction.set(predicted.classIndex, start);
    probability.set(predicted.probability, start);
    layers.forEach((tensor, l) => {
      const acc = accumulators[l]!;
      if (!acc.geometry) {
        acc.itemDims = tensor.dims.slice(1);
        acc.geometry = layerGeometry(tensor.dims, acc.order);
        acc.dim = aggregatedDim(plan.aggregation, acc.geometry);
        acc.values = new Float32Array(total * acc.dim);
        acc.maxActivations = new MaxActivations(acc.geometry, plan.topK);
      }
      checkFinite(tensor, count, start, plan);
      aggregateInto(tensor.data, count, acc.geometry, plan.aggregation, acc.values!, start);
      acc.maxActivations!.add(tensor.data, count, start);
    });
    control.onProgress?.({ stage: 'extracting activations', done: start + count, total });
  }

  const keep = Int32Array.from({ length: total }, (_, r) => r).filter((r) => !failedRows.has(r));
  if (keep.length === 0) {
    throw new InputError(`none of the ${total} inputs could be read`, { hint: 'check the dataset path and image files' });
  }
  return {
    items: keep.map((r) => plan.items[r]!),
    prediction: keep.map((r) => prediction[r]!),
    probability: Float32Array.from(keep, (r) => probability[r]!),
    classCount,
    skipped,
    layers: accumulators.map((acc) => finishLayer(acc, keep, total, plan.aggregation)),
  };
}

function finishLayer(acc: LayerAccumulator, keep: Int32Array, total: number, aggregation: Aggregation): LayerActivations {
  const dim = acc.dim;
  const values = keep.length === total ? acc.values! : compactRows(acc.values!, dim, keep);
  const matrix = makeMatrix(keep.length, dim, values);
  const maxAbs = new Float64Array(dim);
  updateMaxAbs(matrix, maxAbs);
  const geometry = acc.geometry!;
  const divisors = aggregation === 'none' && geometry.positions > 1 ? poolDivisors(maxAbs, unitOfColumn(geometry), geometry.units) : maxAbs;
  divideColumns(matrix, divisors);
  return { name: acc.name, itemDims: acc.itemDims!, geometry, matrix, divisors, maxActivations: remapMaxActivations(acc.maxActivations!, keep, total) };
}

function compactRows(values: Float32Array, dim: number, keep: Int32Array): Float32Array {
  const out = new Float32Array(keep.length * dim);
  keep.forEach((r, i) => out.set(values.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/** With aggregation 'none', column c of an item belongs to the unit it came from. */
function unitOfColumn(geometry: LayerGeometry): Int32Array {
  const { units, positions, order } = geometry;
  return Int32Array.from({ length: units * positions }, (_, c) => (order === 'channels-first' ? Math.floor(c / positions) : c % units));
}

/** Max activations were recorded by row before unreadable rows were dropped: renumber them to kept rows. */
function remapMaxActivations(max: MaxActivations, keep: Int32Array, total: number): MaxActivations {
  if (keep.length === total) return max;
  const newRow = new Int32Array(total).fill(-1);
  keep.forEach((r, i) => (newRow[r] = i));
  const remapped = new MaxActivations(max.geometry, max.top.k);
  for (let slot = 0; slot < max.top.slots; slot++) {
    const { ids, values } = max.top.entries(slot);
    ids.forEach((id, i) => {
      if (newRow[id]! >= 0) remapped.top.offer(slot, values[i]!, newRow[id]!);
    });
  }
  return remapped;
}
