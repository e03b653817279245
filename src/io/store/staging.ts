/**
 * Extraction in progress. Each batch of inputs is committed with its raw aggregated activations and
 * per-unit maxima in ONE transaction, so an analysis killed at any moment resumes after its last
 * committed batch; normalization needs every input, so it happens when a layer is finalized.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendInputDetails, type InputDetails } from './input-details.js';
import { appendInputs } from './inputs.js';
import { appendRows, blobRowsColumn, bytesOf, constantBlob, constantInt, textColumn } from './bulk.js';
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
  /** The inputs' probability vectors and digests; omitted by callers that have none. */
  details?: InputDetails;
  layers: StagedLayerBatch[];
}

export interface StagedLayer {
  inputIndex: Int32Array;
  values: Float32Array;
  unitMax: Float32Array;
}

export async function appendStagedBatch(
  connection: DuckDBConnection,
  runId: number,
  batch: StagedBatch,
): Promise<void> {
  await appendInputs(connection, runId, batch.inputs);
  if (batch.details) await appendInputDetails(connection, runId, batch.inputs.index, batch.details);
  const rows = batch.inputs.index.length;
  for (const layer of batch.layers) {
    if (layer.values.length !== rows * layer.dim || layer.unitMax.length !== rows * layer.units) {
      throw new RangeError(
        `staged layer '${layer.layer}' holds ${layer.values.length} values and ${layer.unitMax.length} maxima, expected ${rows} x ${layer.dim} and ${rows} x ${layer.units}`,
      );
    }
  }
  await appendRows(
    connection,
    'staged_activations',
    {
      run_id: constantInt(runId),
      layer: textColumn(batch.layers.map((layer) => layer.layer)),
      batch_start: constantInt(batch.start),
      input_index: constantBlob(bytesOf(batch.inputs.index)),
      values: blobRowsColumn(batch.layers.map((layer) => bytesOf(layer.values))),
      unit_max: blobRowsColumn(batch.layers.map((layer) => bytesOf(layer.unitMax))),
    },
    batch.layers.length,
  );
  await connection.run('INSERT INTO staged_batches VALUES ($1, $2, $3)', [runId, batch.start, batch.count]);
}

/** Committed batches of a run, by start. */
export async function stagedBatches(
  connection: DuckDBConnection,
  runId: number,
): Promise<{ start: number; count: number }[]> {
  const result = await ResultColumns.query(
    connection,
    'SELECT batch_start, batch_count FROM staged_batches WHERE run_id = $1 ORDER BY batch_start',
    [runId],
  );
  const start = result.int32('batch_start');
  const count = result.int32('batch_count');
  return Array.from(start, (s, i) => ({ start: s, count: count[i]! }));
}

export async function readStagedLayer(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  dim: number,
  units: number,
): Promise<StagedLayer> {
  const result = await ResultColumns.query(
    connection,
    'SELECT input_index, "values", unit_max FROM staged_activations WHERE run_id = $1 AND layer = $2 ORDER BY batch_start',
    [runId, layer],
  );
  // Fresh buffers from concatenatedBlobs, so the typed views are aligned; batches do not overlap and
  // each lists its inputs in ascending order, so the rows come out by input index.
  const index = result.concatenatedBlobs('input_index');
  const values = result.concatenatedBlobs('values');
  const unitMax = result.concatenatedBlobs('unit_max');
  const inputIndex = new Int32Array(index.buffer, 0, index.length / 4);
  if (values.length !== inputIndex.length * dim * 4 || unitMax.length !== inputIndex.length * units * 4) {
    throw new Error(
      `staged layer '${layer}' of run ${runId} holds ${values.length / 4} values and ${unitMax.length / 4} maxima for ${inputIndex.length} inputs, expected ${dim} and ${units} per input`,
    );
  }
  return {
    inputIndex,
    values: new Float32Array(values.buffer, 0, values.length / 4),
    unitMax: new Float32Array(unitMax.buffer, 0, unitMax.length / 4),
  };
}

export async function clearStagedLayer(connection: DuckDBConnection, runId: number, layer: string): Promise<void> {
  await connection.run('DELETE FROM staged_activations WHERE run_id = $1 AND layer = $2', [runId, layer]);
}

export async function clearStagedBatches(connection: DuckDBConnection, runId: number): Promise<void> {
  await connection.run('DELETE FROM staged_batches WHERE run_id = $1', [runId]);
}
