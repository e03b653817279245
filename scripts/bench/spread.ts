/** Mean and standard error over repeated runs, for benchmark figures judged against their spread. */
import { fixed } from './timing.js';

export interface Spread {
  mean: number;
  /** Standard error of the mean: the sample standard deviation over sqrt(n); NaN below two values. */
  error: number;
  count: number;
}

export function spread(values: number[]): Spread {
  const count = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / count;
  if (count < 2) return { mean, error: Number.NaN, count };
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (count - 1);
  return { mean, error: Math.sqrt(variance / count), count };
}

/** a - b with the standard error of a difference of independent means. */
export function difference(a: Spread, b: Spread): Spread {
  return { mean: a.mean - b.mean, error: Math.hypot(a.error, b.error), count: Math.min(a.count, b.count) };
}

/** "mean ± error" with `digits` decimals (the sign shown when `signed`). */
export function formatSpread(s: Spread, digits: number, signed = false): string {
  const mean = fixed(s.mean, digits);
  return `${signed && s.mean >= 0 ? '+' : ''}${mean} ± ${fixed(s.error, digits)}`;
}
