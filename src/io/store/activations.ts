/** Aggregated, unit-normalized activations: the vectors that were clustered, one FLOAT[] row per input. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Matrix } from '../../compute/matrix.js';
import { InputError } from '../../errors.js';
import { appendRows, constantInt, constantText, intColumn } from './bulk.js';
import { floatListColumn } from './vectors.js';
import { requireLayer } from './layers.js';
import { isAscending, ResultColumns } from './results.js';
import { inTransaction } from './transaction.js';
import type { StoredActivations } from './types.js';

export async function appendActivations(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  matrix: Matrix,
  inputIndex: Int32Array,
): Promise<void> {
  const info = await requireLayer(connection, runId, layer);
  if (matrix.dim !== info.dim) {
    throw new InputError(
      `activations of layer ${layer} have ${matrix.dim} columns, but the layer was stored with dim ${info.dim}`,
      {
        hint: 'pass the aggregated activations the layer was registered with',
      },
    );
  }
  if (matrix.data.length !== matrix.count * matrix.dim) {
    throw new InputError(`activation matrix holds ${matrix.data.length} values, not ${matrix.count} x ${matrix.dim}`, {
      hint: 'pass a matrix whose data matches its shape',
    });
  }
  if (inputIndex.length !== matrix.count) {
    throw new InputError(`${inputIndex.length} input indices for ${matrix.count} activation rows`, {
      hint: 'pass one input index per matrix row',
    });
  }
  await appendRows(
    connection,
    'activations',
    {
      run_id: constantInt(runId),
      layer: constantText(layer),
      input_index: intColumn(inputIndex),
      values: floatListColumn(matrix.data, matrix.dim),
    },
    matrix.count,
  );
}

/**
 * The layer's rows by ascending input index, streamed from DuckDB a chunk at a time into one array of the
 * layer's size: a materialized result beside that array held the layer twice. Rows come back in the order
 * they were appended (DuckDB keeps insertion order for a plain scan), which is input order for a layer
 * stored in one append, so DuckDB sorts the layer only when a scan of its input indices finds them out of
 * order.
 */
export async function readActivations(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
): Promise<StoredActivations> {
  const { dim } = await requireLayer(connection, runId, layer);
  const params = [runId, layer];
  return inTransaction(connection, async () => {
    const scanned = await ResultColumns.query(
      connection,
      'SELECT input_index FROM activations WHERE run_id = $1 AND layer = $2',
      params,
    );
    const inputIndex = scanned.int32('input_index');
    const ordered = isAscending(inputIndex);
    if (!ordered) inputIndex.sort();
    const data = new Float32Array(inputIndex.length * dim);
    let row = 0;
    const sql = `SELECT input_index, "values" FROM activations WHERE run_id = $1 AND layer = $2${ordered ? '' : ' ORDER BY input_index'}`;
    for await (const part of ResultColumns.stream(connection, sql, params)) {
      const index = part.int32('input_index');
      if (row + index.length > inputIndex.length || index.some((input, i) => input !== inputIndex[row + i])) {
        throw new Error(`activations of layer ${layer} of run ${runId} changed while they were read`);
      }
      data.set(part.floatLists('values', dim), row * dim);
      row += index.length;
    }
    if (row !== inputIndex.length) {
      throw new Error(`activations of layer ${layer} of run ${runId} changed while they were read`);
    }
    return { matrix: { count: inputIndex.length, dim, data }, inputIndex };
  });
}
