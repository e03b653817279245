import type { Matrix } from './matrix.js';
import { selectNth } from './select-nth.js';

/** Box-plot statistics of one unit, on the same normalized activations that were clustered. */
export interface UnitStatistics {
  min: Float64Array;
  max: Float64Array;
  mean: Float64Array;
  q1: Float64Array;
  q3: Float64Array;
  iqr: Float64Array;
  /** max(q1 - 1.5 IQR, min) */
  lower: Float64Array;
  /** min(q3 + 1.5 IQR, max) */
  upper: Float64Array;
}

export const STATISTIC_NAMES = ['min', 'max', 'mean', 'q1', 'q3', 'iqr', 'lower', 'upper'] as const;

function emptyStatistics(dim: number): UnitStatistics {
  return {
    min: new Float64Array(dim),
    max: new Float64Array(dim),
    mean: new Float64Array(dim),
    q1: new Float64Array(dim),
    q3: new Float64Array(dim),
    iqr: new Float64Array(dim),
    lower: new Float64Array(dim),
    upper: new Float64Array(dim),
  };
}

/** Quantile of sorted values with linear interpolation between closest ranks (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = (n - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  const fraction = position - below;
  return sorted[below]! + (sorted[above]! - sorted[below]!) * fraction;
}

/**
 * Exact per-column statistics over the given rows (all rows when `rows` is omitted). Quantiles come from
 * the exact order statistics of each column (those a full sort puts at their ranks, by selection), never
 * from averaged chunk quantiles (the original framework's bias).
 */
export function columnStatistics(matrix: Matrix, rows?: Int32Array): UnitStatistics {
  const { dim, data } = matrix;
  const count = rows ? rows.length : matrix.count;
  const stats = emptyStatistics(dim);
  if (count === 0) {
    for (const name of STATISTIC_NAMES) stats[name].fill(NaN);
    return stats;
  }
  // Float64 holds the float32 values exactly, and is what the shared selection orders.
  const column = new Float64Array(count);
  for (let c = 0; c < dim; c++) {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const value = data[(rows ? rows[i]! : i) * dim + c]!;
      column[i] = value;
      sum += value;
    }
    const { q1, q3, min, max } = columnQuartiles(column);
    const iqr = q3 - q1;
    stats.min[c] = min;
    stats.max[c] = max;
    stats.mean[c] = sum / count;
    stats.q1[c] = q1;
    stats.q3[c] = q3;
    stats.iqr[c] = iqr;
    stats.lower[c] = Math.max(q1 - 1.5 * iqr, min);
    stats.upper[c] = Math.min(q3 + 1.5 * iqr, max);
  }
  return stats;
}

/**
 * Quartiles (quantileSorted's), minimum and maximum of `column`, which is reordered. They equal those of
 * the column sorted by a typed array's sort, signed zeros included (-0 before +0); a column with NaN is sorted.
 */
export function columnQuartiles(column: Float64Array): { q1: number; q3: number; min: number; max: number } {
  const n = column.length;
  let below = 0;
  let negativeZeros = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const value = column[i]!;
    if (value !== value) {
      column.sort();
      return {
        q1: quantileSorted(column, 0.25),
        q3: quantileSorted(column, 0.75),
        min: column[0]!,
        max: column[n - 1]!,
      };
    }
    if (value < 0) below++;
    else if (value === 0 && 1 / value < 0) negativeZeros++;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  // Selection compares -0 and +0 as equal: a zero at a rank is -0 where the sort puts the negative zeros.
  const atRank = (rank: number, value: number): number =>
    value === 0 ? (rank < below + negativeZeros ? -0 : 0) : value;
  const quantile = (q: number, from: number): { value: number; rank: number } => {
    const position = (n - 1) * q;
    const lower = Math.floor(position);
    const upper = Math.min(lower + 1, n - 1);
    selectNth(column, undefined, from, n, lower);
    const low = atRank(lower, column[lower]!);
    // Everything after `lower` is at least as large as it: the next rank is their smallest.
    const high = upper === lower ? low : atRank(upper, smallest(column, lower + 1, n));
    return { value: low + (high - low) * (position - lower), rank: lower };
  };
  const first = quantile(0.25, 0);
  const third = quantile(0.75, first.rank);
  return { q1: first.value, q3: third.value, min: atRank(0, min), max: atRank(n - 1, max) };
}

function smallest(values: Float64Array, from: number, to: number): number {
  let least = values[from]!;
  for (let i = from + 1; i < to; i++) if (values[i]! < least) least = values[i]!;
  return least;
}

/** Rows of each group, for labels in -1..groups-1 (-1 = noise, excluded). */
export function rowsByGroup(labels: Int32Array, groups: number): Int32Array[] {
  const sizes = new Int32Array(groups);
  for (const label of labels) if (label >= 0) sizes[label]!++;
  const out = Array.from(sizes, (size) => new Int32Array(size));
  const fill = new Int32Array(groups);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label >= 0) out[label]![fill[label]!++] = i;
  }
  return out;
}
