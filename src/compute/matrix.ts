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
