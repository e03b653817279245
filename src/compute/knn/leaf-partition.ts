import type { SeededRandom } from '../projection/random.js';
import { selectNth } from '../select-nth.js';

/** Rows split into leaves: leaf i holds `order[bounds[i] .. bounds[i + 1])`. */
export interface LeafPartition {
  order: Int32Array;
  bounds: Int32Array;
}

/** Rows in the low-dimensional form the partition splits on: `count x dim`, row-major. */
export interface SplitRows {
  count: number;
  dim: number;
  data: Float32Array;
}

/**
 * A random-projection tree: each node projects its rows on the difference of two of them
 * (pynndescent's hyperplane direction, which follows the data) and cuts them at the sparsest place
 * of the central band (see sparsestCut), so every leaf holds between 0.3 leafSize and leafSize rows
 * (ties too: the cut is by position) and rows that are close tend to share one. Leaves of bounded
 * size are what the blocked products need: every leaf is one dense tile.
 */
export function partitionLeaves(rows: SplitRows, leafSize: number, random: SeededRandom): LeafPartition {
  const { count, dim, data } = rows;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const projections = new Float64Array(count);
  const direction = new Float64Array(dim);
  const bounds: number[] = [];
  const stack: number[] = [0, count];
  while (stack.length > 0) {
    const end = stack.pop()!;
    const start = stack.pop()!;
    const size = end - start;
    if (size <= leafSize) {
      bounds.push(start);
      continue;
    }
    chooseDirection(rows, order, start, size, random, direction);
    for (let i = start; i < end; i++) {
      const base = order[i]! * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += direction[k]! * data[base + k]!;
      projections[i] = sum;
    }
    const middle = sparsestCut(projections, order, start, end);
    stack.push(middle, end, start, middle);
  }
  bounds.sort((a, b) => a - b);
  bounds.push(count);
  return { order, bounds: Int32Array.from(bounds) };
}

/** Where a node's cut may fall, as shares of its rows: never an unbalanced sliver. */
const CUT_LOW = 0.3;
const CUT_HIGH = 0.7;

/**
 * Orders the node's rows so that a cut at the returned position splits them by projection, at the
 * widest gap between consecutive projections in the central band (CUT_LOW to CUT_HIGH of the rows).
 * A median cut would go through the densest part of every cluster it meets, again in every tree, and
 * separate exactly the rows whose neighbours matter most; the widest gap is where the rows thin out.
 */
function sparsestCut(projections: Float64Array, order: Int32Array, start: number, end: number): number {
  const size = end - start;
  const low = start + Math.floor(size * CUT_LOW);
  const high = start + Math.ceil(size * CUT_HIGH);
  selectNth(projections, order, start, end, low);
  selectNth(projections, order, low, end, high);
  sortRange(projections, order, low, high + 1);
  let cut = start + (size >> 1);
  let widest = -1;
  for (let at = low + 1; at <= high; at++) {
    const gap = projections[at]! - projections[at - 1]!;
    if (gap > widest) {
      widest = gap;
      cut = at;
    }
  }
  return cut;
}

/** Sorts keys[start, end) ascending, `order` alongside (insertion sort for short runs, else quicksort). */
function sortRange(keys: Float64Array, order: Int32Array, start: number, end: number): void {
  while (end - start > 24) {
    const mid = start + ((end - start) >> 1);
    selectNth(keys, order, start, end, mid);
    if (mid - start < end - mid) {
      sortRange(keys, order, start, mid);
      start = mid + 1;
    } else {
      sortRange(keys, order, mid + 1, end);
      end = mid;
    }
  }
  for (let i = start + 1; i < end; i++) {
    const key = keys[i]!;
    const row = order[i]!;
    let j = i - 1;
    while (j >= start && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      order[j + 1] = order[j]!;
      j--;
    }
    keys[j + 1] = key;
    order[j + 1] = row;
  }
}

/** The difference of two distinct random rows of the node (a random direction when they coincide). */
function chooseDirection(
  rows: SplitRows,
  order: Int32Array,
  start: number,
  size: number,
  random: SeededRandom,
  direction: Float64Array,
): void {
  const { dim, data } = rows;
  for (let attempt = 0; attempt < 4; attempt++) {
    const a = order[start + random.nextInt(size)]! * dim;
    const b = order[start + random.nextInt(size)]! * dim;
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      direction[k] = data[a + k]! - data[b + k]!;
      norm += direction[k]! * direction[k]!;
    }
    if (norm > 0) return;
  }
  for (let k = 0; k < dim; k++) direction[k] = random.nextGaussian();
}
