/**
 * What storing the extraction stage's results costs per input: store.appendStagedBatch of a buffered
 * commit (analyze() gathers up to 2048 rows or 5 s of batches per commit, see src/engine/batch-buffer.ts),
 * and, measured alone, building its FLOAT[] list values (listValue of a JS number array per row and
 * layer, src/io/store/bulk.ts floatListColumn), which grows with the rows.
 * And the proposed commit (/tmp/engine-speed-proposal.md), in one transaction on the same file: the inputs
 * through one appender, and each layer's commit as ONE row holding the input indices and the row-major
 * [rows x dim] float32 matrices as BLOBs (table staged_blobs, made here for the measurement).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BLOB,
  blobValue,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  listValue,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { NapStore } from '../../src/io/store/index.js';
import type { StagedBatch } from '../../src/io/store/staging.js';
import { randomBatches } from './timing.js';

/** Median milliseconds per `perInputs` inputs of each way to commit. */
export interface CommitProfile {
  perInputs: number;
  /** store.appendStagedBatch, as analyze() commits. */
  commit: number;
  /** Its FLOAT[] list values alone. */
  lists: number;
  /** The proposed BLOB commit. */
  proposed: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function stagedBatch(start: number, count: number, layers: { name: string; units: number }[]): StagedBatch {
  return {
    start,
    count,
    inputs: {
      index: Int32Array.from({ length: count }, (_, i) => start + i),
      path: Array.from({ length: count }, (_, i) => path.join(os.tmpdir(), 'images', `${start + i}.jpg`)),
      label: Array.from({ length: count }, () => 'label'),
      prediction: new Int32Array(count),
      predictionLabel: Array.from({ length: count }, () => '0'),
      probability: new Float32Array(count),
    },
    layers: layers.map((layer, l) => {
      const [values, unitMax] = randomBatches(2, count * layer.units, start + l);
      return { layer: layer.name, values: values!, dim: layer.units, unitMax: unitMax!, units: layer.units };
    }),
  };
}

/**
 * Commits `commits` commits of `rows` rows each for `layers` (mean aggregation: dim = units) to a fresh
 * store, each way; times are given per `perInputs` inputs (the model's batch size).
 */
export async function profileCommit(
  layers: { name: string; units: number }[],
  options: { rows: number; perInputs: number; commits?: number },
): Promise<CommitProfile> {
  const { rows, perInputs } = options;
  const folder = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-commit-'));
  const file = path.join(folder, 'commit.duckdb');
  const scale = perInputs / rows;
  try {
    const made = Array.from({ length: options.commits ?? 3 }, (_, b) => stagedBatch(b * rows, rows, layers));
    const commit: number[] = [];
    const store = await NapStore.open(file);
    try {
      const runId = await store.createRun({
        name: 'commit profile',
        modelPath: 'model.onnx',
        modelSha256: 'm',
        modelLayout: 'NCHW',
        datasetSpec: 'images',
        datasetFingerprint: 'f',
        extractionConfigHash: 'h',
        config: {},
        predictionLabels: null,
      });
      for (const batch of made) {
        const start = performance.now();
        await store.appendStagedBatch(runId, batch);
        commit.push(performance.now() - start);
      }
    } finally {
      await store.close();
    }
    const lists = made.map((batch) => {
      const start = performance.now();
      for (const layer of batch.layers) {
        for (let row = 0; row < rows; row++) {
          listValue(Array.from(layer.values.subarray(row * layer.dim, (row + 1) * layer.dim)));
          listValue(Array.from(layer.unitMax.subarray(row * layer.units, (row + 1) * layer.units)));
        }
      }
      return performance.now() - start;
    });
    const proposed = await proposedCommits(file, made);
    return {
      perInputs,
      commit: median(commit) * scale,
      lists: median(lists) * scale,
      proposed: median(proposed) * scale,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** One data chunk of `columns` (in table order) through an appender, which is flushed and closed. */
async function appendChunk(
  connection: DuckDBConnection,
  table: string,
  types: DuckDBType[],
  columns: DuckDBValue[][],
): Promise<void> {
  const chunk = DuckDBDataChunk.create(types, columns[0]!.length);
  columns.forEach((values, c) => chunk.setColumnValues(c, values));
  const appender = await connection.createAppender(table);
  appender.appendDataChunk(chunk);
  appender.flushSync();
  appender.closeSync();
}

/**
 * Tables for the proposed commit in a bare DuckDB file: inputs as in the store's schema, staged batches,
 * and staged_blobs, one row per layer and batch holding row-major float32 matrices.
 */
export async function createProposedTables(connection: DuckDBConnection, withInputs: boolean): Promise<void> {
  if (withInputs) {
    await connection.run(`CREATE TABLE inputs (run_id INTEGER NOT NULL, input_index INTEGER NOT NULL, path VARCHAR, label VARCHAR,
      prediction INTEGER NOT NULL, prediction_label VARCHAR, probability DOUBLE NOT NULL, PRIMARY KEY (run_id, input_index))`);
    await connection.run(
      'CREATE TABLE staged_batches (run_id INTEGER NOT NULL, batch_start INTEGER NOT NULL, batch_count INTEGER NOT NULL, PRIMARY KEY (run_id, batch_start))',
    );
  }
  await connection.run(
    'CREATE TABLE staged_blobs (run_id INTEGER NOT NULL, layer VARCHAR NOT NULL, batch_start INTEGER NOT NULL, input_index BLOB NOT NULL, "values" BLOB NOT NULL, unit_max BLOB NOT NULL)',
  );
}

/** One batch committed the proposed way, in one transaction; column order is known (the engine would look it up once). */
export async function commitProposed(connection: DuckDBConnection, runId: number, batch: StagedBatch): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  const rows = batch.inputs.index.length;
  const { inputs } = batch;
  await appendChunk(
    connection,
    'inputs',
    [INTEGER, INTEGER, VARCHAR, VARCHAR, INTEGER, VARCHAR, DOUBLE],
    [
      new Array<DuckDBValue>(rows).fill(runId),
      Array.from(inputs.index),
      Array.from(inputs.path, (v) => v ?? null),
      Array.from(inputs.label, (v) => v ?? null),
      Array.from(inputs.prediction),
      Array.from(inputs.predictionLabel, (v) => v ?? null),
      Array.from(inputs.probability),
    ],
  );
  const index = blobValue(new Uint8Array(inputs.index.buffer, inputs.index.byteOffset, inputs.index.byteLength));
  await appendChunk(
    connection,
    'staged_blobs',
    [INTEGER, VARCHAR, INTEGER, BLOB, BLOB, BLOB],
    [
      batch.layers.map(() => runId),
      batch.layers.map((layer) => layer.layer),
      batch.layers.map(() => batch.start),
      batch.layers.map(() => index),
      batch.layers.map((layer) => blobValue(bytesOf(layer.values))),
      batch.layers.map((layer) => blobValue(bytesOf(layer.unitMax))),
    ],
  );
  await connection.run('INSERT INTO staged_batches VALUES ($1, $2, $3)', [runId, batch.start, batch.count]);
  await connection.run('COMMIT');
}

/** Milliseconds of each batch committed the proposed way into the store file (a second run id, so keys do not clash). */
async function proposedCommits(file: string, batches: StagedBatch[]): Promise<number[]> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  const times: number[] = [];
  try {
    await createProposedTables(connection, false);
    for (const batch of batches) {
      const start = performance.now();
      await commitProposed(connection, 2, batch);
      times.push(performance.now() - start);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return times;
}
