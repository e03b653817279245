import { attractionCoefficient, repulsionCoefficient, TABLE_LENGTH, tabulate } from './gradient-tables.js';
import type { LayoutArrays } from './layout-epochs.js';
import { layoutMemory } from './layout-kernel.js';
import type { SparseGraph } from './sparse-graph.js';

/**
 * The typed arrays one layout run works on, in SharedArrayBuffers when `shared` (for worker
 * threads). Edge e is sampled every wmax / w_e epochs, its negatives 5 times as often (umap-learn's
 * make_epochs_per_sample); both clocks start one period in. `blocks` are the boundaries of the
 * vertex blocks (see layout-epochs.ts): edges between blocks get a slot in `owed`. Both snapshots
 * start as `layout`. With `order`, vertex order[i] of `graph` is the layout's vertex i (`layout` is in
 * the layout's numbering): the rows are renumbered straight into the layout's arrays, with no
 * renumbered copy of the graph beside them. With `wasm` (the default) the arrays live in one shared
 * WebAssembly memory where one can be made, and the epochs run in WebAssembly (layout-kernel.ts).
 */
export function layoutArrays(
  layout: Float64Array,
  graph: SparseGraph,
  constants: { a: number; b: number; repulsionStrength: number; negativeSampleRate: number },
  blocks: number[],
  shared: boolean,
  order?: Int32Array,
  wasm = true,
): LayoutArrays {
  const { count } = graph;
  const edges = graph.columns.length;
  // Every array is of 4-byte elements; `owed` is sized for the most slots there can be (one per edge).
  const elements = 2 * (count + 1) + 5 * edges + 3 * 2 * count + 2 * 2 * edges + 2 * TABLE_LENGTH;
  const memory = wasm ? layoutMemory(4 * elements) : undefined;
  let next = 0;
  const allocate = (bytes: number): [ArrayBufferLike, number] => {
    if (!memory) return [shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes), 0];
    next += bytes;
    return [memory.buffer, next - bytes];
  };
  const ints = (length: number): Int32Array => new Int32Array(...allocate(length * 4), length);
  const floats = (length: number): Float32Array => new Float32Array(...allocate(length * 4), length);
  const floatsOf = (values: ArrayLike<number>): Float32Array => copyInto(floats(values.length), values);
  const { a, b, repulsionStrength, negativeSampleRate } = constants;
  // Every array is written where it will stay: no float64 epochs-per-sample or unshared slots beside them.
  const rows = { count, rowStart: ints(count + 1), columns: ints(graph.columns.length) };
  const schedule = floats(3 * graph.weights.length);
  const vertexAt = order ?? Int32Array.from({ length: count }, (_, i) => i);
  renumberInto(graph, vertexAt, rows, schedule, heaviestWeight(graph), negativeSampleRate);
  const owedStart = ints(count + 1);
  const owedSlot = ints(graph.columns.length);
  fillOwedSlots(rows, blocks, owedSlot, owedStart);
  return {
    count,
    rowStart: rows.rowStart,
    columns: rows.columns,
    owedSlot,
    owedStart,
    schedule,
    live: floatsOf(layout),
    snapshots: [floatsOf(layout), floatsOf(layout)],
    owed: [floats(owedStart[count]! * 2), floats(owedStart[count]! * 2)],
    blockCount: blocks.length - 1,
    attraction: floatsOf(tabulate((d2) => attractionCoefficient(d2, a, b))),
    repulsion: floatsOf(tabulate((d2) => repulsionCoefficient(d2, a, b, repulsionStrength))),
    ...(memory ? { memory } : {}),
  };
}

interface Rows {
  count: number;
  rowStart: Int32Array;
  columns: Int32Array;
}

/**
 * Row i of `rows` is row vertexAt[i] of `graph`, its columns renumbered and sorted ascending (the
 * layout relies on sorted rows to find reverse edges), each edge's schedule beside it (see
 * LayoutArrays): edge e is sampled every wmax / w_e epochs (umap-learn's epochs per sample, computed
 * in float64 as there), its negatives 5 times as often; both clocks start one period in.
 */
function renumberInto(
  graph: SparseGraph,
  vertexAt: Int32Array,
  rows: Rows,
  schedule: Float32Array,
  heaviest: number,
  negativeSampleRate: number,
): void {
  const { rowStart, columns } = rows;
  const position = new Int32Array(graph.count);
  for (let i = 0; i < graph.count; i++) position[vertexAt[i]!] = i;
  let next = 0;
  for (let i = 0; i < graph.count; i++) {
    const vertex = vertexAt[i]!;
    const first = next;
    for (let e = graph.rowStart[vertex]!; e < graph.rowStart[vertex + 1]!; e++) {
      const column = position[graph.columns[e]!]!;
      const perSample = heaviest / graph.weights[e]!;
      // Insertion by column: rows are short.
      let at = next++;
      while (at > first && columns[at - 1]! > column) {
        columns[at] = columns[at - 1]!;
        schedule[3 * at] = schedule[3 * at - 3]!;
        schedule[3 * at + 1] = schedule[3 * at - 2]!;
        schedule[3 * at + 2] = schedule[3 * at - 1]!;
        at--;
      }
      columns[at] = column;
      schedule[3 * at] = perSample;
      schedule[3 * at + 1] = perSample;
      schedule[3 * at + 2] = perSample / negativeSampleRate;
    }
    rowStart[i + 1] = next;
  }
}

/**
 * The slots of `owed`: one per edge (k, j) whose ends lie in different blocks, numbered by k and then
 * by the edge's place in k's row, so that k adds what it is owed in row order. Fills owedSlot[e], the
 * slot where edge e = (j, k) leaves its pull on k (the slot of its reverse edge), -1 within a block.
 */
function fillOwedSlots(rows: Rows, blocks: number[], owedSlot: Int32Array, owedStart: Int32Array): void {
  const { count, rowStart, columns } = rows;
  const blockOf = new Int32Array(count);
  for (let block = 0; block + 1 < blocks.length; block++) blockOf.fill(block, blocks[block], blocks[block + 1]);
  owedSlot.fill(-1);
  let slots = 0;
  for (let k = 0; k < count; k++) {
    for (let e = rowStart[k]!; e < rowStart[k + 1]!; e++) {
      const j = columns[e]!;
      if (blockOf[j] !== blockOf[k]) owedSlot[reverseEdge(rows, k, j)] = slots++;
    }
    owedStart[k + 1] = slots;
  }
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
function reverseEdge({ rowStart, columns }: Rows, j: number, k: number): number {
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
