/**
 * A run's stored triage (what `nap triage --save` computed, see src/engine/triage-scores.ts): one row per
 * input (its combined score and rank, the model's scores, the suggested label, the layer where its
 * neighbours disagree most, a one-line reason), one per layer (kNN probe accuracy) and one per input and
 * layer (the share of its neighbours carrying its given and its predicted label), and, labelled or not,
 * every input's outlier score with its exact duplicates and the near-duplicate pairs (version 10), and the
 * linear probe's out-of-fold p(given label) per input (version 11). Saving
 * replaces the run's previous triage: the read side always shows one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendRows, constantInt, constantText, doubleColumn, groupColumn, intColumn, textColumn } from './bulk.js';
import { asDate, asJson, ResultColumns, timestampOf } from './results.js';
import { requireRun } from './runs.js';
import { TRIAGE_TABLES } from './schema.js';
import type { NumberColumn, TextColumn } from './types.js';
import { requireLengths } from './validate.js';

/** Per input, by the order the caller gives (any); `rank` 0 is the best lead, -1 for an unranked input. */
export interface TriageInputColumns {
  inputIndex: Int32Array;
  rank: Int32Array;
  /** Combined suspicion, higher first; NaN without a label. */
  score: NumberColumn;
  /** The model's probability of the given label; NaN without a classifier or a label. */
  selfConfidence: NumberColumn;
  margin: NumberColumn;
  /** The linear probe's out-of-fold probability of the given label; NaN without a probe or a label. */
  probe: NumberColumn;
  suggestedLabel: TextColumn;
  strongestLayer: TextColumn;
  reason: TextColumn;
}

/** Per layer, in model order. */
export interface TriageLayerColumns {
  layer: string[];
  /** Leave-one-out kNN classification accuracy of the labels; NaN when no input has a label. */
  probeAccuracy: NumberColumn;
  /** 1 where the layer's votes enter the combined score. */
  combined: Int32Array;
}

/** Per input and layer: the shares of its neighbours with its given and its predicted label (NaN: none). */
export interface TriageAgreementColumns {
  layer: string[];
  inputIndex: Int32Array;
  givenShare: NumberColumn;
  predictedShare: NumberColumn;
}

/** Per input, by the order the caller gives (any): the outlier ranking and the exact-duplicate groups. */
export interface TriageOutlierColumns {
  inputIndex: Int32Array;
  /** 0 = most outlying. */
  rank: Int32Array;
  /** Mean over layers of the percentile of the input's mean distance to its k neighbours; NaN: none. */
  score: NumberColumn;
  /** Highest GLOSH score over the clustered layers; NaN: none clustered. */
  glosh: NumberColumn;
  /** The layer where its distance percentile is highest. */
  farthestLayer: TextColumn;
  /** Inputs with the same input tensor share a group number, -1: none. */
  sameInputGroup: Int32Array;
  /** Inputs with the same activations in every layer share a group number, -1: none. */
  sameActivationsGroup: Int32Array;
}

/** Near-duplicate pairs (inputA < inputB), closest first. */
export interface TriageNearDuplicateColumns {
  inputA: Int32Array;
  inputB: Int32Array;
  layer: string[];
  distance: NumberColumn;
  threshold: NumberColumn;
}

export interface TriageToSave {
  runId: number;
  /** How the scores were made (k, metric, probability source...), kept for display. */
  settings: Record<string, unknown>;
  inputs: TriageInputColumns;
  layers: TriageLayerColumns;
  agreement: TriageAgreementColumns;
  outliers: TriageOutlierColumns;
  nearDuplicates: TriageNearDuplicateColumns;
}

export interface StoredTriage {
  runId: number;
  settings: unknown;
  createdAt: Date;
  inputs: TriageInputColumns & {
    score: Float64Array;
    selfConfidence: Float64Array;
    margin: Float64Array;
    /** NaN for a triage saved before version 11. */
    probe: Float64Array;
  };
  layers: TriageLayerColumns & { probeAccuracy: Float64Array };
  agreement: TriageAgreementColumns & { givenShare: Float64Array; predictedShare: Float64Array };
  /** Null for a triage saved before version 10 (save it again to list outliers and duplicates). */
  outliers: (TriageOutlierColumns & { score: Float64Array; glosh: Float64Array }) | null;
  nearDuplicates: TriageNearDuplicateColumns & { distance: Float64Array; threshold: Float64Array };
}

