/**
 * Per-input facts kept for triage beside the inputs table: the model's whole class-probability vector
 * (the inputs table keeps only the predicted class and its probability) and a digest of the input as the
 * model saw it, so exact duplicates can be grouped. Written with each staged batch, in its transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendRows, constantInt, intColumn, textColumn, type BulkColumn } from './bulk.js';
import { ResultColumns } from './results.js';
import { requireRun } from './runs.js';
import { FLOAT_LIST, floatListColumn } from './vectors.js';

export interface InputDetails {
  /** Columns of `probabilities`; 0 when the model does not classify (no vectors are kept then). */
  classes: number;
  /** inputs x classes, row-major; a row of NaN where the model named no class. */
  probabilities: Float32Array;
  /** Hex digest of each input's model input tensor. */
  digest: string[];
}

export interface StoredInputDetails extends InputDetails {
  /** Input index of each row, ascending. */
  inputIndex: Int32Array;
}

function probabilityColumn(details: InputDetails): BulkColumn {
  if (details.classes === 0) return { type: FLOAT_LIST, valueAt: () => null };
  return floatListColumn(details.probabilities, details.classes);
}

export async function appendInputDetails(
  connection: DuckDBConnection,
  runId: number,
  inputIndex: Int32Array,
  details: InputDetails,
): Promise<void> {
  const count = inputIndex.length;
  if (details.probabilities.length !== count * details.classes || details.digest.length !== count) {
    throw new RangeError(
      `input details of ${count} inputs hold ${details.probabilities.length} probabilities (${details.classes} classes) and ${details.digest.length} digests`,
    );
  }
  await appendRows(
    connection,
    'input_details',
    {
      run_id: constantInt(runId),
      input_index: intColumn(inputIndex),
      probabilities: probabilityColumn(details),
      digest: textColumn(details.digest),
    },
    count,
  );
}

/** The details of a run's inputs by ascending index; null when the run has none (extracted before schema version 5). */
export async function readInputDetails(
  connection: DuckDBConnection,
  runId: number,
): Promise<StoredInputDetails | null> {
  await requireRun(connection, runId);
  const result = await ResultColumns.query(
    connection,
    `SELECT input_index, coalesce(len(probabilities), 0) AS classes, probabilities, digest FROM input_details
     WHERE run_id = $1 ORDER BY input_index`,
    [runId],
  );
  if (result.rowCount === 0) return null;
  const widths = new Set(result.int32('classes'));
  if (widths.size !== 1)
    throw new Error(`input_details of run ${runId} mix probability vectors of ${[...widths].join(', ')} classes`);
  const [classes] = [...widths] as [number];
  return {
    inputIndex: result.int32('input_index'),
    classes,
    probabilities: classes > 0 ? result.floatLists('probabilities', classes) : new Float32Array(0),
    digest: result.text('digest').map((d) => d ?? ''),
  };
}
