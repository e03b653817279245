/** A dense row-major matrix of `count` rows and `dim` columns. */
export interface Matrix {
  count: number;
  dim: number;
  data: Float32Array;
}

export function makeMatrix(count: number, dim: number, data?: Float32Array): Matrix {
  const values = data ?? new Float32Array(count * dim);
  if (values.length !== count * dim) {
    throw new RangeError(`matrix data has ${values.length} values, expected ${count} x ${dim} = ${count * dim}`);
  }
  return { count, dim, data: values };
}

export function row(matrix: Matrix, index: number): Float32Array {
  return matrix.data.subarray(index * matrix.dim, (index + 1) * matrix.dim);
}

/** Rows `rows` (in that order) of the row-major `values` of `dim` columns, as a new array. */
export function gatherRows(values: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i]! * dim, (rows[i]! + 1) * dim), i * dim);
  return out;
}

/**
 * A power of two that brings the largest magnitude of `data` into [0.5, 1) (1 for all zeros).
 * Multiplying float32 values by it is exact, and float32 sums of squares and products of the
 * scaled values neither overflow nor underflow, whatever the data's scale in float32's range.
 */
export function unitScale(data: Float32Array): number {
  let largest = 0;
  for (let i = 0; i < data.length; i++) {
    const value = Math.abs(data[i]!);
    if (value > largest) largest = value;
  }
  return unitOfLargest(largest);
}

/** unitScale of data whose largest magnitude is `largest` (for passes that find it along with other work). */
export function unitOfLargest(largest: number): number {
  if (largest === 0) return 1;
  return 2 ** -(Math.floor(Math.log2(largest)) + 1);
}
