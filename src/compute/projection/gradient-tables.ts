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
const STEPS = 128;
const OCTAVE_SCALE = 2 ** -LOWEST_OCTAVE;
export const TABLE_LOW = 2 ** LOWEST_OCTAVE;
export const TABLE_HIGH = 2 ** (LOWEST_OCTAVE + OCTAVES);
const INVERSE_POWERS = Float64Array.from({ length: OCTAVES }, (_, o) => 2 ** -o);

/** `coefficient` sampled at the table's points. */
export function tabulate(coefficient: (d2: number) => number): Float32Array {
  const table = new Float32Array(OCTAVES * (STEPS + 1));
  for (let o = 0; o < OCTAVES; o++) {
    for (let i = 0; i <= STEPS; i++)
      table[o * (STEPS + 1) + i] = coefficient(2 ** (o + LOWEST_OCTAVE) * (1 + i / STEPS));
  }
  return table;
}

/** Interpolated value at d2; callers keep d2 within [TABLE_LOW, TABLE_HIGH). */
export function lookup(table: Float32Array, d2: number): number {
  const scaled = d2 * OCTAVE_SCALE;
  // clz32 truncates scaled (in [1, 2^32)) to an integer: 31 - clz32 is its octave.
  const octave = 31 - Math.clz32(scaled);
  const position = (scaled * INVERSE_POWERS[octave]! - 1) * STEPS;
  const step = position | 0;
  const index = octave * (STEPS + 1) + step;
  const low = table[index]!;
  return low + (position - step) * (table[index + 1]! - low);
}
