/**
 * What `nap triage --save` writes to the store from a run's triage scores (triage-scores.ts): the rows the
 * read side (src/results) shows without recomputing the neighbours. Nothing here reads or writes the store.
 */
import { outlierRanking } from '../compute/triage/outliers.js';
import type { TriageToSave } from '../io/store/index.js';
import { leadReason } from './triage-listing.js';
import type { RunTriage } from './triage-scores.js';

/** The outlier ranking and duplicates of every input, labelled or not, as stored. */
function outliersToSave(triage: RunTriage): Pick<TriageToSave, 'outliers' | 'nearDuplicates'> {
  const { inputs, layers, nearDuplicates: near } = triage;
  const count = inputs.index.length;
  const ranking = outlierRanking(
    layers.map((l) => l.neighbourDistance),
    layers.map((l) => l.glosh),
    inputs.index,
  );
  const rank = new Int32Array(count);
  ranking.order.forEach((row, r) => (rank[row] = r));
  return {
    outliers: {
      inputIndex: inputs.index,
      rank,
      score: ranking.score,
      glosh: ranking.glosh,
      farthestLayer: Array.from(ranking.farthest, (l) => (l >= 0 ? layers[l]!.layer : null)),
      sameInputGroup: triage.sameInput?.group ?? new Int32Array(count).fill(-1),
      sameActivationsGroup: triage.sameActivations.group,
    },
    nearDuplicates: {
      inputA: Int32Array.from(near.a, (row) => inputs.index[row]!),
      inputB: Int32Array.from(near.b, (row) => inputs.index[row]!),
      layer: Array.from(near.a, () => near.layer),
      distance: Float64Array.from(near.distance),
      threshold: Float64Array.from(near.a, () => near.threshold),
    },
  };
}

/** The stored form of a run's triage: per input, per layer, and per input and layer. */
export function triageToSave(triage: RunTriage): TriageToSave {
  const { inputs, layers, codes } = triage;
  const count = inputs.index.length;
  const rank = new Int32Array(count).fill(-1);
  let next = 0;
  for (const row of triage.order) if (!Number.isNaN(triage.combined[row]!)) rank[row] = next++;
  const nameOf = (code: number) => (code >= 0 ? (codes.names[code] ?? null) : null);
  const agreementRows = count * layers.length;
  const agreementLayer = new Array<string>(agreementRows);
  const agreementInput = new Int32Array(agreementRows);
  const givenShare = new Float64Array(agreementRows);
  const predictedShare = new Float64Array(agreementRows);
  layers.forEach((l, j) => {
    for (let i = 0; i < count; i++) {
      const at = j * count + i;
      agreementLayer[at] = l.layer;
      agreementInput[at] = inputs.index[i]!;
      givenShare[at] = l.votes.givenShare[i]!;
      predictedShare[at] = l.votes.predictedShare[i]!;
    }
  });
  return {
    runId: triage.runId,
    settings: { ...triage.settings, probabilities: triage.probabilitySource, inSample: triage.inSample },
    inputs: {
      inputIndex: inputs.index,
      rank,
      score: triage.combined,
      selfConfidence: triage.selfConfidence,
      margin: triage.margin,
      probe: triage.probe?.given ?? new Float64Array(count).fill(Number.NaN),
      suggestedLabel: Array.from(triage.suggested, nameOf),
      strongestLayer: Array.from(triage.strongestLayer, (j) => (j >= 0 ? layers[j]!.layer : null)),
      reason: Array.from({ length: count }, (_, row) => leadReason(triage, row)),
    },
    layers: {
      layer: layers.map((l) => l.layer),
      probeAccuracy: Float64Array.from(layers, (l) => l.probe.accuracy),
      combined: Int32Array.from(layers, (l) => (l.combined ? 1 : 0)),
    },
    agreement: { layer: agreementLayer, inputIndex: agreementInput, givenShare, predictedShare },
    ...outliersToSave(triage),
  };
}
