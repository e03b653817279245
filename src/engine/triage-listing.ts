/**
 * The rows `nap triage` lists from a run's triage scores (triage-scores.ts): label leads best first,
 * neighbour-distance outliers, and duplicates. Only reading and formatting: kept apart from the score
 * computation so that the app's read side can list the same rows.
 */
import { outlierRanking } from '../compute/triage/outliers.js';
import type { RunTriage } from './triage-scores.js';

export type TriageList = 'labels' | 'outliers' | 'duplicates';
export const TRIAGE_LISTS: readonly TriageList[] = ['labels', 'outliers', 'duplicates'];

export type Cell = string | number | null;

/** A table: column names and rows of cells in that order. */
export interface TriageTable {
  columns: string[];
  rows: Cell[][];
}

export interface ListOptions {
  /** At most this many rows (the first ones). Default all. */
  limit?: number;
  /** Only rows whose `score` column is at least this. Default all. */
  minScore?: number;
}

const round = (value: number, digits = 4): number | null =>
  Number.isNaN(value) ? null : Math.round(value * 10 ** digits) / 10 ** digits;

function nameOf(triage: RunTriage, code: number): string | null {
  return code >= 0 ? (triage.codes.names[code] ?? null) : null;
}

/**
 * "9 of 10 neighbours in dense are Sneaker; the model gives the label 0.02" (with "over 9 shifts" when the
 * probabilities are the geometric mean over test-time shifts).
 */
export function leadReason(triage: RunTriage, row: number): string {
  const parts: string[] = [];
  const strongest = triage.strongestLayer[row]!;
  if (strongest >= 0) {
    const { layer, votes } = triage.layers[strongest]!;
    const voters = votes.voters[row]!;
    const majority = votes.majority[row]!;
    const count = Math.round(votes.majorityShare[row]! * voters);
    parts.push(
      majority === triage.codes.given[row]
        ? `${count} of ${voters} neighbours in ${layer} share the label`
        : `${count} of ${voters} neighbours in ${layer} are ${nameOf(triage, majority)}`,
    );
  }
  const p = triage.selfConfidence[row]!;
  if (!Number.isNaN(p)) {
    const over = triage.probabilityPasses > 1 ? ` over ${triage.probabilityPasses} shifts` : '';
    parts.push(`the model gives the label ${p < 0.01 ? p.toExponential(0) : p.toFixed(2)}${over}`);
  }
  return parts.join('; ');
}

function applyOptions(table: TriageTable, options: ListOptions): TriageTable {
  const score = table.columns.indexOf('score');
  let rows = table.rows;
  if (options.minScore !== undefined) {
    const min = options.minScore;
    rows = rows.filter((row) => typeof row[score] === 'number' && row[score] >= min);
  }
  if (options.limit !== undefined) rows = rows.slice(0, options.limit);
  return { columns: table.columns, rows };
}

/**
 * One row per labelled input, best lead first: the combined score, the suggested label, each score (the
 * linear probe's out-of-fold p(given) as `probe:<layer>`, the kNN label share and pattern label share of
 * every layer as `knn:<layer>` and `pattern:<layer>`), the layer
 * where the neighbours disagree most, and a one-line reason.
 */
export function labelLeads(triage: RunTriage, options: ListOptions = {}): TriageTable {
  const { inputs, layers } = triage;
  const columns = [
    'rank',
    'input',
    'file',
    'label',
    'suggested',
    'prediction',
    'score',
    'self_confidence',
    'margin',
    ...(triage.probe ? [`probe:${triage.probe.layer}`] : []),
    ...layers.map((l) => `knn:${l.layer}`),
    ...layers.filter((l) => l.pattern).map((l) => `pattern:${l.layer}`),
    'strongest_layer',
    'reason',
  ];
  const rows: Cell[][] = [];
  for (const row of triage.order) {
    if (Number.isNaN(triage.combined[row]!)) continue;
    const strongest = triage.strongestLayer[row]!;
    rows.push([
      rows.length + 1,
      inputs.index[row]!,
      inputs.path[row] ?? null,
      inputs.label[row] ?? null,
      nameOf(triage, triage.suggested[row]!),
      nameOf(triage, triage.codes.predicted[row]!),
      round(triage.combined[row]!),
      round(triage.selfConfidence[row]!),
      round(triage.margin[row]!),
      ...(triage.probe ? [round(triage.probe.given[row]!)] : []),
      ...layers.map((l) => round(l.votes.givenShare[row]!)),
      ...layers.flatMap((l) => (l.pattern ? [round(l.pattern.givenShare[row]!)] : [])),
      strongest >= 0 ? layers[strongest]!.layer : null,
      leadReason(triage, row),
    ]);
  }
  return applyOptions({ columns, rows }, options);
}

