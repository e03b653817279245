import type { Matrix } from './matrix.js';

/** Divisors at or below this are treated as zero: the dimension never activates and normalizes to 0. */
export const ZERO_DIVISOR = 1e-12;

/**
 * Unit normalization (NAP eq. 2): the per-column maximum absolute value over all rows, which the caller
 * can accumulate batch by batch with `updateMaxAbs` before dividing.
 */
export function updateMaxAbs(matrix: Matrix, maxAbs: Float64Array, fromRow = 0, toRow = matrix.count): void {
  const { dim, data } = matrix;
  for (let r = fromRow; r < toRow; r++) {
    const base = r * dim;
    for (let c = 0; c < dim; c++) {
      const value = Math.abs(data[base + c]!);
      if (value > maxAbs[c]!) maxAbs[c] = value;
    }
  }
}

/**
 * Pools column divisors into groups that must share one divisor, e.g. aggregation 'none' on a
 * convolution, where every unit is divided by its maximum over inputs AND positions. `groupOf[c]` names
 * column c's group; columns of a group all receive the group's largest divisor.
 */
export function poolDivisors(maxAbs: Float64Array, groupOf: Int32Array, groups: number): Float64Array {
  const pooled = new Float64Array(groups);
  for (let c = 0; c < maxAbs.length; c++) {
    const g = groupOf[c]!;
    if (maxAbs[c]! > pooled[g]!) pooled[g] = maxAbs[c]!;
  }
  const out = new Float64Array(maxAbs.length);
  for (let c = 0; c < maxAbs.length; c++) out[c] = pooled[groupOf[c]!]!;
  return out;
}

/** Divides every column by its divisor in place; a (near-)zero divisor gives 0 for the whole column. */
export function divideColumns(matrix: Matrix, divisors: Float64Array): void {
  const { count, dim, data } = matrix;
  const scale = new Float64Array(dim);
  for (let c = 0; c < dim; c++) scale[c] = divisors[c]! > ZERO_DIVISOR ? 1 / divisors[c]! : 0;
  for (let r = 0; r < count; r++) {
    const base = r * dim;
    for (let c = 0; c < dim; c++) data[base + c] = data[base + c]! * scale[c]!;
  }
}
