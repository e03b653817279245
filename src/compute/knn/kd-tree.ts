import { symmetricEigen } from '../projection/symmetric-eigen.js';
import { selectNth } from '../select-nth.js';

/**
 * A k-d tree over the rows of a float32 matrix, for exact euclidean neighbour searches in low
 * dimensions. The tree lives in the rows' principal axes (rows centred and rotated, in float64):
 * activations spread along few directions, and a tree split along them prunes far more than one
 * split along the raw coordinates. Nodes split at the median of their widest axis, each node keeps
 * its bounding box, and the rows are copied in tree order so a leaf is one contiguous block.
 *
 * Rotated distances only screen (with a slack far above their rounding error); every distance a
 * search reports is summed exactly as `rowDistance` (src/compute/hdbscan/distance.ts) sums it: the
 * float64 differences of the float32 values, squared and added in coordinate order, so a squared
 * distance found here has the same value, and its square root the same float64 distance.
 */
export interface KdTree {
  count: number;
  dim: number;
  /** Rows in tree order: `rows[order[p]]` is at position p. */
  order: Int32Array;
  /** The rows in tree order as float64, position-major. */
  points: Float64Array;
  /** The rows in tree order, centred and rotated to their principal axes (largest spread first), as float32. */
  rotated: Float32Array;
  /** Bound on how far a rotated distance can fall below the true one through rounding (absolute). */
  slack: number;
  /** Per node: its positions [start, end), its children (-1 for a leaf) and its box. */
  start: Int32Array;
  end: Int32Array;
  left: Int32Array;
  right: Int32Array;
  low: Float64Array;
  high: Float64Array;
}

/** Rows per leaf: small enough to prune well, large enough that a leaf's scan outweighs its box test. */
export const KD_LEAF_SIZE = 24;

/** The rows' principal axes: their mean and the eigenvectors of their sampled covariance, largest spread first. */
export interface PrincipalAxes {
  mean: Float64Array;
  /** Unit axes as rows, dim x dim. */
  axes: Float64Array;
  /** The (sampled) variance along each axis, largest first. */
  variances: Float64Array;
}

/** Rows sampled for the covariance: the rotation only steers the pruning, it never changes a result. */
const COVARIANCE_ROWS = 5_000;

export function principalAxes(count: number, dim: number, data: Float32Array): PrincipalAxes {
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let k = 0; k < dim; k++) mean[k]! += data[r * dim + k]!;
  for (let k = 0; k < dim; k++) mean[k]! /= Math.max(1, count);
  const step = Math.max(1, Math.floor(count / COVARIANCE_ROWS));
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r += step) {
    for (let k = 0; k < dim; k++) centred[k] = data[r * dim + k]! - mean[k]!;
    for (let a = 0; a < dim; a++) {
      const ca = centred[a]!;
      for (let b = a; b < dim; b++) covariance[a * dim + b]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) covariance[a * dim + b] = covariance[b * dim + a]!;
  const { vectors, values } = symmetricEigen(covariance, dim);
  return { mean, axes: vectors, variances: values };
}

/** How many leading axes hold `share` of the total variance (all of them when it is 0). */
export function axesHolding(axes: PrincipalAxes, share: number): number {
  const { variances } = axes;
  let total = 0;
  for (const v of variances) total += Math.max(0, v);
  let sum = 0;
  for (let k = 0; k < variances.length; k++) {
    sum += Math.max(0, variances[k]!);
    if (sum >= share * total) return k + 1;
  }
  return variances.length;
}

export function buildKdTree(
  count: number,
  dim: number,
  data: Float32Array,
  axes = principalAxes(count, dim, data),
  leafSize = KD_LEAF_SIZE,
): KdTree {
  const { rotated: unordered, slack } = rotate(count, dim, data, axes);
  const tree = splitTree(count, dim, unordered, leafSize);
  const { order } = tree;
  const points = new Float64Array(count * dim);
  const rotated = new Float32Array(count * dim);
  for (let p = 0; p < count; p++) {
    const row = order[p]! * dim;
    for (let k = 0; k < dim; k++) {
      points[p * dim + k] = data[row + k]!;
      rotated[p * dim + k] = unordered[row + k]!;
    }
  }
  return { count, dim, points, rotated, slack, ...tree };
}

/**
 * The rows centred and rotated onto `axes`, stored as float32 (half the memory the searches stream
 * through), and the slack: float32 storage moves a rotated row by at most 2^-24 of its norm, so a
 * rotated difference by at most 1.2e-7 of the largest centred norm; the float64 rotation's rounding
 * and departure from orthogonality (~1e-15 relative per axis) add far less; 1e-6 covers both.
 */
