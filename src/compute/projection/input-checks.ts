import { InputError } from '../../errors.js';
import type { Matrix } from '../matrix.js';

/** Rejects inconsistent shapes, too few rows and non-finite values (naming the row and column). */
export function checkMatrix(matrix: Matrix, minRows: number, why: string): void {
  const { count, dim, data } = matrix;
  if (!Number.isInteger(count) || count < 0) {
    throw new InputError(`matrix has ${String(count)} rows`, { hint: 'pass a Matrix with an integer row count' });
  }
  if (!Number.isInteger(dim) || dim < 1) {
    throw new InputError(`matrix has ${String(dim)} columns`, { hint: 'each row needs at least one value' });
  }
  if (!(data instanceof Float32Array) || data.length !== count * dim) {
    throw new InputError(`matrix data has ${data?.length ?? 0} values, expected ${count} x ${dim} = ${count * dim}`, {
      hint: 'pass a Float32Array of count * dim values, row-major',
    });
  }
  if (count < minRows) {
    throw new InputError(`matrix has ${count} rows, ${why} needs at least ${minRows}`, {
      hint: 'project more rows or lower the parameter that sets the minimum',
    });
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / dim);
      throw new InputError(`matrix value at row ${row}, column ${i - row * dim} is ${data[i]}`, {
        hint: 'remove or impute non-finite activations before projecting',
      });
    }
  }
}

export function requireInteger(
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new InputError(`${name} is ${String(value)}`, { hint: `use an integer ${range}` });
  }
}

export function requireFinite(
  name: string,
  value: unknown,
  check: (v: number) => boolean,
  rule: string,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new InputError(`${name} is ${String(value)}`, { hint: `use a number ${rule}` });
  }
}

export function requireOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new InputError(`${name} is '${String(value)}'`, { hint: `use one of: ${allowed.join(', ')}` });
  }
}
