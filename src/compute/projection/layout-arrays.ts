import { attractionCoefficient, repulsionCoefficient, tabulate } from './gradient-tables.js';
import type { LayoutArrays } from './layout-epochs.js';
import type { SparseGraph } from './sparse-graph.js';

/**
 * The typed arrays one layout run works on, in SharedArrayBuffers when `shared` (for worker
 * threads). Edge e is sampled every wmax / w_e epochs, its negatives 5 times as often (umap-learn's
 * make_epochs_per_sample); both clocks start one period in.
 */
export function layoutArrays(
  layout: Float64Array,
  graph: SparseGraph,
  constants: { a: number; b: number; repulsionStrength: number; negativeSampleRate: number },
  shared: boolean,
): LayoutArrays {
  const allocate = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const ints = (values: ArrayLike<number>): Int32Array => copyInto(new Int32Array(allocate(values.length * 4)), values);
  const doubles = (values: ArrayLike<number>): Float64Array =>
    copyInto(new Float64Array(allocate(values.length * 8)), values);
  const floats = (values: ArrayLike<number>): Float32Array =>
    copyInto(new Float32Array(allocate(values.length * 4)), values);
  const { a, b, repulsionStrength, negativeSampleRate } = constants;
  const heaviest = heaviestWeight(graph);
  const epochsPerSample = Float64Array.from(graph.weights, (weight) => heaviest / weight);
  return {
    count: graph.count,
    rowStart: ints(graph.rowStart),
    columns: ints(graph.columns),
    reverse: ints(reverseEdges(graph)),
    epochsPerSample: doubles(epochsPerSample),
    nextSample: doubles(epochsPerSample),
    nextNegativeSample: doubles(epochsPerSample.map((epochs) => epochs / negativeSampleRate)),
    live: doubles(layout),
    snapshot: doubles(layout),
    owed: doubles(new Float64Array(graph.columns.length * 2)),
    attraction: floats(tabulate((d2) => attractionCoefficient(d2, a, b))),
    repulsion: floats(tabulate((d2) => repulsionCoefficient(d2, a, b, repulsionStrength))),
  };
}

function copyInto<T extends Int32Array | Float64Array | Float32Array>(target: T, values: ArrayLike<number>): T {
  target.set(values);
  return target;
}

function heaviestWeight(graph: SparseGraph): number {
  let heaviest = 0;
  for (const weight of graph.weights) heaviest = Math.max(heaviest, weight);
  return heaviest;
}

/** For each edge (j, k), the index of (k, j); the fuzzy graph is symmetric, so it always exists. */
function reverseEdges({ count, rowStart, columns }: SparseGraph): Int32Array {
  const reverse = new Int32Array(columns.length);
  for (let j = 0; j < count; j++) {
    for (let e = rowStart[j]!; e < rowStart[j + 1]!; e++) {
      const k = columns[e]!;
      let low = rowStart[k]!;
      let high = rowStart[k + 1]! - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (columns[middle]! < j) low = middle + 1;
        else high = middle;
      }
      if (columns[low] !== j) throw new Error(`layout graph is not symmetric: edge ${j} -> ${k} has no reverse`);
      reverse[e] = low;
    }
  }
  return reverse;
}

/** Expected samples (positive and negative) per epoch. */
export function samplesPerEpoch(graph: SparseGraph, negativeSampleRate: number): number {
  const heaviest = heaviestWeight(graph);
  let total = 0;
  for (const weight of graph.weights) total += weight;
  return heaviest > 0 ? (total / heaviest) * (1 + negativeSampleRate) : 0;
}

/** Boundaries of `parts` contiguous vertex ranges with about equal expected work per epoch. */
export function splitVertices(graph: SparseGraph, parts: number, negativeSampleRate: number): number[] {
  const heaviest = heaviestWeight(graph);
  // Per vertex: a fixed cost, one sample-clock check per edge, and the samples its edges draw.
  const costOf = (j: number): number => {
    let cost = 1;
    for (let e = graph.rowStart[j]!; e < graph.rowStart[j + 1]!; e++)
      cost += 0.2 + (graph.weights[e]! / heaviest) * (1 + negativeSampleRate);
    return cost;
  };
  let total = 0;
  for (let j = 0; j < graph.count; j++) total += costOf(j);
  const bounds = [0];
  let running = 0;
  for (let j = 0; j < graph.count && bounds.length < parts; j++) {
    running += costOf(j);
    if (running >= (total * bounds.length) / parts) bounds.push(j + 1);
  }
  while (bounds.length < parts) bounds.push(graph.count);
  bounds.push(graph.count);
  return bounds;
}
