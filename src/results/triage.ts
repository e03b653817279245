/**
 * Triage: the inputs of a run worth a second look. Within each pattern of a layer, a member whose label
 * differs from the pattern's majority label, or from the model's prediction, is a candidate (a likely
 * label error, an ambiguous input, or a model mistake the pattern exposes). Candidates are ranked by their
 * GLOSH outlier score, highest first: an outlier that also disagrees is the strongest lead.
 *
 * Rules
 * - A layer's patterns are those of its newest layer-wide clustering (as for the flow, see flow.ts).
 * - Majority label of a pattern: the most frequent label among its members that have one; ties go to the
 *   label first in natural order ("2" before "10"), as the pattern cards' dominant label.
 * - Disagrees with the prediction: the input has a label, the model classifies (prediction >= 0) and the
 *   label differs from the predicted label (the app's "misclassified").
 * - Inputs without a label never take part. Noise has no majority label and never takes part.
 */
import { InputError, NotFoundError } from '../errors.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import type { TriageReasonFilter, TriageResponse } from './api-types.js';
import { TRIAGE_REASONS } from './api-types.js';
import { naturalCompare, type IndexedInputs } from './input-index.js';
import type { LayerClustering, ResultsTables } from './results-tables.js';
import type { MembershipsTable } from './tables.js';

export interface TriageOptions {
  /** Only this layer; default every layer with patterns, in model order. */
  layer?: string;
  /** Only this pattern of `layer` (needs `layer`); default every pattern. */
  pattern?: number;
  /** Default 'any'. */
  reason?: TriageReasonFilter;
}

/** Candidates, one row each (columnar), ranked: outlier score descending (NaN last), then layer order, then input index. */
export interface TriageRows {
  layer: string[];
  clusteringId: Int32Array;
  patternId: Int32Array;
  inputIndex: Int32Array;
  /** Dataset path of the input, null when unknown. */
  path: (string | null)[];
  label: string[];
  /** Predicted class, -1 when the model does not classify. */
  prediction: Int32Array;
  predictionLabel: (string | null)[];
  /** Probability of the predicted class; NaN when the model does not classify. */
  predictionProbability: Float64Array;
  majorityLabel: string[];
  /** Members carrying the majority label / members with a label. */
  majorityShare: Float64Array;
  /** 1 where the label differs from the pattern's majority label. */
  disagreesWithMajority: Uint8Array;
  /** 1 where the label differs from the prediction. */
  disagreesWithPrediction: Uint8Array;
  outlierScore: Float64Array;
  membershipProbability: Float64Array;
}

export interface TriageResult {
  runId: number;
  /** The layers examined, in model order. */
  layers: LayerClustering[];
  rows: TriageRows;
}

/** One candidate while the rows are collected. */
interface Candidate {
  layer: string;
  layerOrder: number;
  clusteringId: number;
  patternId: number;
  inputIndex: number;
  inputRow: number;
  majorityLabel: string;
  majorityShare: number;
  disagreesWithMajority: boolean;
  disagreesWithPrediction: boolean;
  outlierScore: number;
  membershipProbability: number;
}

export interface PatternMajority {
  /** null when no member has a label. */
  label: string | null;
  /** Members carrying it / members with a label; 0 when none has one. */
  share: number;
}

/** The majority label of every pattern 0..patternCount-1 (rules at the top of this file). */
export function majorityLabels(
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  patternCount: number,
): PatternMajority[] {
  const rowOf = (inputIndex: number) => inputs.rows.rowOf(inputIndex);
  const counts = Array.from({ length: patternCount }, () => new Map<string, number>());
  memberships.patternId.forEach((patternId, row) => {
    if (patternId < 0 || patternId >= patternCount) return;
    const inputRow = rowOf(memberships.inputIndex[row]!);
    const label = inputRow < 0 ? null : (inputs.label[inputRow] ?? null);
    if (label === null) return;
    counts[patternId]!.set(label, (counts[patternId]!.get(label) ?? 0) + 1);
  });
  return counts.map((byLabel) => {
    let best: string | null = null;
    let bestCount = 0;
    let labelled = 0;
    for (const [label, count] of byLabel) {
      labelled += count;
      if (count > bestCount || (count === bestCount && best !== null && naturalCompare(label, best) < 0)) {
        best = label;
        bestCount = count;
      }
    }
    return { label: best, share: labelled > 0 ? bestCount / labelled : 0 };
  });
}