function rotate(
  count: number,
  dim: number,
  data: Float32Array,
  { mean, axes }: PrincipalAxes,
): { rotated: Float32Array; slack: number } {
  const centred = new Float64Array(dim);
  const rotated = new Float32Array(count * dim);
  let largest = 0;
  for (let r = 0; r < count; r++) {
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      centred[k] = data[r * dim + k]! - mean[k]!;
      norm += centred[k]! * centred[k]!;
    }
    largest = Math.max(largest, Math.sqrt(norm));
    for (let a = 0; a < dim; a++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += axes[a * dim + k]! * centred[k]!;
      rotated[r * dim + a] = sum;
    }
  }
  return { rotated, slack: 1e-6 * largest + Number.MIN_VALUE };
}

type SplitTree = Omit<KdTree, 'count' | 'dim' | 'points' | 'rotated' | 'slack'>;

function splitTree(count: number, dim: number, data: Float32Array, leafSize: number): SplitTree {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const capacity = 2 * Math.ceil(count / Math.max(1, Math.floor(leafSize / 2))) + 1;
  const start = new Int32Array(capacity);
  const end = new Int32Array(capacity);
  const left = new Int32Array(capacity).fill(-1);
  const right = new Int32Array(capacity).fill(-1);
  const low = new Float64Array(capacity * dim);
  const high = new Float64Array(capacity * dim);
  const values = new Float64Array(count);
  let nodes = 0;
  const stack: number[] = [];
  const open = (first: number, last: number): number => {
    const node = nodes++;
    start[node] = first;
    end[node] = last;
    const base = node * dim;
    for (let k = 0; k < dim; k++) {
      low[base + k] = Infinity;
      high[base + k] = -Infinity;
    }
    for (let p = first; p < last; p++) {
      const row = order[p]! * dim;
      for (let k = 0; k < dim; k++) {
        const v = data[row + k]!;
        if (v < low[base + k]!) low[base + k] = v;
        if (v > high[base + k]!) high[base + k] = v;
      }
    }
    stack.push(node);
    return node;
  };
  open(0, count);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const first = start[node]!;
    const last = end[node]!;
    if (last - first <= leafSize) continue;
    const base = node * dim;
    let axis = 0;
    for (let k = 1; k < dim; k++) {
      if (high[base + k]! - low[base + k]! > high[base + axis]! - low[base + axis]!) axis = k;
    }
    // All rows at one point: a leaf, whatever its size.
    if (high[base + axis]! === low[base + axis]!) continue;
    for (let p = first; p < last; p++) values[p] = data[order[p]! * dim + axis]!;
    const middle = (first + last) >> 1;
    selectNth(values, order, first, last, middle);
    left[node] = open(first, middle);
    right[node] = open(middle, last);
  }
  return {
    order,
    start: start.slice(0, nodes),
    end: end.slice(0, nodes),
    left: left.slice(0, nodes),
    right: right.slice(0, nodes),
    low: low.slice(0, nodes * dim),
    high: high.slice(0, nodes * dim),
  };
}

/** Leading principal axes that node boxes are tested on. */
const BOX_AXES = 16;

/** Rotated coordinates summed between two checks of a partial distance against the bar. */
const PARTIAL_STEP = 8;

/**
 * The squared rotated distance above which a row cannot be within squared distance `bar`: the
 * rotated distance is at least the true one less `slack` (see principalAxes), and 1e-9 more covers
 * the rounding of this bound itself.
 */
function screenBar(bar: number, slack: number): number {
  if (bar === Infinity) return Infinity;
  const reach = Math.sqrt(bar) * (1 + 1e-9) + slack;
  return reach * reach;
}

/**
 * The `width` nearest other rows of every position's row, by squared distance then row index,
 * written per ROW (not position) to `ids` and `squared` (width entries each, nearest first).
 * Positions are taken in chunks from `claim` (for sharing out between threads); -1 ends.
 */
