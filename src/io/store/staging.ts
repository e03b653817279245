/**
 * Extraction in progress. Each batch of inputs is committed with its raw aggregated activations and
 * per-unit maxima in ONE transaction, so an analysis killed at any moment resumes after its last
 * committed batch; normalization needs every input, so it happens when a layer is finalized.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendInputDetails, type InputDetails } from './input-details.js';
import { appendInputs } from './inputs.js';
import { appendRows, blobRowsColumn, bytesOf, constantBlob, constantInt, textColumn } from './bulk.js';
import { isAscending, ResultColumns } from './results.js';
import { inTransaction } from './transaction.js';
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

/**
 * A staged layer's rows by input index, each column copied blob by blob into an array of the layer's size
 * (one result of every column, a copy per batch and the joined copy held the layer about six times over).
 * Given `visitUnitMax`, each batch's maxima go to it instead, in input order, and `unitMax` is left empty.
 * A layer's batches are read in one query per column: a query per batch would read every batch's blobs
 * each time. Batches come back in the order they were committed (DuckDB keeps insertion order for a plain
 * scan); DuckDB sorts them by start only when they were committed out of order.
 */
export async function readStagedLayer(
  connection: DuckDBConnection,
  runId: number,
  layer: string,
  dim: number,
  units: number,
  visitUnitMax?: (unitMax: Float32Array, inputIndex: Int32Array) => void,
): Promise<StagedLayer> {
  const params = [runId, layer];
  const where = 'FROM staged_activations WHERE run_id = $1 AND layer = $2';
  return inTransaction(connection, async () => {
    const listed = await ResultColumns.query(
      connection,
      `SELECT batch_start, octet_length(input_index) // 4 AS rows ${where}`,
      params,
    );
    const starts = listed.int32('batch_start');
    const counts = listed.int32('rows');
    const order = isAscending(starts) ? '' : ' ORDER BY batch_start';
    const total = counts.reduce((sum, rows) => sum + rows, 0);
    // Batches do not overlap and each lists its inputs in ascending order, so by start they are by input index.
    const inputIndex = new Int32Array(total);
    const values = new Float32Array(total * dim);
    const unitMax = new Float32Array(visitUnitMax ? 0 : total * units);
    // Streamed, so that DuckDB hands over the one chunk (every batch, up to 2048) that a materialized
    // result would keep beside a copy of it.
    let row = 0;
    let at = 0;
    for await (const part of ResultColumns.stream(
      connection,
      `SELECT input_index, "values" ${where}${order}`,
      params,
    )) {
      part.forEachBlob('input_index', (bytes) => {
        inputIndex.set(wordsOf(bytes, Int32Array), row);
        row += bytes.length / 4;
      });
      part.forEachBlob('values', (bytes) => {
        values.set(wordsOf(bytes, Float32Array), at);
        at += bytes.length / 4;
      });
    }
    if (row !== total || at !== total * dim) {
      throw new Error(
        `staged layer '${layer}' of run ${runId} holds ${at} values for ${row} inputs, expected ${dim} per input`,
      );
    }
    const maxima = await ResultColumns.query(connection, `SELECT unit_max ${where}${order}`, params);
    row = 0;
    maxima.forEachBlob('unit_max', (bytes) => {
      const batchMax = wordsOf(bytes, Float32Array);
      const rows = batchMax.length / units;
      if (!Number.isInteger(rows) || row + rows > total) {
        throw new Error(
          `staged layer '${layer}' of run ${runId} holds ${batchMax.length} maxima in a batch, not ${units} per input`,
        );
      }
      if (visitUnitMax) visitUnitMax(batchMax, inputIndex.subarray(row, row + rows));
      else unitMax.set(batchMax, row * units);
      row += rows;
    });
    if (row !== total) {
      throw new Error(`staged layer '${layer}' of run ${runId} holds maxima for ${row} inputs, not ${total}`);
    }
    return { inputIndex, values, unitMax };
  });
}

/** A blob's bytes as 4-byte numbers, copied when they do not start on a 4-byte boundary. */
function wordsOf<T extends Float32Array | Int32Array>(
  bytes: Uint8Array,
  View: { new (buffer: ArrayBuffer, offset: number, length: number): T; new (length: number): T },
): T {
  if (bytes.byteOffset % 4 === 0) return new View(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = new Uint8Array(bytes);
  return new View(copy.buffer, 0, copy.byteLength / 4);
}

export async function clearStagedLayer(connection: DuckDBConnection, runId: number, layer: string): Promise<void> {
  await connection.run('DELETE FROM staged_activations WHERE run_id = $1 AND layer = $2', [runId, layer]);
}

export async function clearStagedBatches(connection: DuckDBConnection, runId: number): Promise<void> {
  await connection.run('DELETE FROM staged_batches WHERE run_id = $1', [runId]);
}