interface ClusteringScope {
  layer: string;
  layerOrder: number;
  clusteringId: number;
  patternCount: number;
}

/** The candidates of one clustering, unranked. */
function clusteringCandidates(
  scope: ClusteringScope,
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  pattern: number | undefined,
  reason: TriageReasonFilter,
): Candidate[] {
  const majority = majorityLabels(memberships, inputs, scope.patternCount);
  const rowOf = (inputIndex: number) => inputs.rows.rowOf(inputIndex);
  const found: Candidate[] = [];
  memberships.patternId.forEach((patternId, row) => {
    if (patternId < 0 || (pattern !== undefined && patternId !== pattern)) return;
    const inputIndex = memberships.inputIndex[row]!;
    const inputRow = rowOf(inputIndex);
    const label = inputRow < 0 ? null : (inputs.label[inputRow] ?? null);
    const { label: majorityLabel, share } = majority[patternId]!;
    if (label === null || majorityLabel === null) return;
    const againstMajority = label !== majorityLabel;
    const againstPrediction = inputs.prediction[inputRow]! >= 0 && label !== (inputs.predictionLabel[inputRow] ?? null);
    const keep =
      reason === 'any'
        ? againstMajority || againstPrediction
        : reason === 'majority'
          ? againstMajority
          : againstPrediction;
    if (!keep) return;
    found.push({
      ...scope,
      patternId,
      inputIndex,
      inputRow,
      majorityLabel,
      majorityShare: share,
      disagreesWithMajority: againstMajority,
      disagreesWithPrediction: againstPrediction,
      outlierScore: memberships.outlierScore[row]!,
      membershipProbability: memberships.probability[row]!,
    });
  });
  return found;
}

/** Outlier score descending (NaN last), then layer order, then input index. */
function byRank(a: Candidate, b: Candidate): number {
  const aNaN = Number.isNaN(a.outlierScore);
  const bNaN = Number.isNaN(b.outlierScore);
  if (aNaN !== bNaN) return aNaN ? 1 : -1;
  return (aNaN ? 0 : b.outlierScore - a.outlierScore) || a.layerOrder - b.layerOrder || a.inputIndex - b.inputIndex;
}

function toRows(candidates: readonly Candidate[], inputs: IndexedInputs): TriageRows {
  const n = candidates.length;
  const rows: TriageRows = {
    layer: [],
    clusteringId: new Int32Array(n),
    patternId: new Int32Array(n),
    inputIndex: new Int32Array(n),
    path: [],
    label: [],
    prediction: new Int32Array(n),
    predictionLabel: [],
    predictionProbability: new Float64Array(n),
    majorityLabel: [],
    majorityShare: new Float64Array(n),
    disagreesWithMajority: new Uint8Array(n),
    disagreesWithPrediction: new Uint8Array(n),
    outlierScore: new Float64Array(n),
    membershipProbability: new Float64Array(n),
  };
  candidates.forEach((c, k) => {
    const r = c.inputRow;
    rows.layer.push(c.layer);
    rows.clusteringId[k] = c.clusteringId;
    rows.patternId[k] = c.patternId;
    rows.inputIndex[k] = c.inputIndex;
    rows.path.push(inputs.path[r] ?? null);
    rows.label.push(inputs.label[r]!);
    rows.prediction[k] = inputs.prediction[r]!;
    rows.predictionLabel.push(inputs.predictionLabel[r] ?? null);
    rows.predictionProbability[k] = inputs.probability[r]!;
    rows.majorityLabel.push(c.majorityLabel);
    rows.majorityShare[k] = c.majorityShare;
    rows.disagreesWithMajority[k] = c.disagreesWithMajority ? 1 : 0;
    rows.disagreesWithPrediction[k] = c.disagreesWithPrediction ? 1 : 0;
    rows.outlierScore[k] = c.outlierScore;
    rows.membershipProbability[k] = c.membershipProbability;
  });
  return rows;
}

/**
 * The triage candidates of one clustering's memberships over the run's inputs, ranked (pure: the store
 * reads are the caller's). `patternCount` is the clustering's.
 */
export function triageClustering(
  scope: ClusteringScope,
  memberships: MembershipsTable,
  inputs: IndexedInputs,
  options: Pick<TriageOptions, 'pattern' | 'reason'> = {},
): TriageRows {
  const candidates = clusteringCandidates(scope, memberships, inputs, options.pattern, resolveReason(options.reason));
  return toRows(candidates.sort(byRank), inputs);
}

