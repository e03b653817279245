import { attractionCoefficient, repulsionCoefficient, tabulate } from './gradient-tables.js';
import type { LayoutArrays } from './layout-epochs.js';
import type { SparseGraph } from './sparse-graph.js';

/**
 * The typed arrays one layout run works on, in SharedArrayBuffers when `shared` (for worker
 * threads). Edge e is sampled every wmax / w_e epochs, its negatives 5 times as often (umap-learn's
 * make_epochs_per_sample); both clocks start one period in. `blocks` are the boundaries of the
 * vertex blocks (see layout-epochs.ts): edges between blocks get a slot in `owed`. Both snapshots
 * start as `layout`.
 */
export function layoutArrays(
  layout: Float64Array,
  graph: SparseGraph,
  constants: { a: number; b: number; repulsionStrength: number; negativeSampleRate: number },
  blocks: number[],
  shared: boolean,
): LayoutArrays {
  const allocate = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const ints = (values: ArrayLike<number>): Int32Array => copyInto(new Int32Array(allocate(values.length * 4)), values);
  const floats = (values: ArrayLike<number>): Float32Array =>
    copyInto(new Float32Array(allocate(values.length * 4)), values);
  const { a, b, repulsionStrength, negativeSampleRate } = constants;
  const heaviest = heaviestWeight(graph);
  // map, not Float64Array.from(weights, fn): from goes through an iterator and a list of boxed numbers (GBs at 1M inputs).
  const epochsPerSample = graph.weights.map((weight) => heaviest / weight);
  const { owedSlot, owedStart } = owedSlots(graph, blocks);
  return {
    count: graph.count,
    rowStart: ints(graph.rowStart),
    columns: ints(graph.columns),
    owedSlot: ints(owedSlot),
    owedStart: ints(owedStart),
    schedule: floats(scheduleOf(epochsPerSample, negativeSampleRate)),
    live: floats(layout),
    snapshots: [floats(layout), floats(layout)],
    owed: [
      floats(new Float32Array(owedStart[graph.count]! * 2)),
      floats(new Float32Array(owedStart[graph.count]! * 2)),
    ],
    blockCount: blocks.length - 1,
    attraction: floats(tabulate((d2) => attractionCoefficient(d2, a, b))),
    repulsion: floats(tabulate((d2) => repulsionCoefficient(d2, a, b, repulsionStrength))),
  };
}

/** The interleaved schedule of LayoutArrays: both clocks start one period in. */
function scheduleOf(epochsPerSample: Float64Array, negativeSampleRate: number): Float32Array {
  const schedule = new Float32Array(3 * epochsPerSample.length);
  epochsPerSample.forEach((perSample, e) => {
    schedule[3 * e] = perSample;
    schedule[3 * e + 1] = perSample;
    schedule[3 * e + 2] = perSample / negativeSampleRate;
  });
  return schedule;
}

/**
 * The slots of `owed`: one per edge (k, j) whose ends lie in different blocks, numbered by k and then
 * by the edge's place in k's row, so that k adds what it is owed in row order. owedSlot[e] is the
 * slot where edge e = (j, k) leaves its pull on k (the slot of its reverse edge), -1 within a block.
 */
function owedSlots(graph: SparseGraph, blocks: number[]): { owedSlot: Int32Array; owedStart: Int32Array } {
  const { count, rowStart, columns } = graph;
  const blockOf = new Int32Array(count);
  for (let block = 0; block + 1 < blocks.length; block++) blockOf.fill(block, blocks[block], blocks[block + 1]);
  const owedStart = new Int32Array(count + 1);
  const slotOfEdge = new Int32Array(columns.length).fill(-1);
  let slots = 0;
  for (let k = 0; k < count; k++) {
    for (let e = rowStart[k]!; e < rowStart[k + 1]!; e++)
      if (blockOf[columns[e]!] !== blockOf[k]) slotOfEdge[e] = slots++;
    owedStart[k + 1] = slots;
  }
  const owedSlot = new Int32Array(columns.length).fill(-1);
  for (let j = 0; j < count; j++) {
    for (let e = rowStart[j]!; e < rowStart[j + 1]!; e++) {
      if (slotOfEdge[e]! >= 0) owedSlot[e] = slotOfEdge[reverseEdge(graph, j, columns[e]!)]!;
    }
  }
  return { owedSlot, owedStart };
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

/** The index of edge (k, j); the fuzzy graph is symmetric and its rows sorted, so it exists and is found by bisection. */
function reverseEdge({ rowStart, columns }: SparseGraph, j: number, k: number): number {
  let low = rowStart[k]!;
  let high = rowStart[k + 1]! - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (columns[middle]! < j) low = middle + 1;
    else high = middle;
  }
  if (columns[low] !== j) throw new Error(`layout graph is not symmetric: edge ${j} -> ${k} has no reverse`);
  return low;
}

/** Expected samples (positive and negative) per epoch. */
export function samplesPerEpoch(graph: SparseGraph, negativeSampleRate: number): number {
  const heaviest = heaviestWeight(graph);
  let total = 0;
  for (const weight of graph.weights) total += weight;
  return heaviest > 0 ? (total / heaviest) * (1 + negativeSampleRate) : 0;
}

/**
 * Boundaries of `parts` contiguous vertex ranges with about equal expected work per epoch, the vertices
 * taken in `order` (entry i is the vertex that comes i-th; default: by index).
 */
export function splitVertices(
  graph: SparseGraph,
  parts: number,
  negativeSampleRate: number,
  order?: Int32Array,
): number[] {
  const heaviest = heaviestWeight(graph);
  // Per vertex: a fixed cost, one sample-clock check per edge, and the samples its edges draw.
  const costOf = (i: number): number => {
    const j = order ? order[i]! : i;
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
