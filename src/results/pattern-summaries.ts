/**
 * Per-pattern summaries of a clustering for the pattern cards: label and prediction mix, purity,
 * misclassified and outlier counts, and representative members. Definitions are in api-types.ts.
 */
import { TopK } from '../compute/top-k.js';
import type { LabelMix, PatternSummary } from './api-types.js';
import { naturalCompare, type IndexedInputs } from './input-index.js';
import { groupByPattern, rowsOfPattern } from './members.js';
import type { MembershipsTable } from './tables.js';

/** Members whose outlier score is above this quantile of the clustering's scores count as outliers. */
export const OUTLIER_QUANTILE = 0.9;

export interface PatternSummaries {
  outlierThreshold: number;
  patterns: PatternSummary[];
  noise: PatternSummary;
}

/** The q-quantile with linear interpolation between order statistics (numpy's default); NaN when empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

function labelMix(labels: readonly (string | null)[], rows: readonly number[]): LabelMix {
  const counts = new Map<string | null, number>();
  for (const row of rows) counts.set(labels[row] ?? null, (counts.get(labels[row] ?? null) ?? 0) + 1);
  const entries = [...counts].sort((a, b) => b[1] - a[1] || naturalCompare(String(a[0]), String(b[0])));
  return { label: entries.map((entry) => entry[0]), count: entries.map((entry) => entry[1]) };
}

/** Input indices of the `count` rows with the highest key, ties by lower input index (a heap: the noise has most inputs). */
function topBy(rows: number[], memberships: MembershipsTable, count: number, key: (row: number) => number): number[] {
  if (count === 0) return [];
  const top = new TopK(1, count);
  for (const row of rows) top.offer(0, key(row), memberships.inputIndex[row]!);
  return Array.from(top.entries(0).ids);
}

function summarize(
  patternId: number,
  persistence: number,
  memberRows: number[],
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  outlierThreshold: number,
  examples: number,
): PatternSummary {
  const inputRows = memberRows.map((row) => inputs.rows.rowOf(memberships.inputIndex[row]!));
  const known = inputRows.filter((row) => row >= 0);
  const labels = labelMix(inputs.label, known);
  const labelled = labels.label.findIndex((label) => label !== null);
  const size = memberRows.length;
  let outliers = 0;
  let probabilitySum = 0;
  for (const row of memberRows) {
    if (memberships.outlierScore[row]! > outlierThreshold) outliers++;
    probabilitySum += memberships.probability[row]!;
  }
  return {
    patternId,
    size,
    persistence,
    labels,
    predictions: labelMix(inputs.predictionLabel, known),
    dominantLabel: labelled >= 0 ? labels.label[labelled]! : null,
    labelPurity: labelled >= 0 && size > 0 ? labels.count[labelled]! / size : null,
    misclassifiedCount: known.reduce((sum, row) => sum + inputs.misclassified[row]!, 0),
    outlierCount: outliers,
    outlierShare: size > 0 ? outliers / size : 0,
    meanProbability: size > 0 ? probabilitySum / size : 0,
    mostStable: topBy(memberRows, memberships, examples, (row) => memberships.probability[row]!),
    leastStable: topBy(memberRows, memberships, examples, (row) => -memberships.probability[row]!),
    topOutliers: topBy(memberRows, memberships, examples, (row) => memberships.outlierScore[row]!),
  };
}

/** `outlierThreshold`: the OUTLIER_QUANTILE of the memberships' outlier scores, when the caller knows it already. */
export function summarizePatterns(
  memberships: MembershipsTable,
  persistence: ArrayLike<number>,
  inputs: IndexedInputs,
  examples: number,
  outlierThreshold = quantile(memberships.outlierScore, OUTLIER_QUANTILE),
): PatternSummaries {
  const { patterns, noise } = summarizePatternsFirst(memberships, persistence, inputs, examples, outlierThreshold);
  return { outlierThreshold, patterns, noise: noise() };
}

/** The patterns' summaries, and the noise group's size, with its summary made when first asked for. */
export interface LazyNoiseSummaries {
  outlierThreshold: number;
  patterns: PatternSummary[];
  noiseSize: number;
  noise: () => PatternSummary;
}

/**
 * As summarizePatterns, but the noise group (most inputs, at the paper's parameters) is summarised only when
 * `noise()` is first called: the app's re-cuts show it only when asked.
 */
export function summarizePatternsFirst(
  memberships: MembershipsTable,
  persistence: ArrayLike<number>,
  inputs: IndexedInputs,
  examples: number,
  outlierThreshold: number,
): LazyNoiseSummaries {
  const groups = groupByPattern(memberships);
  const rowsOf = (patternId: number) => Array.from(rowsOfPattern(groups, patternId));
  const patterns = Array.from({ length: persistence.length }, (_, p) =>
    summarize(p, persistence[p]!, rowsOf(p), memberships, inputs, outlierThreshold, examples),
  );
  let noise: PatternSummary | undefined;
  return {
    outlierThreshold,
    patterns,
    noiseSize: rowsOfPattern(groups, -1).length,
    noise: () => (noise ??= summarize(-1, 0, rowsOf(-1), memberships, inputs, outlierThreshold, examples)),
  };
}
