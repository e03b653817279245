import { makeMatrix, unitOfLargest, type Matrix } from '../matrix.js';

/** Rows up to this wide are gathered value by value, wider ones a row at a time (see BlockRows.rows). */
const NARROW_DIMS = 128;

/** Relative slack of BlockRows.keyAbove, far above the rounding of a square root and a square. */
const KEY_SLACK = 1e-9;

export type BlockMetric = 'euclidean' | 'cosine';

/**
 * The rows as the blocked products see them: for every pair, key = norms[i] + norms[j] - 2 u_i . u_j
 * over float32 vectors u, monotone in the distance. Euclidean: u = (x - mean) * unit, so key =
 * unit^2 d^2; centring keeps the float32 cancellation small, and the power-of-two `unit` brings any
 * float32 scale to about 1 exactly, so that neither squares overflow nor small values underflow.
 * Cosine: u = x / (|x| sqrt 2) and norms 1/2, so key = 1 - cos = d (an all-zero row stays zero:
 * distance 1 to anything). Either way key >= |u_i - u_j|^2, what ball bounds need.
 *
 * The vectors are gathered from the matrix on demand; one ordered copy of them may be kept (see
 * keepOrderedCopy), which spares the gathering of its ranges, where memory allows a second copy.
 * The euclidean norms are taken from the vectors while that copy is made (one pass over the rows
 * fewer: at 2048 dimensions each pass is a few milliseconds of this thread), or on first use.
 */
export class BlockRows {
  readonly count: number;
  readonly dim: number;
  /** The power of two the euclidean vectors are scaled by (1 for cosine); see unitScale. */
  unit = 1;
  private copy: Float32Array | undefined;
  private copyOrder: Int32Array | undefined;
  private position: Int32Array | undefined;
  private copySums: { bounds: Int32Array; sums: Float64Array } | undefined;
  private readonly squareValues: Float64Array;
  /** Whether `squareValues` is still to be taken from the vectors (see takeSquares). */
  private squaresPending: boolean;

  constructor(
    matrix: Matrix,
    readonly metric: BlockMetric,
    private readonly normValues: Float64Array,
    /**
     * |u|^2 of every row's vector (the norms but for cosine, whose norms are 1/2 even for zero rows);
     * 'pending': the norms' own array, filled from the vectors when first needed.
     */
    squares: Float64Array | 'pending',
    /** Writes row `row`'s vector to `out` at `at`. */
    private readonly vector: (row: number, out: Float32Array, at: number) => void,
    /** The distance a key stands for (float32 accuracy). */
    readonly distance: (key: number) => number,
    /** The key of a distance (the inverse of `distance`). */
    readonly key: (distance: number) => number,
  ) {
    this.count = matrix.count;
    this.dim = matrix.dim;
    this.squaresPending = squares === 'pending';
    this.squareValues = squares === 'pending' ? normValues : squares;
  }

  /** key = norms[i] + norms[j] - 2 u_i . u_j for every pair (see the class). */
  get norms(): Float64Array {
    if (this.squaresPending) this.takeSquares();
    return this.normValues;
  }

  /** |u|^2 of every row's vector. */
  get squares(): Float64Array {
    if (this.squaresPending) this.takeSquares();
    return this.squareValues;
  }

  /** Fills the pending squares from the vectors, one row at a time. */
  private takeSquares(): void {
    const { count, dim } = this;
    const vector = new Float32Array(dim);
    for (let row = 0; row < count; row++) {
      this.vector(row, vector, 0);
      this.squareValues[row] = sumOfSquares(vector, 0, dim);
    }
    this.squaresPending = false;
  }

  static of(matrix: Matrix, metric: BlockMetric): BlockRows {
    return metric === 'cosine' ? cosineRows(matrix) : euclideanRows(matrix);
  }

