/**
 * Per input, the model's class probabilities averaged over test-time shifts of its image (`nap analyze
 * --test-time-shifts N`, src/engine/test-time-shifts.ts): the renormalized geometric mean of the passes'
 * probability vectors, beside the plain vector of input_details. Written batch by batch, each in its own
 * transaction, so an interrupted stage resumes with the inputs it has not stored.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendRows, constantInt, intColumn } from './bulk.js';
import { ResultColumns } from './results.js';
import { requireRun } from './runs.js';
import { floatListColumn } from './vectors.js';

export interface ShiftedProbabilities {
  /** The largest shift in pixels along each axis: every shift of -shifts..shifts along both was run. */
  shifts: number;
  classes: number;
  /** Input index of each row. */
  inputIndex: Int32Array;
  /** inputs x classes, row-major. */
  probabilities: Float32Array;
}

export async function appendShiftedProbabilities(
  connection: DuckDBConnection,
  runId: number,
  rows: ShiftedProbabilities,
): Promise<void> {
  const count = rows.inputIndex.length;
  if (rows.probabilities.length !== count * rows.classes) {
    throw new RangeError(
      `shifted probabilities of ${count} inputs hold ${rows.probabilities.length} values, not ${count} x ${rows.classes}`,
    );
  }
  await appendRows(
    connection,
    'shifted_probabilities',
    {
      run_id: constantInt(runId),
      input_index: intColumn(rows.inputIndex),
      shifts: constantInt(rows.shifts),
      probabilities: floatListColumn(rows.probabilities, rows.classes),
    },
    count,
  );
}

/** Removes the run's shifted probabilities (all of them, or those of other shift settings than `keep`). */
export async function clearShiftedProbabilities(
  connection: DuckDBConnection,
  runId: number,
  keep?: number,
): Promise<void> {
  await connection.run(
    keep === undefined
      ? 'DELETE FROM shifted_probabilities WHERE run_id = $1'
      : 'DELETE FROM shifted_probabilities WHERE run_id = $1 AND shifts <> $2',
    keep === undefined ? [runId] : [runId, keep],
  );
}

/** The run's shifted probabilities by ascending input index; null when it has none. */
export async function readShiftedProbabilities(
  connection: DuckDBConnection,
  runId: number,
): Promise<ShiftedProbabilities | null> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `SELECT input_index, shifts, len(probabilities) AS classes, probabilities FROM shifted_probabilities
     WHERE run_id = $1 ORDER BY input_index`,
    [runId],
  );
  if (result.rowCount === 0) return null;
  const shifts = new Set(result.int32('shifts'));
  const widths = new Set(result.int32('classes'));
  if (shifts.size !== 1 || widths.size !== 1) {
    throw new Error(`shifted_probabilities of run ${runId} mix settings (shifts ${[...shifts].join(', ')})`);
  }
  const [classes] = [...widths] as [number];
  return {
    shifts: [...shifts][0]!,
    classes,
    inputIndex: result.int32('input_index'),
    probabilities: result.floatLists('probabilities', classes),
  };
}
