/** Which units a statistics chart shows, and in which order. */
import type { UnitStatsResponse } from '../../../src/results/api-types.js';
import type { UnitSort } from '../route.js';

/** Units whose mean, whiskers and quartiles all stay within this of zero are "near zero". */
export const NEAR_ZERO = 0.02;

export function isNearZero(stats: UnitStatsResponse, row: number): boolean {
  return (
    Math.max(
      Math.abs(stats.lower[row]!),
      Math.abs(stats.upper[row]!),
      Math.abs(stats.mean[row]!),
      Math.abs(stats.min[row]!),
      Math.abs(stats.max[row]!),
    ) < NEAR_ZERO
  );
}

/** How far a pattern's unit is from the layer: the distance of the means, in layer IQRs (at least 0.05 wide). */
export function difference(stats: UnitStatsResponse, reference: UnitStatsResponse, row: number): number {
  return Math.abs(stats.mean[row]! - reference.mean[row]!) / Math.max(reference.iqr[row]!, 0.05);
}

/**
 * Row positions to draw: near-zero units (in every series) left out when asked, and sorted by the largest
 * difference of any series from the reference when asked (needs a reference), else by unit.
 */
export function unitOrder(
  series: readonly UnitStatsResponse[],
  reference: UnitStatsResponse | undefined,
  hideNearZero: boolean,
  sort: UnitSort,
): number[] {
  const units = series[0]?.unit.length ?? reference?.unit.length ?? 0;
  const rows: number[] = [];
  for (let row = 0; row < units; row++) {
    if (hideNearZero && series.length > 0 && series.every((s) => isNearZero(s, row))) continue;
    rows.push(row);
  }
  if (sort === 'difference' && reference && series.length > 0) {
    const score = new Float64Array(units);
    for (const row of rows) score[row] = Math.max(...series.map((s) => difference(s, reference, row)));
    rows.sort((a, b) => score[b]! - score[a]! || a - b);
  }
  return rows;
}