  /**
   * Keeps a copy of the vectors with the rows in `order` when it takes at most `budgetBytes`;
   * returns whether it did. With `bounds`, the vectors of each range `order[bounds[i], bounds[i + 1])`
   * are summed in the same pass (see rangeSums).
   */
  keepOrderedCopy(order: Int32Array, budgetBytes: number, shared = false, bounds?: Int32Array): boolean {
    const { count, dim } = this;
    if (4 * count * dim > budgetBytes) return false;
    const sums = bounds ? new Float64Array((bounds.length - 1) * dim) : undefined;
    const copy = shared ? new Float32Array(new SharedArrayBuffer(4 * count * dim)) : new Float32Array(count * dim);
    const position = shared ? new Int32Array(new SharedArrayBuffer(4 * count)) : new Int32Array(count);
    const pending = this.squaresPending;
    for (let at = 0, range = 0; at < count; at++) {
      const row = order[at]!;
      const from = at * dim;
      this.vector(row, copy, from);
      position[row] = at;
      // Read back while the row is still in the first-level cache, squares and sums in one loop.
      if (bounds && sums) {
        while (at >= bounds[range + 1]!) range++;
        if (pending) this.squareValues[row] = addAndSquare(copy, from, dim, sums, range * dim);
        else for (let k = 0, to = range * dim; k < dim; k++) sums[to + k]! += copy[from + k]!;
      } else if (pending) {
        this.squareValues[row] = sumOfSquares(copy, from, dim);
      }
    }
    if (bounds && sums) this.copySums = { bounds, sums };
    this.squaresPending = false;
    this.copy = copy;
    this.copyOrder = order;
    this.position = position;
    return true;
  }

  /**
   * The rows as another thread's ordered copy holds them (see keepOrderedCopy), for worker threads:
   * only `rows`, `norms` and `squares` are served (the copy is all such a thread gets of the rows).
   */
  static ofOrderedCopy(
    metric: BlockMetric,
    norms: Float64Array,
    squares: Float64Array,
    ordered: { copy: Float32Array; order: Int32Array; position: Int32Array },
  ): BlockRows {
    const { copy, order, position } = ordered;
    const count = position.length;
    const dim = count > 0 ? copy.length / count : 0;
    const vector = (row: number, out: Float32Array, at: number): void =>
      out.set(copy.subarray(position[row]! * dim, (position[row]! + 1) * dim), at);
    const unsupported = (): number => {
      throw new Error('a worker thread has the ordered copy of the rows only');
    };
    const rows = new BlockRows(makeMatrix(count, dim, copy), metric, norms, squares, vector, unsupported, unsupported);
    rows.copy = copy;
    rows.copyOrder = order;
    rows.position = position;
    return rows;
  }

  /**
   * A key at or above which every key stands for a distance above `distance` (with room for the
   * rounding of both conversions): a screening bar that never drops a pair at `distance` or below.
   */
  keyAbove(distance: number): number {
    if (distance === Infinity || (this.metric === 'cosine' && distance >= 2)) return Infinity;
    return this.key(distance) * (1 + KEY_SLACK) + Number.MIN_VALUE;
  }

  /**
   * The float64 sums of the vectors of each range `order[bounds[i], bounds[i + 1])` (ranges x dim,
   * rows summed in order), when they were taken with the ordered copy of that order and bounds.
   */
  rangeSums(order: Int32Array, bounds: Int32Array): Float64Array | undefined {
    const kept = this.copySums;
    return kept && order === this.copyOrder && bounds === kept.bounds ? kept.sums : undefined;
  }

  /** The ordered copy, its order and each row's position in it, when one is kept. */
  ordered(): { copy: Float32Array; order: Int32Array; position: Int32Array } | undefined {
    const { copy, copyOrder, position } = this;
    return copy && copyOrder && position ? { copy, order: copyOrder, position } : undefined;
  }

  /**
   * The vectors of rows `ids[start, end)`, row after row: a view of the ordered copy when they are
   * a range of its order, else gathered into `scratch`.
   */
  rows(ids: Int32Array, start: number, end: number, scratch: Float32Array): Float32Array {
    const { dim, copy, position } = this;
    if (copy && ids === this.copyOrder) return copy.subarray(start * dim, end * dim);
    if (copy && position) {
      if (dim > NARROW_DIMS) {
        for (let at = start, o = 0; at < end; at++, o += dim) {
          const from = position[ids[at]!]! * dim;
          scratch.set(copy.subarray(from, from + dim), o);
        }
      } else {
        // A view per row costs more than copying a few dozen values one by one.
        for (let at = start, o = 0; at < end; at++) {
          for (let from = position[ids[at]!]! * dim, k = 0; k < dim; k++) scratch[o++] = copy[from + k]!;
        }
      }
    } else {
      for (let at = start, o = 0; at < end; at++, o += dim) this.vector(ids[at]!, scratch, o);
    }
    return scratch.subarray(0, (end - start) * dim);
  }
}

