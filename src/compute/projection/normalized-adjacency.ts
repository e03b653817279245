/**
 * The operator of the spectral layout, y = D^-1/2 W D^-1/2 x for the fuzzy graph W with degrees D,
 * which the Lanczos solve applies once a step: at 60,000 rows half the solve's time. Above
 * HELPER_ABOVE rows, with threads to spare, a helper thread multiplies the second half of the rows
 * (split by edges) while this one does the first. Every row's sum is formed the same way on either
 * thread, so the result is bit-identical whatever the threads.
 */
import { startThread, threadResult, type Thread } from '../threads.js';
import type { SparseGraph } from './sparse-graph.js';

/** Atomics.waitAsync (ES2024, Node 16 on; the project's TypeScript libs stop before it). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      this: void,
      array: Int32Array,
      index: number,
      value: number,
    ): { async: boolean; value: Promise<unknown> | string };
  }
).waitAsync;

/** Rows from which a helper thread takes half of every product (below, starting it costs more than it saves). */
const HELPER_ABOVE = 20_000;

/** Slots of the Int32 control block shared with the helper. */
export const ROUND_SLOTS = { requested: 0, done: 1 } as const;
/** The requested round that tells the helper to stop. */
export const STOP = -1;

/** The arrays of the product, shared with the helper; rows [from, to) are the helper's. */
export interface ProductRows {
  rowStart: Int32Array;
  columns: Int32Array;
  /** Edge e's weight times the inverse square root of its column's degree. */
  scaledWeights: Float64Array;
  inverseSqrtDegree: Float64Array;
  x: Float64Array;
  y: Float64Array;
}

export interface HelperInput {
  rows: ProductRows;
  from: number;
  to: number;
  control: SharedArrayBuffer;
}

export interface NormalizedAdjacency {
  /** y = D^-1/2 W D^-1/2 x. */
  apply: (x: Float64Array, y: Float64Array) => Promise<void>;
  /** Stops the helper thread, if any. */
  close: () => Promise<void>;
}

/** y[row] for rows [from, to) of the product. */
export function multiplyRows(rows: ProductRows, x: Float64Array, y: Float64Array, from: number, to: number): void {
  const { rowStart, columns, scaledWeights, inverseSqrtDegree } = rows;
  for (let row = from; row < to; row++) {
    let sum = 0;
    for (let e = rowStart[row]!; e < rowStart[row + 1]!; e++) sum += scaledWeights[e]! * x[columns[e]!]!;
    y[row] = sum * inverseSqrtDegree[row]!;
  }
}

/** The operator of `graph` (inverseSqrtDegree: 1 / sqrt of each row's weight sum, 0 for an isolated row). */
export function normalizedAdjacency(
  graph: SparseGraph,
  inverseSqrtDegree: Float64Array,
  threads: number,
): NormalizedAdjacency {
  const { count } = graph;
  const helped = threads > 1 && count > HELPER_ABOVE;
  const rows = productRows(graph, inverseSqrtDegree, helped);
  if (!helped) {
    return {
      apply: (x, y) => {
        multiplyRows(rows, x, y, 0, count);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
  }
  const split = halfOfEdges(rows.rowStart, count);
  const control = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const signal = new Int32Array(control);
  const input: HelperInput = { rows, from: split, to: count, control };
  const helper: Thread = startThread(new URL('./normalized-adjacency-worker.js', import.meta.url), input);
  const failed = threadResult<never>(helper, 'spectral layout helper thread', () => undefined);
  failed.catch(() => {}); // raced in every apply; rejections before the first are kept for it
  let round = 0;
  return {
    apply: async (x, y) => {
      rows.x.set(x);
      round++;
      Atomics.store(signal, ROUND_SLOTS.requested, round);
      Atomics.notify(signal, ROUND_SLOTS.requested);
      multiplyRows(rows, rows.x, y, 0, split);
      if (Atomics.load(signal, ROUND_SLOTS.done) !== round) {
        const wait = waitAsync(signal, ROUND_SLOTS.done, round - 1);
        if (wait.async) await Promise.race([wait.value as Promise<unknown>, failed]);
      }
      y.set(rows.y.subarray(split, count), split);
    },
    close: async () => {
      Atomics.store(signal, ROUND_SLOTS.requested, STOP);
      Atomics.notify(signal, ROUND_SLOTS.requested);
      await helper.terminate();
    },
  };
}

/** The product's arrays, in SharedArrayBuffers when a helper shares them. */
function productRows(graph: SparseGraph, inverseSqrtDegree: Float64Array, shared: boolean): ProductRows {
  const { count, rowStart, columns, weights } = graph;
  const allocate = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const floats = (length: number): Float64Array => new Float64Array(allocate(8 * length));
  const scaledWeights = floats(weights.length);
  for (let e = 0; e < weights.length; e++) scaledWeights[e] = weights[e]! * inverseSqrtDegree[columns[e]!]!;
  if (!shared) return { rowStart, columns, scaledWeights, inverseSqrtDegree, x: floats(count), y: floats(count) };
  const sharedRowStart = new Int32Array(allocate(4 * rowStart.length));
  sharedRowStart.set(rowStart);
  const sharedColumns = new Int32Array(allocate(4 * columns.length));
  sharedColumns.set(columns);
  const sharedDegrees = floats(count);
  sharedDegrees.set(inverseSqrtDegree);
  return {
    rowStart: sharedRowStart,
    columns: sharedColumns,
    scaledWeights,
    inverseSqrtDegree: sharedDegrees,
    x: floats(count),
    y: floats(count),
  };
}

/** The first row of the second half of the edges. */
function halfOfEdges(rowStart: Int32Array, count: number): number {
  const half = rowStart[count]! / 2;
  let row = 0;
  while (row < count && rowStart[row]! < half) row++;
  return row;
}