export function kdNearest(
  tree: KdTree,
  width: number,
  claim: () => number,
  chunk: number,
  ids: Int32Array,
  squared: Float64Array,
): void {
  const { count, dim, order, points, rotated, slack, start, end, left, right, low, high } = tree;
  const heapValues = new Float64Array(width);
  const heapIds = new Int32Array(width);
  const query = new Float64Array(dim);
  const axes = new Float64Array(dim);
  const stack = new Int32Array(256);
  const stackBound = new Float64Array(256);
  for (let c = claim(); c >= 0 && c * chunk < count; c = claim()) {
    const last = Math.min(count, (c + 1) * chunk);
    for (let p = c * chunk; p < last; p++) {
      const self = order[p]!;
      for (let k = 0; k < dim; k++) {
        query[k] = points[p * dim + k]!;
        axes[k] = rotated[p * dim + k]!;
      }
      let size = 0;
      let bar = Infinity;
      let screen = Infinity;
      let top = 0;
      stack[top] = 0;
      stackBound[top++] = 0;
      while (top > 0) {
        const node = stack[--top]!;
        if (stackBound[top]! > screen) continue;
        const l = left[node]!;
        if (l < 0) {
          for (let q = start[node]!, e = end[node]!; q < e; q++) {
            if (q === p) continue;
            let partial = 0;
            for (let k = 0, at = q * dim; k < dim && partial <= screen;) {
              for (const stop = Math.min(dim, k + PARTIAL_STEP); k < stop; k++, at++) {
                const delta = axes[k]! - rotated[at]!;
                partial += delta * delta;
              }
            }
            if (partial > screen) continue;
            let sum = 0;
            for (let k = 0, at = q * dim; k < dim; k++, at++) {
              const delta = query[k]! - points[at]!;
              sum += delta * delta;
            }
            if (sum > bar) continue;
            const id = order[q]!;
            if (size < width) {
              heapPush(heapValues, heapIds, size++, sum, id);
              if (size === width) {
                bar = heapValues[0]!;
                screen = screenBar(bar, slack);
              }
            } else if (sum < bar || id < heapIds[0]!) {
              // sum <= bar here: equal to the bar, it is kept only when its index ranks before the largest kept row's.
              heapReplaceTop(heapValues, heapIds, size, sum, id);
              bar = heapValues[0]!;
              screen = screenBar(bar, slack);
            }
          }
          continue;
        }
        const r = right[node]!;
        const leftBound = boxBound(axes, low, high, l * dim, dim);
        const rightBound = boxBound(axes, low, high, r * dim, dim);
        // The nearer child goes on top of the stack, so it is searched first.
        if (leftBound <= rightBound) {
          stack[top] = r;
          stackBound[top++] = rightBound;
          stack[top] = l;
          stackBound[top++] = leftBound;
        } else {
          stack[top] = l;
          stackBound[top++] = leftBound;
          stack[top] = r;
          stackBound[top++] = rightBound;
        }
      }
      sortHeap(heapValues, heapIds, size);
      const base = self * width;
      for (let k = 0; k < size; k++) {
        ids[base + k] = heapIds[k]!;
        squared[base + k] = heapValues[k]!;
      }
    }
  }
}

/**
 * A lower bound on the squared rotated distance from `query` to any row in the box at `base`: the
 * leading axes only (a partial sum is a bound too), where the rows spread and the box is narrow.
 */
function boxBound(query: Float64Array, low: Float64Array, high: Float64Array, base: number, dim: number): number {
  let sum = 0;
  for (let k = 0, axes = Math.min(dim, BOX_AXES); k < axes; k++) {
    const q = query[k]!;
    const below = low[base + k]! - q;
    if (below > 0) sum += below * below;
    else {
      const above = q - high[base + k]!;
      if (above > 0) sum += above * above;
    }
  }
  return sum;
}

/** Order of the heap: by value, then id (a larger id ranks after). */
function after(va: number, ia: number, vb: number, ib: number): boolean {
  return va > vb || (va === vb && ia > ib);
}

function heapPush(values: Float64Array, ids: Int32Array, index: number, value: number, id: number): void {
  let child = index;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (!after(value, id, values[parent]!, ids[parent]!)) break;
    values[child] = values[parent]!;
    ids[child] = ids[parent]!;
    child = parent;
  }
  values[child] = value;
  ids[child] = id;
}

function heapReplaceTop(values: Float64Array, ids: Int32Array, size: number, value: number, id: number): void {
  let parent = 0;
  for (;;) {
    const l = 2 * parent + 1;
    if (l >= size) break;
    const r = l + 1;
    const larger = r < size && after(values[r]!, ids[r]!, values[l]!, ids[l]!) ? r : l;
    if (!after(values[larger]!, ids[larger]!, value, id)) break;
    values[parent] = values[larger]!;
    ids[parent] = ids[larger]!;
    parent = larger;
  }
  values[parent] = value;
  ids[parent] = id;
}

/** Sorts the first `size` heap entries ascending by (value, id), in place. */
function sortHeap(values: Float64Array, ids: Int32Array, size: number): void {
  for (let end = size - 1; end > 0; end--) {
    const value = values[end]!;
    const id = ids[end]!;
    values[end] = values[0]!;
    ids[end] = ids[0]!;
    heapReplaceTop(values, ids, end, value, id);
  }
}
