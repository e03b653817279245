/** The dataset inputs of a run, with the model's predictions. */
import { INTEGER, LIST, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { NotFoundError } from '../../errors.js';
import { appendRows, constantInt, doubleColumn, intColumn, textColumn } from './bulk.js';
import { ResultColumns } from './results.js';
import { requireRun } from './runs.js';
import type { InputColumns, StoredInputs } from './types.js';
import { requireLengths } from './validate.js';

export const INPUT_SELECT = 'SELECT input_index, path, label, prediction, prediction_label, probability FROM inputs';

export async function appendInputs(connection: DuckDBConnection, runId: number, inputs: InputColumns): Promise<void> {
  await requireRun(connection, runId);
  const count = inputs.index.length;
  requireLengths('inputs', count, {
    path: inputs.path,
    label: inputs.label,
    prediction: inputs.prediction,
    predictionLabel: inputs.predictionLabel,
    probability: inputs.probability,
  });
  await appendRows(
    connection,
    'inputs',
    {
      run_id: constantInt(runId),
      input_index: intColumn(inputs.index),
      path: textColumn(inputs.path),
      label: textColumn(inputs.label),
      prediction: intColumn(inputs.prediction),
      prediction_label: textColumn(inputs.predictionLabel),
      probability: doubleColumn(inputs.probability),
    },
    count,
  );
}

/** The input columns of a result that selected INPUT_SELECT's columns. */
export function storedInputs(result: ResultColumns): StoredInputs {
  return {
    index: result.int32('input_index'),
    path: result.text('path'),
    label: result.text('label'),
    prediction: result.int32('prediction'),
    predictionLabel: result.text('prediction_label'),
    probability: result.float64('probability'),
  };
}

function takeRows(inputs: StoredInputs, rows: Int32Array): StoredInputs {
  const pick = <T>(values: readonly T[]): T[] => Array.from(rows, (row) => values[row]!);
  return {
    index: Int32Array.from(rows, (row) => inputs.index[row]!),
    path: pick(inputs.path),
    label: pick(inputs.label),
    prediction: Int32Array.from(rows, (row) => inputs.prediction[row]!),
    predictionLabel: pick(inputs.predictionLabel),
    probability: Float64Array.from(rows, (row) => inputs.probability[row]!),
  };
}

/** All inputs of a run by ascending index, or those at `at` in that order. */
export async function readInputs(connection: DuckDBConnection, runId: number, at?: Int32Array): Promise<StoredInputs> {
  await requireRun(connection, runId);
  if (at === undefined) {
    return storedInputs(
      await ResultColumns.query(connection, `${INPUT_SELECT} WHERE run_id = $1 ORDER BY input_index`, [runId]),
    );
  }
  const found = storedInputs(
    await ResultColumns.query(
      connection,
      `${INPUT_SELECT} WHERE run_id = $1 AND input_index IN (SELECT unnest($2))`,
      [runId, listValue(Array.from(at))],
      [INTEGER, LIST(INTEGER)],
    ),
  );
  const rowOf = new Map<number, number>();
  found.index.forEach((index, row) => rowOf.set(index, row));
  const rows = new Int32Array(at.length);
  at.forEach((index, i) => {
    const row = rowOf.get(index);
    if (row === undefined) {
      throw new NotFoundError(`input ${index} does not exist in run ${runId}`, {
        hint: 'pass indices of inputs that the run stored',
      });
    }
    rows[i] = row;
  });
  return takeRows(found, rows);
}

/** Input indices of a run, ascending. */
export async function inputIndices(connection: DuckDBConnection, runId: number): Promise<Int32Array> {
  const result = await ResultColumns.query(
    connection,
    'SELECT input_index FROM inputs WHERE run_id = $1 ORDER BY input_index',
    [runId],
  );
  return result.int32('input_index');
}
