/**
 * The read side of a run's saved triage (`nap triage --save`, see src/io/store/triage.ts): the ranked
 * label-error leads with the inputs they are about, each input's label agreement layer by layer, the
 * outliers and duplicates of every input (labelled or not), and the model errors of the run (its
 * confusion matrix). Browser-safe: the server and the static site answer the
 * same from the same tables.
 */
import { NotFoundError } from '../errors.js';
import type {
  AgreementResponse,
  DuplicateInput,
  DuplicatesResponse,
  LabelErrorsResponse,
  ModelErrorsResponse,
  OutliersResponse,
} from './api-types.js';
import { naturalCompare, type IndexedInputs } from './input-index.js';
import type { SavedTriage, TriageOutliersTable } from './tables.js';

const orNull = (value: number): number | null => (Number.isNaN(value) ? null : value);

/** NotFoundError naming the command that saves a triage. */
export function requireSaved(triage: SavedTriage | null, runId: number): SavedTriage {
  if (triage !== null) return triage;
  throw new NotFoundError(`run ${runId} has no saved triage scores`, {
    hint: `run \`nap triage <results.duckdb> --run ${runId} --save\`, then reload`,
  });
}

/** The first `limit` ranked inputs (labelled ones: rank >= 0), best lead first. */
export function labelErrors(
  runId: number,
  triage: SavedTriage,
  inputs: IndexedInputs,
  limit: number,
): LabelErrorsResponse {
  const t = triage.inputs;
  const ranked: number[] = [];
  t.rank.forEach((rank, row) => rank >= 0 && ranked.push(row));
  ranked.sort((a, b) => t.rank[a]! - t.rank[b]!);
  const rows = ranked.slice(0, limit);
  const inputRow = rows.map((row) => inputs.rows.rowOf(t.inputIndex[row]!));
  const ofInput = <T>(column: readonly T[] | ArrayLike<T>, fallback: T) =>
    inputRow.map((r) => (r >= 0 ? (column[r] ?? fallback) : fallback));
  return {
    runId,
    settings: triage.layers.settings,
    total: ranked.length,
    inputIndex: rows.map((row) => t.inputIndex[row]!),
    path: ofInput(inputs.path, null),
    label: ofInput(inputs.label, null),
    predictionLabel: ofInput(inputs.predictionLabel, null),
    suggestedLabel: rows.map((row) => t.suggestedLabel[row] ?? null),
    score: rows.map((row) => t.score[row]!),
    selfConfidence: rows.map((row) => orNull(t.selfConfidence[row]!)),
    margin: rows.map((row) => orNull(t.margin[row]!)),
    probe: rows.map((row) => orNull(t.probe[row]!)),
    strongestLayer: rows.map((row) => t.strongestLayer[row] ?? null),
    reason: rows.map((row) => t.reason[row] ?? ''),
  };
}

/** The saved outliers; NotFoundError for a triage saved before they were kept. */
function requireOutliers(triage: SavedTriage, runId: number): TriageOutliersTable {
  if (triage.outliers !== null) return triage.outliers;
  throw new NotFoundError(`the saved triage of run ${runId} has no outliers or duplicates (saved by an older nap)`, {
    hint: `run \`nap triage <results.duckdb> --run ${runId} --save\` again, then reload`,
  });
}

/** The first `limit` inputs, labelled or not, most outlying first. */
export function outliers(runId: number, triage: SavedTriage, inputs: IndexedInputs, limit: number): OutliersResponse {
  const t = requireOutliers(triage, runId);
  const rows = Array.from(t.rank.keys())
    .sort((a, b) => t.rank[a]! - t.rank[b]!)
    .slice(0, limit);
  const inputRow = rows.map((row) => inputs.rows.rowOf(t.inputIndex[row]!));
  const ofInput = <T>(column: readonly T[] | ArrayLike<T>, fallback: T) =>
    inputRow.map((r) => (r >= 0 ? (column[r] ?? fallback) : fallback));
  return {
    runId,
    total: t.rank.length,
    inputIndex: rows.map((row) => t.inputIndex[row]!),
    path: ofInput(inputs.path, null),
    label: ofInput(inputs.label, null),
    predictionLabel: ofInput(inputs.predictionLabel, null),
    score: rows.map((row) => orNull(t.score[row]!)),
    glosh: rows.map((row) => orNull(t.glosh[row]!)),
    farthestLayer: rows.map((row) => t.farthestLayer[row] ?? null),
  };
}