/** Stores the run's triage, replacing the one before. Call inside a transaction. */
export async function saveTriage(connection: DuckDBConnection, triage: TriageToSave): Promise<void> {
  const { runId, inputs, layers, agreement } = triage;
  await requireRun(connection, runId);
  requireLengths('triage inputs', inputs.inputIndex.length, {
    rank: inputs.rank,
    score: inputs.score,
    selfConfidence: inputs.selfConfidence,
    margin: inputs.margin,
    probe: inputs.probe,
    suggestedLabel: inputs.suggestedLabel,
    strongestLayer: inputs.strongestLayer,
    reason: inputs.reason,
  });
  requireLengths('triage layers', layers.layer.length, {
    probeAccuracy: layers.probeAccuracy,
    combined: layers.combined,
  });
  requireLengths('triage agreement', agreement.layer.length, {
    inputIndex: agreement.inputIndex,
    givenShare: agreement.givenShare,
    predictedShare: agreement.predictedShare,
  });
  const { outliers, nearDuplicates } = triage;
  requireLengths('triage outliers', outliers.inputIndex.length, {
    rank: outliers.rank,
    score: outliers.score,
    glosh: outliers.glosh,
    farthestLayer: outliers.farthestLayer,
    sameInputGroup: outliers.sameInputGroup,
    sameActivationsGroup: outliers.sameActivationsGroup,
  });
  requireLengths('triage near duplicates', nearDuplicates.inputA.length, {
    inputB: nearDuplicates.inputB,
    layer: nearDuplicates.layer,
    distance: nearDuplicates.distance,
    threshold: nearDuplicates.threshold,
  });
  await deleteTriage(connection, runId);
  await connection.run('INSERT INTO triage_runs VALUES ($1, $2, $3)', [
    runId,
    JSON.stringify(triage.settings),
    timestampOf(new Date()),
  ]);
  await appendRows(
    connection,
    'triage_inputs',
    {
      run_id: constantInt(runId),
      input_index: intColumn(inputs.inputIndex),
      rank: intColumn(inputs.rank),
      score: doubleColumn(inputs.score),
      self_confidence: doubleColumn(inputs.selfConfidence),
      margin: doubleColumn(inputs.margin),
      probe: doubleColumn(inputs.probe),
      suggested_label: textColumn(inputs.suggestedLabel),
      strongest_layer: textColumn(inputs.strongestLayer),
      reason: textColumn(inputs.reason.map((text) => text ?? '')),
    },
    inputs.inputIndex.length,
  );
  await appendRows(
    connection,
    'triage_layers',
    {
      run_id: constantInt(runId),
      layer: textColumn(layers.layer),
      layer_order: intColumn(Int32Array.from(layers.layer, (_, i) => i)),
      probe_accuracy: doubleColumn(layers.probeAccuracy),
      combined: intColumn(layers.combined),
    },
    layers.layer.length,
  );
  for (const layer of new Set(agreement.layer)) {
    const rows = agreement.layer.flatMap((name, row) => (name === layer ? [row] : []));
    await appendRows(
      connection,
      'triage_agreement',
      {
        run_id: constantInt(runId),
        layer: constantText(layer),
        input_index: intColumn(Int32Array.from(rows, (row) => agreement.inputIndex[row]!)),
        given_share: doubleColumn(Float64Array.from(rows, (row) => agreement.givenShare[row]!)),
        predicted_share: doubleColumn(Float64Array.from(rows, (row) => agreement.predictedShare[row]!)),
      },
      rows.length,
    );
  }
  await saveOutliers(connection, runId, outliers, nearDuplicates);
}

async function saveOutliers(
  connection: DuckDBConnection,
  runId: number,
  outliers: TriageOutlierColumns,
  near: TriageNearDuplicateColumns,
): Promise<void> {
  await appendRows(
    connection,
    'triage_outliers',
    {
      run_id: constantInt(runId),
      input_index: intColumn(outliers.inputIndex),
      rank: intColumn(outliers.rank),
      score: doubleColumn(outliers.score),
      glosh: doubleColumn(outliers.glosh),
      farthest_layer: textColumn(outliers.farthestLayer),
      same_input_group: groupColumn(outliers.sameInputGroup),
      same_activations_group: groupColumn(outliers.sameActivationsGroup),
    },
    outliers.inputIndex.length,
  );
  await appendRows(
    connection,
    'triage_near_duplicates',
    {
      run_id: constantInt(runId),
      input_a: intColumn(near.inputA),
      input_b: intColumn(near.inputB),
      layer: textColumn(near.layer),
      distance: doubleColumn(near.distance),
      threshold: doubleColumn(near.threshold),
    },
    near.inputA.length,
  );
}