/** The float64 sum of the squares of `values[from, from + dim)`, in order. */
function sumOfSquares(values: Float32Array, from: number, dim: number): number {
  let sum = 0;
  for (let k = from, end = from + dim; k < end; k++) sum += values[k]! * values[k]!;
  return sum;
}

/**
 * Adds `values[from, from + dim)` to `sums[to, to + dim)` and returns the float64 sum of their squares,
 * in order (the same figures as sumOfSquares and a separate loop, in one pass: at 2048 dimensions the
 * ordered copy's passes took 17.5 ms of 2000 rows apart, 13.2 ms together).
 */
function addAndSquare(values: Float32Array, from: number, dim: number, sums: Float64Array, to: number): number {
  let sum = 0;
  for (let k = 0, i = from; k < dim; k++, i++) {
    const value = values[i]!;
    sum += value * value;
    sums[to + k]! += value;
  }
  return sum;
}

/** Adds the vectors of rows `ids` to `sums` (float64), row after row, gathering nothing when a copy is kept. */
export function sumRows(rows: BlockRows, ids: Int32Array, sums: Float64Array, scratch: Float32Array): void {
  const { dim } = rows;
  const source = rows.ordered();
  if (source) {
    const { copy, position } = source;
    for (const row of ids) for (let from = position[row]! * dim, k = 0; k < dim; k++) sums[k]! += copy[from + k]!;
    return;
  }
  const chunk = Math.max(1, Math.floor(scratch.length / dim));
  for (let first = 0; first < ids.length; first += chunk) {
    const vectors = rows.rows(ids, first, Math.min(ids.length, first + chunk), scratch);
    for (let at = 0; at < vectors.length; at += dim) for (let k = 0; k < dim; k++) sums[k]! += vectors[at + k]!;
  }
}

export function blockRows(matrix: Matrix, metric: BlockMetric): BlockRows {
  return BlockRows.of(matrix, metric);
}

function euclideanRows(matrix: Matrix): BlockRows {
  const { count, dim, data } = matrix;
  const mean = new Float64Array(dim);
  // One pass for the sums and the largest magnitude (unitScale's). Scaling by a power of two is
  // exact, so the sum of the rows scaled once equals the sum of the scaled rows.
  let largest = 0;
  for (let r = 0; r < count; r++) {
    for (let k = 0, i = r * dim; k < dim; k++, i++) {
      const value = data[i]!;
      mean[k]! += value;
      const magnitude = Math.abs(value);
      if (magnitude > largest) largest = magnitude;
    }
  }
  const unit = unitOfLargest(largest);
  for (let k = 0; k < dim; k++) mean[k] = (mean[k]! * unit) / Math.max(1, count);
  const rows = new BlockRows(
    matrix,
    'euclidean',
    new Float64Array(count),
    'pending',
    (row, out, at) => {
      const base = row * dim;
      for (let k = 0; k < dim; k++) out[at + k] = data[base + k]! * unit - mean[k]!;
    },
    (key) => (key > 0 ? Math.sqrt(key) / unit : 0),
    (distance) => distance * unit * (distance * unit),
  );
  rows.unit = unit;
  return rows;
}

function cosineRows(matrix: Matrix): BlockRows {
  const { count, dim, data } = matrix;
  const inverse = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    // Scaled first so that the sum of squares neither overflows nor underflows.
    let largest = 0;
    for (let k = 0, i = r * dim; k < dim; k++, i++) largest = Math.max(largest, Math.abs(data[i]!));
    if (largest === 0) continue;
    let sum = 0;
    for (let k = 0, i = r * dim; k < dim; k++, i++) sum += (data[i]! / largest) ** 2;
    inverse[r] = 1 / (largest * Math.sqrt(2 * sum));
  }
  const squares = inverse.map((scale) => (scale > 0 ? 0.5 : 0)); // map: Float64Array.from(x, fn) boxes every value first
  return new BlockRows(
    matrix,
    'cosine',
    new Float64Array(count).fill(0.5),
    squares,
    (row, out, at) => {
      const base = row * dim;
      const scale = inverse[row]!;
      for (let k = 0; k < dim; k++) out[at + k] = data[base + k]! * scale;
    },
    (key) => (key < 0 ? 0 : key > 2 ? 2 : key),
    (distance) => distance,
  );
}
