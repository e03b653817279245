/** Aggregated, unit-normalized activations: the vectors that were clustered, one FLOAT[] row per input. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Matrix } from '../../compute/matrix.js';
import { InputError } from '../../errors.js';
import { appendRows, constantInt, constantText, intColumn } from './bulk.js';
import { floatListColumn } from './vectors.js';
import { requireLayer } from './layers.js';
import { ResultColumns } from './results.js';
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

export async function readActivations(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
): Promise<StoredActivations> {
  const { dim } = await requireLayer(connection, runId, layer);
  const result = await ResultColumns.query(
    connection,
    'SELECT input_index, "values" FROM activations WHERE run_id = $1 AND layer = $2 ORDER BY input_index',
    [runId, layer],
  );
  return {
    matrix: { count: result.rowCount, dim, data: result.floatLists('values', dim) },
    inputIndex: result.int32('input_index'),
  };
}
