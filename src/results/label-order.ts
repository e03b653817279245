/**
 * Orders and bins for a label × pattern chart of many patterns, browser-safe: patterns grouped by their
 * majority label (in the labels' order), purest first within a group, so that the chart reads as blocks
 * of one colour fading into mixed patterns; and consecutive columns summed into bins when there are more
 * patterns than the chart has room for.
 */

/** Label counts of one pattern, by label row (same length as the chart's labels). */
export interface PatternLabelRow {
  patternId: number;
  counts: ArrayLike<number>;
}

/** Row of the largest count (first on ties), -1 when all are 0. */
export function majorityRow(counts: ArrayLike<number>): number {
  let best = -1;
  let bestCount = 0;
  for (let r = 0; r < counts.length; r++) {
    if (counts[r]! > bestCount) [best, bestCount] = [r, counts[r]!];
  }
  return best;
}

function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let r = 0; r < counts.length; r++) sum += counts[r]!;
  return sum;
}

/**
 * Pattern ids ordered by label mix: by majority label row, then by purity (majority share) descending,
 * then by size descending, then by id. Noise (-1) and patterns without labelled members go last.
 */
export function orderByLabelMix(rows: readonly PatternLabelRow[]): number[] {
  const keyed = rows.map((row) => {
    const size = total(row.counts);
    const majority = majorityRow(row.counts);
    return {
      patternId: row.patternId,
      group: row.patternId < 0 || majority < 0 ? Number.POSITIVE_INFINITY : majority,
      purity: size > 0 && majority >= 0 ? row.counts[majority]! / size : 0,
      size,
    };
  });
  keyed.sort(
    (a, b) =>
      (a.group === b.group ? 0 : a.group < b.group ? -1 : 1) ||
      b.purity - a.purity ||
      b.size - a.size ||
      a.patternId - b.patternId,
  );
  return keyed.map((k) => k.patternId);
}

/** A run of consecutive columns drawn as one: columns start..end-1. */
export interface ColumnBin {
  start: number;
  end: number;
}

/**
 * Splits `count` columns into at most `slots` bins of consecutive columns, as even as can be (sizes differ
 * by at most one, larger bins first); one bin per column when they fit.
 */
export function binColumns(count: number, slots: number): ColumnBin[] {
  const binCount = Math.max(1, Math.min(count, Math.floor(slots)));
  if (count === 0) return [];
  const base = Math.floor(count / binCount);
  const larger = count % binCount;
  const bins: ColumnBin[] = [];
  let start = 0;
  for (let b = 0; b < binCount; b++) {
    const end = start + base + (b < larger ? 1 : 0);
    bins.push({ start, end });
    start = end;
  }
  return bins;
}