function resolveReason(reason: TriageReasonFilter | undefined): TriageReasonFilter {
  const resolved = reason ?? 'any';
  if (!TRIAGE_REASONS.includes(resolved)) {
    throw new InputError(`triage reason ${JSON.stringify(resolved)} is unknown`, {
      hint: `use one of ${TRIAGE_REASONS.join(', ')}`,
    });
  }
  return resolved;
}

function resolveLayers(layers: LayerClustering[], runId: number, options: TriageOptions): LayerClustering[] {
  if (options.pattern !== undefined && options.layer === undefined) {
    throw new InputError(`pattern ${options.pattern} needs a layer: pattern ids are per layer`, {
      hint: 'name the layer too',
    });
  }
  if (options.layer === undefined) return layers;
  const found = layers.find((l) => l.layer === options.layer);
  if (!found) {
    throw new NotFoundError(`layer ${JSON.stringify(options.layer)} has no patterns in run ${runId}`, {
      hint:
        layers.length > 0 ? `layers with patterns: ${layers.map((l) => l.layer).join(', ')}` : 'analyze the run first',
    });
  }
  const pattern = options.pattern;
  if (pattern !== undefined && !(Number.isInteger(pattern) && pattern >= 0 && pattern < found.patternCount)) {
    throw new NotFoundError(
      `pattern ${pattern} does not exist in layer ${JSON.stringify(found.layer)} of run ${runId}`,
      {
        hint:
          pattern === -1
            ? 'noise has no majority label; pick a pattern'
            : found.patternCount > 0
              ? `its patterns are 0..${found.patternCount - 1}`
              : 'the layer has only noise',
      },
    );
  }
  return [found];
}

const TRIAGE_STAGE = 'triage';

/** The triage candidates of a run (every layer, or one layer or pattern), ranked. */
export async function triageRun(
  tables: ResultsTables,
  runId: number,
  options: TriageOptions = {},
  control: TaskControl = {},
): Promise<TriageResult> {
  const reason = resolveReason(options.reason);
  const layers = resolveLayers(await tables.layerClusterings(runId), runId, options);
  const inputs = await tables.inputs(runId);
  const candidates: Candidate[] = [];
  for (const [done, layer] of layers.entries()) {
    throwIfCancelled(control.signal, TRIAGE_STAGE);
    control.onProgress?.({ stage: TRIAGE_STAGE, done, total: layers.length });
    const memberships = await tables.memberships(layer.clusteringId);
    const scope = {
      layer: layer.layer,
      layerOrder: layer.order,
      clusteringId: layer.clusteringId,
      patternCount: layer.patternCount,
    };
    for (const candidate of clusteringCandidates(scope, memberships, inputs, options.pattern, reason))
      candidates.push(candidate);
  }
  control.onProgress?.({ stage: TRIAGE_STAGE, done: layers.length, total: layers.length });
  return { runId, layers, rows: toRows(candidates.sort(byRank), inputs) };
}

/** The first `limit` rows as the columns of a triage response (JSON: no typed arrays, null for NaN). */
export function triageRows(rows: TriageRows, limit: number): Omit<TriageResponse, 'runId' | 'reason' | 'layers'> {
  const n = Math.min(limit, rows.layer.length);
  const head = <T>(values: ArrayLike<T>): T[] => Array.from({ length: n }, (_, k) => values[k]!);
  const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);
  return {
    total: rows.layer.length,
    layer: head(rows.layer),
    clusteringId: head(rows.clusteringId),
    patternId: head(rows.patternId),
    inputIndex: head(rows.inputIndex),
    path: head(rows.path),
    label: head(rows.label),
    prediction: head(rows.prediction),
    predictionLabel: head(rows.predictionLabel),
    probability: head(rows.predictionProbability).map(finiteOrNull),
    majorityLabel: head(rows.majorityLabel),
    majorityShare: head(rows.majorityShare),
    disagreesWithMajority: head(rows.disagreesWithMajority).map((flag) => flag === 1),
    disagreesWithPrediction: head(rows.disagreesWithPrediction).map((flag) => flag === 1),
    outlierScore: head(rows.outlierScore).map(finiteOrNull),
    membershipProbability: head(rows.membershipProbability),
  };
}
