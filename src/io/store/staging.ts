/**
 * Extraction in progress. Each batch of inputs is committed with its raw aggregated activations and
 * per-unit maxima in ONE transaction, so an analysis killed at any moment resumes after its last
 * committed batch; normalization needs every input, so it happens when a layer is finalized.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendInputs } from './inputs.js';
import { appendRows, constantInt, constantText, floatListColumn, intColumn } from './bulk.js';
import { ResultColumns } from './results.js';
import type { InputColumns } from './types.js';

export interface StagedLayerBatch {
  layer: string;
  /** Raw aggregated activations, one row of `dim` values per input of the batch. */
  values: Float32Array;
  dim: number;
  /** Maximum over positions of every unit, one row of `units` values per input. */
  unitMax: Float32Array;
  units: number;
}

export interface StagedBatch {
  start: number;
  count: number;
  inputs: InputColumns;
  layers: StagedLayerBatch[];
}

export interface StagedLayer {
  inputIndex: Int32Array;
  values: Float32Array;
  unitMax: Float32Array;
}

export async function appendStagedBatch(connection: DuckDBConnection, runId: number, batch: StagedBatch): Promise<void> {
  await appendInputs(connection, runId, batch.inputs);
  const rows = batch.inputs.index.length;
  for (const layer of batch.layers) {
    await appendRows(
      connection,
      'staged_activations',
      {
        run_id: constantInt(runId),
        layer: constantText(layer.layer),
        input_index: intColumn(batch.inputs.index),
        values: floatListColumn(layer.values, layer.dim),
        unit_max: floatListColumn(layer.unitMax, layer.units),
      },
      rows,
    );
  }
  await connection.run('INSERT INTO staged_batches VALUES ($1, $2, $3)', [runId, batch.start, batch.count]);
}

/** Committed batches of a run, by start. */
export async function stagedBatches(connection: DuckDBConnection, runId: number): Promise<{ start: number; count: number }[]> {
  const result = await ResultColumns.query(connection, 'SELECT batch_start, batch_count FROM staged_batches WHERE run_id = $1 ORDER BY batch_start', [runId]);
  const start = result.int32('batch_start');
  const count = result.int32('batch_count');
  return Array.from(start, (s, i) => ({ start: s, count: count[i]! }));
}

export async function readStagedLayer(connection: DuckDBConnection, runId: number, layer: string, dim: number, units: number): Promise<StagedLayer> {
  const result = await ResultColumns.query(
    connection,
    'SELECT input_index, "values", unit_max FROM staged_activations WHERE run_id = $1 AND layer = $2 ORDER BY input_index',
    [runId, layer],
  );
  return { inputIndex: result.int32('input_index'), values: result.floatLists('values', dim), unitMax: result.floatLists('unit_max', units) };
}

export async function clearStagedLayer(connection: DuckDBConnection, runId: number, layer: string): Promise<void> {
  await connection.run('DELETE FROM staged_activations WHERE run_id = $1 AND layer = $2', [runId, layer]);
}

export async function clearStagedBatches(connection: DuckDBConnection, runId: number): Promise<void> {
  await connection.run('DELETE FROM staged_batches WHERE run_id = $1', [runId]);
}
