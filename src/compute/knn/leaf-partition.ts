import type { SeededRandom } from '../projection/random.js';

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
    projectRows(data, dim, order, start, end, direction, projections);
    const middle = sparsestCut(projections, order, start, end);
    stack.push(middle, end, start, middle);
  }
  bounds.sort((a, b) => a - b);
  bounds.push(count);
  return { order, bounds: Int32Array.from(bounds) };
}

/** projections[i] = direction . row order[i], for i in [start, end) (four sums: a shorter dependency chain). */
function projectRows(
  data: Float32Array,
  dim: number,
  order: Int32Array,
  start: number,
  end: number,
  direction: Float64Array,
  projections: Float64Array,
): void {
  const tail = dim - (dim % 4);
  for (let i = start; i < end; i++) {
    const base = order[i]! * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = 0;
    for (; k < tail; k += 4) {
      s0 += direction[k]! * data[base + k]!;
      s1 += direction[k + 1]! * data[base + k + 1]!;
      s2 += direction[k + 2]! * data[base + k + 2]!;
      s3 += direction[k + 3]! * data[base + k + 3]!;
    }
    for (; k < dim; k++) s0 += direction[k]! * data[base + k]!;
    projections[i] = s0 + s1 + (s2 + s3);
  }
}

/** Where a node's cut may fall, as shares of its rows: never an unbalanced sliver. */
const CUT_LOW = 0.3;
const CUT_HIGH = 0.7;

/**
 * Orders the node's rows so that a cut at the returned position splits them by projection, at the
 * widest gap between consecutive projections in the central band (CUT_LOW to CUT_HIGH of the rows).
 * A median cut would go through the densest part of every cluster it meets, again in every tree, and
 * separate exactly the rows whose neighbours matter most; the widest gap is where the rows thin out.
 * The gap is found in linear time, without sorting the band (see widestGap).
 */
function sparsestCut(projections: Float64Array, order: Int32Array, start: number, end: number): number {
  const size = end - start;
  const low = start + Math.floor(size * CUT_LOW);
  const high = start + Math.ceil(size * CUT_HIGH);
  selectNth(projections, order, start, end, low);
  selectNth(projections, order, low, end, high);
  // projections[low] and projections[high] are now the band's least and greatest values.
  const least = projections[low]!;
  const greatest = projections[high]!;
  if (!(greatest > least)) return low + 1;
  const below = widestGap(projections, low, high + 1, least, greatest);
  // Rows before `low` lie at or below `least`, rows after `high` at or above `greatest`: only the band moves.
  let i = low;
  let j = high;
  while (i <= j) {
    if (projections[i]! <= below) i++;
    else swap(projections, order, i, j--);
  }
  return i;
}

/** Scratch of widestGap, grown as needed (one partition runs at a time on a thread). */
let gapLeast = new Float64Array(0);
let gapGreatest = new Float64Array(0);

/**
 * The lower end of the widest gap between consecutive values of `keys[start, end)`, which lie in
 * [least, greatest] (least < greatest), by the pigeonhole bound: of end - start - 1 equal buckets
 * between least and greatest, some gap is at least a bucket wide, so the widest runs from one non-empty
 * bucket's greatest value to the next one's least (the first of equally wide gaps).
 */
function widestGap(keys: Float64Array, start: number, end: number, least: number, greatest: number): number {
  const buckets = Math.max(1, end - start - 1);
  if (gapLeast.length < buckets) {
    gapLeast = new Float64Array(buckets);
    gapGreatest = new Float64Array(buckets);
  }
  gapLeast.fill(Infinity, 0, buckets);
  gapGreatest.fill(-Infinity, 0, buckets);
  const scale = buckets / (greatest - least);
  for (let at = start; at < end; at++) {
    const key = keys[at]!;
    const bucket = Math.min(buckets - 1, Math.floor((key - least) * scale));
    if (key < gapLeast[bucket]!) gapLeast[bucket] = key;
    if (key > gapGreatest[bucket]!) gapGreatest[bucket] = key;
  }
  let below = least;
  let widest = -1;
  let previous = gapGreatest[0]!;
  for (let bucket = 1; bucket < buckets; bucket++) {
    if (gapLeast[bucket] === Infinity) continue;
    const gap = gapLeast[bucket]! - previous;
    if (gap > widest) {
      widest = gap;
      below = previous;
    }
    previous = gapGreatest[bucket]!;
  }
  return below;
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

/**
 * Reorders `keys[start, end)` (and `order` alongside) so that position `nth` holds the value it would
 * hold if sorted, with no larger value before it and no smaller one after (Hoare's quickselect).
 */
export function selectNth(keys: Float64Array, order: Int32Array, start: number, end: number, nth: number): void {
  let low = start;
  let high = end - 1;
  while (high > low) {
    const mid = (low + high) >> 1;
    // Median of three as the pivot keeps sorted or clustered input from going quadratic.
    const a = keys[low]!;
    const b = keys[mid]!;
    const c = keys[high]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = low;
    let j = high;
    while (i <= j) {
      while (keys[i]! < pivot) i++;
      while (keys[j]! > pivot) j--;
      if (i <= j) {
        swap(keys, order, i, j);
        i++;
        j--;
      }
    }
    if (nth <= j) high = j;
    else if (nth >= i) low = i;
    else return;
  }
}

function swap(keys: Float64Array, order: Int32Array, i: number, j: number): void {
  const key = keys[i]!;
  keys[i] = keys[j]!;
  keys[j] = key;
  const row = order[i]!;
  order[i] = order[j]!;
  order[j] = row;
}