/** Groups of inputs with the same input or activations, then near-duplicate pairs closest first. */
export function duplicates(runId: number, triage: SavedTriage, inputs: IndexedInputs): DuplicatesResponse {
  const t = requireOutliers(triage, runId);
  const inputOf = (inputIndex: number): DuplicateInput => {
    const row = inputs.rows.rowOf(inputIndex);
    return {
      inputIndex,
      path: row >= 0 ? (inputs.path[row] ?? null) : null,
      label: row >= 0 ? (inputs.label[row] ?? null) : null,
      predictionLabel: row >= 0 ? (inputs.predictionLabel[row] ?? null) : null,
    };
  };
  const groups: DuplicatesResponse['groups'] = [];
  const collect = (kind: 'same input' | 'same activations', column: Int32Array) => {
    const members = new Map<number, number[]>();
    column.forEach((group, row) => {
      if (group < 0) return;
      const list = members.get(group) ?? [];
      list.push(t.inputIndex[row]!);
      members.set(group, list);
    });
    for (const [group, list] of [...members].sort((a, b) => a[0] - b[0])) {
      groups.push({ kind, group, inputs: list.sort((a, b) => a - b).map(inputOf) });
    }
  };
  collect('same input', t.sameInputGroup);
  collect('same activations', t.sameActivationsGroup);
  const near = triage.nearDuplicates;
  return {
    runId,
    groups,
    near: Array.from(near.inputA, (a, p) => ({
      a: inputOf(a),
      b: inputOf(near.inputB[p]!),
      layer: near.layer[p] ?? '',
      distance: near.distance[p]!,
      threshold: near.threshold[p]!,
    })),
  };
}

/** Per layer, the given- and predicted-label shares of the neighbours of each input in `index`. */
export function agreement(
  runId: number,
  triage: SavedTriage,
  inputs: IndexedInputs,
  index: readonly number[],
): AgreementResponse {
  const { layers, agreement: shares } = triage;
  const layerNames = Array.from(layers.layer, (name) => name ?? '');
  const slotOf = new Map(index.map((inputIndex, slot) => [inputIndex, slot]));
  const layerOf = new Map(layerNames.map((name, j) => [name, j]));
  const given = index.map(() => layerNames.map((): number | null => null));
  const predicted = index.map(() => layerNames.map((): number | null => null));
  shares.inputIndex.forEach((inputIndex, row) => {
    const slot = slotOf.get(inputIndex);
    const j = layerOf.get(shares.layer[row] ?? '');
    if (slot === undefined || j === undefined) return;
    given[slot]![j] = orNull(shares.givenShare[row]!);
    predicted[slot]![j] = orNull(shares.predictedShare[row]!);
  });
  return {
    runId,
    layers: layerNames.map((layer, j) => ({
      layer,
      probeAccuracy: orNull(layers.probeAccuracy[j]!),
      combined: layers.combined[j] === 1,
    })),
    inputs: index.map((inputIndex, slot) => {
      const row = inputs.rows.rowOf(inputIndex);
      if (row < 0) {
        throw new NotFoundError(`input ${inputIndex} is not an input of run ${runId}`, {
          hint: 'ask for input indices the run holds',
        });
      }
      return {
        inputIndex,
        label: inputs.label[row] ?? null,
        predictionLabel: inputs.predictionLabel[row] ?? null,
        given: given[slot]!,
        predicted: predicted[slot]!,
      };
    }),
  };
}

/** The confusion matrix of given by predicted labels over the inputs that have both. */
export function modelErrors(runId: number, inputs: IndexedInputs): ModelErrorsResponse {
  const cells = new Map<string, Map<string, number[]>>();
  const predictionSet = new Set<string>();
  let total = 0;
  let misclassified = 0;
  inputs.inputIndex.forEach((inputIndex, row) => {
    const label = inputs.label[row] ?? null;
    const prediction = inputs.prediction[row]! >= 0 ? (inputs.predictionLabel[row] ?? null) : null;
    if (label === null || prediction === null) return;
    total++;
    if (inputs.misclassified[row] === 1) misclassified++;
    predictionSet.add(prediction);
    let byPrediction = cells.get(label);
    if (!byPrediction) cells.set(label, (byPrediction = new Map<string, number[]>()));
    let members = byPrediction.get(prediction);
    if (!members) byPrediction.set(prediction, (members = []));
    members.push(inputIndex);
  });
  const labels = [...cells.keys()].sort(naturalCompare);
  const predictions = [...predictionSet].sort(naturalCompare);
  const cellInputs = labels.map((label) => predictions.map((p) => cells.get(label)?.get(p) ?? []));
  return {
    runId,
    labels,
    predictions,
    counts: cellInputs.map((row) => row.map((members) => members.length)),
    inputs: cellInputs,
    total,
    misclassified,
  };
}