async function deleteTriage(connection: DuckDBConnection, runId: number): Promise<void> {
  for (const table of TRIAGE_TABLES) await connection.run(`DELETE FROM ${table} WHERE run_id = $1`, [runId]);
}

/** The run's stored triage, inputs by rank (unranked last, by input index); null when none was saved. */
export async function readTriage(connection: DuckDBConnection, runId: number): Promise<StoredTriage | null> {
  await requireRun(connection, runId);
  const head = await ResultColumns.query(connection, 'SELECT settings, created_at FROM triage_runs WHERE run_id = $1', [
    runId,
  ]);
  const row = head.rows()[0];
  if (!row) return null;
  const inputs = await ResultColumns.query(
    connection,
    `SELECT input_index, rank, score, self_confidence, margin, probe, suggested_label, strongest_layer, reason
     FROM triage_inputs WHERE run_id = $1 ORDER BY rank < 0, rank, input_index`,
    [runId],
  );
  const layers = await ResultColumns.query(
    connection,
    'SELECT layer, probe_accuracy, combined FROM triage_layers WHERE run_id = $1 ORDER BY layer_order',
    [runId],
  );
  const agreement = await ResultColumns.query(
    connection,
    `SELECT a.layer, a.input_index, a.given_share, a.predicted_share FROM triage_agreement a
     JOIN triage_layers l ON l.run_id = a.run_id AND l.layer = a.layer
     WHERE a.run_id = $1 ORDER BY l.layer_order, a.input_index`,
    [runId],
  );
  const outliers = await ResultColumns.query(
    connection,
    `SELECT input_index, rank, score, glosh, farthest_layer, COALESCE(same_input_group, -1) AS same_input_group,
       COALESCE(same_activations_group, -1) AS same_activations_group
     FROM triage_outliers WHERE run_id = $1 ORDER BY rank, input_index`,
    [runId],
  );
  const near = await ResultColumns.query(
    connection,
    `SELECT input_a, input_b, layer, distance, threshold FROM triage_near_duplicates
     WHERE run_id = $1 ORDER BY distance, input_a, input_b`,
    [runId],
  );
  return {
    runId,
    settings: asJson(row.settings!),
    createdAt: asDate(row.created_at!),
    inputs: {
      inputIndex: inputs.int32('input_index'),
      rank: inputs.int32('rank'),
      score: inputs.float64('score'),
      selfConfidence: inputs.float64('self_confidence'),
      margin: inputs.float64('margin'),
      probe: inputs.float64('probe'),
      suggestedLabel: inputs.text('suggested_label'),
      strongestLayer: inputs.text('strongest_layer'),
      reason: inputs.text('reason'),
    },
    layers: {
      layer: layers.text('layer').map((name) => name ?? ''),
      probeAccuracy: layers.float64('probe_accuracy'),
      combined: layers.int32('combined'),
    },
    agreement: {
      layer: agreement.text('layer').map((name) => name ?? ''),
      inputIndex: agreement.int32('input_index'),
      givenShare: agreement.float64('given_share'),
      predictedShare: agreement.float64('predicted_share'),
    },
    // A triage saved before version 10 kept no outliers; one saved since has a row per input.
    outliers:
      outliers.rowCount === 0
        ? null
        : {
            inputIndex: outliers.int32('input_index'),
            rank: outliers.int32('rank'),
            score: outliers.float64('score'),
            glosh: outliers.float64('glosh'),
            farthestLayer: outliers.text('farthest_layer'),
            sameInputGroup: outliers.int32('same_input_group'),
            sameActivationsGroup: outliers.int32('same_activations_group'),
          },
    nearDuplicates: {
      inputA: near.int32('input_a'),
      inputB: near.int32('input_b'),
      layer: near.text('layer').map((name) => name ?? ''),
      distance: near.float64('distance'),
      threshold: near.float64('threshold'),
    },
  };
}