/**
 * Every input, labelled or not, most outlying first: `score` is the mean over layers of the percentile
 * of its mean distance to its k neighbours (scale-free, so layers of any width count alike), then each
 * layer's distance and GLOSH score.
 */
export function outlierRows(triage: RunTriage, options: ListOptions = {}): TriageTable {
  const { inputs, layers } = triage;
  const ranking = outlierRanking(
    layers.map((l) => l.neighbourDistance),
    layers.map((l) => l.glosh),
    inputs.index,
  );
  const columns = [
    'rank',
    'input',
    'file',
    'label',
    'score',
    ...layers.map((l) => `knn_distance:${l.layer}`),
    ...layers.filter((l) => l.glosh).map((l) => `glosh:${l.layer}`),
  ];
  const rows = Array.from(ranking.order, (i, r) => [
    r + 1,
    inputs.index[i]!,
    inputs.path[i] ?? null,
    inputs.label[i] ?? null,
    round(ranking.score[i]!),
    ...layers.map((l) => round(l.neighbourDistance[i]!, 6)),
    ...layers.flatMap((l) => (l.glosh ? [round(l.glosh[i]!)] : [])),
  ]);
  return applyOptions({ columns, rows }, options);
}

/**
 * Duplicates: groups of inputs with the same input tensor or the same activations in every layer (one
 * row per input, `group` numbering each kind's groups), then near-duplicate pairs (one row per pair:
 * `input` and `other`, closest first). `score` is 1 for exact duplicates and 1 - distance / threshold
 * for near ones.
 */
export function duplicateRows(triage: RunTriage, options: ListOptions = {}): TriageTable {
  const { inputs } = triage;
  const columns = ['kind', 'group', 'input', 'other', 'file', 'label', 'distance', 'score'];
  const rows: Cell[][] = [];
  const exact = (kind: string, grouping: { group: Int32Array; groupCount: number } | null) => {
    if (!grouping) return;
    const members = Array.from({ length: grouping.groupCount }, () => [] as number[]);
    grouping.group.forEach((g, i) => g >= 0 && members[g]!.push(i));
    members.forEach((group, g) => {
      for (const i of group) {
        rows.push([kind, g, inputs.index[i]!, null, inputs.path[i] ?? null, inputs.label[i] ?? null, 0, 1]);
      }
    });
  };
  exact('same input', triage.sameInput);
  exact('same activations', triage.sameActivations);
  const near = triage.nearDuplicates;
  near.a.forEach((a, p) => {
    const b = near.b[p]!;
    const distance = near.distance[p]!;
    rows.push([
      `near (${near.layer})`,
      null,
      inputs.index[a]!,
      inputs.index[b]!,
      inputs.path[a] ?? null,
      inputs.label[a] ?? null,
      round(distance, 6),
      near.threshold > 0 ? round(1 - distance / near.threshold) : 1,
    ]);
  });
  return applyOptions({ columns, rows }, options);
}

export function triageTable(triage: RunTriage, list: TriageList, options: ListOptions = {}): TriageTable {
  if (list === 'outliers') return outlierRows(triage, options);
  if (list === 'duplicates') return duplicateRows(triage, options);
  return labelLeads(triage, options);
}
