import type { Matrix } from './matrix.js';

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
 * Exact per-column statistics over the given rows (all rows when `rows` is omitted). Quantiles come from a
 * full sort of each column, never from averaged chunk quantiles (the original framework's bias).
 */
export function columnStatistics(matrix: Matrix, rows?: Int32Array): UnitStatistics {
  const { dim, data } = matrix;
  const count = rows ? rows.length : matrix.count;
  const stats = emptyStatistics(dim);
  if (count === 0) {
    for (const name of STATISTIC_NAMES) stats[name].fill(NaN);
    return stats;
  }
  const column = new Float32Array(count);
  for (let c = 0; c < dim; c++) {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const value = data[(rows ? rows[i]! : i) * dim + c]!;
      column[i] = value;
      sum += value;
    }
    column.sort();
    const q1 = quantileSorted(column, 0.25);
    const q3 = quantileSorted(column, 0.75);
    const iqr = q3 - q1;
    const min = column[0]!;
    const max = column[count - 1]!;
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
