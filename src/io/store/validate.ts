import { InputError } from '../../errors.js';

/** Throws unless every named column has `expected` rows. */
export function requireLengths(
  what: string,
  expected: number,
  columns: Readonly<Record<string, { length: number }>>,
): void {
  for (const [name, column] of Object.entries(columns)) {
    if (column.length !== expected) {
      throw new InputError(`${what}: column ${name} has ${column.length} rows, expected ${expected}`, {
        hint: 'pass columns of equal length, one entry per row',
      });
    }
  }
}

export function requireId(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new InputError(`${what} ${value} is not a valid id`, { hint: 'pass a non-negative integer id' });
  }
}

export function requireName(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InputError(`${what} ${JSON.stringify(value)} is empty`, { hint: `pass a non-empty ${what}` });
  }
}

/** JSON text of `value`; refuses values JSON cannot represent. */
export function toJsonText(what: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InputError(`${what} cannot be stored as JSON: ${(error as Error).message}`, {
      hint: 'pass plain data: objects, arrays, strings, numbers, booleans, null',
      cause: error,
    });
  }
  if (text === undefined) {
    throw new InputError(`${what} (${typeof value}) cannot be stored as JSON`, {
      hint: 'pass plain data: objects, arrays, strings, numbers, booleans, null',
    });
  }
  return text;
}
