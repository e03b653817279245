/**
 * Lookup tables for the layout gradients, which otherwise spend most of the optimisation's time in
 * pow(), sqrt and division. Each coefficient is tabulated as a function of the squared distance d2
 * over octaves [2^o, 2^(o+1)) from 2^-20 to 2^12, 128 equal steps per octave, and interpolated
 * linearly: the relative spacing is at most 1/128 at every scale, which keeps the relative error
 * near 4e-5 (the attractive coefficient behaves like d2^(b-1), unbounded at 0, so uniform steps
 * would not do). Float32 storage keeps each table at 16 KB, inside the L1 cache. Outside the range
 * the exact formula is used.
 */

/** Attractive coefficient -2ab d2^(b-1) / (1 + a d2^b), exact. */
export function attractionCoefficient(d2: number, a: number, b: number): number {
  const power = Math.pow(d2, b);
  return (-2 * a * b * power) / (d2 * (1 + a * power));
}

/** Repulsive coefficient 2 gamma b / ((0.001 + d2)(1 + a d2^b)), exact. */
export function repulsionCoefficient(d2: number, a: number, b: number, gamma: number): number {
  return (2 * gamma * b) / ((0.001 + d2) * (1 + a * Math.pow(d2, b)));
}

const LOWEST_OCTAVE = -20;
const OCTAVES = 32;
/** Steps per octave: 2^7, the top 7 mantissa bits of a float32. */
const STEP_BITS = 7;
export const TABLE_LOW = 2 ** LOWEST_OCTAVE;
export const TABLE_HIGH = 2 ** (LOWEST_OCTAVE + OCTAVES);

/*
 * A float32's bits, read as an integer, are its exponent and then its mantissa: shifted right by 16
 * they number the table's steps in order (exponent * 128 + the top 7 mantissa bits), and the 16 bits
 * shifted out are the position within the step. One store and one load replace the octave search and
 * scaling (a few percent of the layout's time per sample).
 */
export const FRACTION_BITS = 23 - STEP_BITS;
/** The table index of TABLE_LOW's bits. */
export const FIRST_STEP = (127 + LOWEST_OCTAVE) << STEP_BITS;
/** Entries of a table. */
export const TABLE_LENGTH = (OCTAVES << STEP_BITS) + 2;
const scratch = new Float32Array(1);
const scratchBits = new Int32Array(scratch.buffer);

/**
 * `coefficient` sampled at the table's points: every float32 whose low FRACTION_BITS bits are 0, from
 * TABLE_LOW to one step past TABLE_HIGH (a d2 just below TABLE_HIGH may round up to it in float32).
 */
export function tabulate(coefficient: (d2: number) => number): Float32Array {
  const table = new Float32Array(TABLE_LENGTH);
  const bits = new Int32Array(1);
  const value = new Float32Array(bits.buffer);
  for (let i = 0; i < table.length; i++) {
    bits[0] = (FIRST_STEP + i) << FRACTION_BITS;
    table[i] = coefficient(value[0]!);
  }
  return table;
}

/** Interpolated value at d2 (rounded to float32); callers keep d2 within [TABLE_LOW, TABLE_HIGH). */
export function lookup(table: Float32Array, d2: number): number {
  scratch[0] = d2;
  const bits = scratchBits[0]!;
  const index = (bits >> FRACTION_BITS) - FIRST_STEP;
  const low = table[index]!;
  return low + (bits & ((1 << FRACTION_BITS) - 1)) * (1 / (1 << FRACTION_BITS)) * (table[index + 1]! - low);
}
