/**
 * A shard's files in the shared folder. Each (run, layer, shard) is one Parquet file of the shard's rows
 * (input_index, the raw aggregated activations `values` and the per-unit maxima `unit_max`); the shard's
 * predictions go to one more (input_index, prediction, probability, probabilities, digest). The shard is
 * published by its record `shards/shard-NNNNN.json`, written last and atomically, which names each file
 * with its size and SHA-256. Every attempt writes files of its own, so a shard written twice (a worker
 * thought dead that was not) yields two sets of files and one record: readers take exactly the files the
 * record names, so no row is ever read twice. The record and every Parquet file (key-value metadata
 * `nap_format`) carry the shared folder's format (format.ts); a shard of another format is refused by name.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExtractedBatch } from '../engine/extract.js';
import { InputError } from '../errors.js';
import type { FailedItem } from '../io/datasets/types.js';
import { floatColumn, intColumn, textColumn, type BulkColumn } from '../io/store/bulk.js';
import { floatListColumn } from '../io/store/vectors.js';
import type { ResultColumns } from '../io/store/results.js';
import { napVersion } from '../version.js';
import { FORMAT_METADATA_KEY, formatDifference, isCurrentFormat, SHARD_FORMAT, WRITER_METADATA_KEY } from './format.js';
import type { RunManifest, ShardedLayer } from './manifest.js';
import { readParquetMetadata, readParquetTable, withDuckDB, writeParquetTable } from './parquet-table.js';
import { shardName, shardRange } from './shards.js';

export interface ShardFile {
  /** Relative to the shared folder. */
  path: string;
  bytes: number;
  sha256: string;
}

/** What `shards/shard-NNNNN.json` holds. */
export interface ShardRecord {
  format: typeof SHARD_FORMAT;
  /** The nap version that wrote the shard. */
  nap: string;
  key: string;
  shard: number;
  start: number;
  count: number;
  /** Rows written: the inputs of the range that could be read. */
  rows: number;
  /** Columns of each row's class probabilities. */
  classes: number;
  /** Inputs of the range that could not be read. */
  skipped: FailedItem[];
  /** `inputs`, then the file of each layer and unit map by its folder name. */
  files: Record<string, ShardFile>;
  worker: string;
  seconds: number;
}

const INPUTS = 'inputs';

export function recordPath(folder: string, shard: number): string {
  return path.join(folder, 'shards', `${shardName(shard)}.json`);
}

async function sha256Of(file: string): Promise<{ bytes: number; sha256: string }> {
  const data = await readFile(file);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Writes one shard's extracted rows (`batch`, rows [start, start + count) of the run) and publishes it.
 * Returns its record.
 */
export async function writeShard(
  folder: string,
  run: RunManifest,
  shard: number,
  batch: ExtractedBatch,
  worker: string,
  seconds: number,
): Promise<ShardRecord> {
  const range = shardRange(run.rows, run.batchSize, shard, run.shards);
  if (batch.start !== range.start || batch.count !== range.count) {
    throw new RangeError(`shard ${shard} covers rows ${range.start}+${range.count}, not ${batch.start}+${batch.count}`);
  }
  const attempt = randomUUID().slice(0, 8);
  const rows = batch.rows.length;
  const name = `${shardName(shard)}.${attempt}.parquet`;
  const tables: { file: string; columns: Record<string, BulkColumn> }[] = [
    {
      file: INPUTS,
      columns: {
        input_index: intColumn(batch.rows),
        prediction: intColumn(batch.prediction),
        probability: floatColumn(batch.probability),
        // A model that does not classify gives 0 classes: empty lists.
        probabilities: floatListColumn(batch.probabilities, batch.classes),
        digest: textColumn(batch.digest),
      },
    },
    ...[
      ...run.layers.map((layer, l) => ({ layer, data: batch.layers[l]! })),
      ...run.unitMaps.map((layer, m) => ({ layer, data: batch.unitMaps[m]! })),
    ].map(({ layer, data }) => ({
      file: layer.file,
      columns: {
        input_index: intColumn(batch.rows),
        values: floatListColumn(data.values, layer.dim),
        unit_max: floatListColumn(data.unitMax, layer.geometry.units),
      },
    })),
  ];
  const files: Record<string, ShardFile> = {};
  await withDuckDB(async (connection) => {
    for (const table of tables) {
      const relative = path.join(table.file, name);
      await mkdir(path.join(folder, table.file), { recursive: true });
      const layer = [...run.layers, ...run.unitMaps].find((l) => l.file === table.file);
      await writeParquetTable(connection, path.join(folder, relative), table.columns, rows, {
        [FORMAT_METADATA_KEY]: SHARD_FORMAT,
        [WRITER_METADATA_KEY]: napVersion(),
        nap_run: run.key,
        nap_shard: String(shard),
        nap_layer: layer?.name ?? INPUTS,
      });
      files[table.file] = { path: relative, ...(await sha256Of(path.join(folder, relative))) };
    }
  });
  const record: ShardRecord = {
    format: SHARD_FORMAT,
    nap: napVersion(),
    key: run.key,
    shard,
    start: range.start,
    count: range.count,
    rows,
    classes: batch.classes,
    skipped: batch.skipped,
    files,
    worker,
    seconds,
  };
  const target = recordPath(folder, shard);
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${attempt}.tmp`;
  await writeFile(temporary, JSON.stringify(record, null, 2));
  await rename(temporary, target);
  return record;
}

/** Why a shard cannot be read; `file` is the path to name. */
export class ShardProblem extends InputError {
  constructor(
    run: RunManifest,
    readonly shard: number,
    readonly kind: 'missing' | 'corrupt' | 'of another format',
    readonly file: string,
    why: string,
  ) {
    const range = shardRange(run.rows, run.batchSize, shard, run.shards);
    super(
      `shard ${shard} of ${run.shards} (rows ${range.start} to ${range.start + range.count - 1}) is ${kind}: ${file} ${why}`,
      {
        hint: `run that shard again (nap worker --shard ${shard}/${run.shards} with the run's options, or its queue job): it replaces the shard, then gather again${kind === 'of another format' ? '; or gather with the nap version that wrote it' : ''}`,
      },
    );
    this.name = 'ShardProblem';
  }
}

async function readRecord(folder: string, run: RunManifest, shard: number): Promise<ShardRecord> {
  const file = recordPath(folder, shard);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ShardProblem(run, shard, 'missing', file, 'does not exist (no worker has finished it)');
    }
    throw error;
  }
  let record: ShardRecord;
  try {
    record = JSON.parse(text) as ShardRecord;
  } catch {
    throw new ShardProblem(run, shard, 'corrupt', file, 'is not valid JSON');
  }
  // Read as unknown: a record of another version holds any value there.
  const format: unknown = record.format;
  if (!isCurrentFormat(format)) {
    throw new ShardProblem(run, shard, 'of another format', file, formatDifference(format, record.nap));
  }
  const range = shardRange(run.rows, run.batchSize, shard, run.shards);
  if (
    record.key !== run.key ||
    record.shard !== shard ||
    record.start !== range.start ||
    record.count !== range.count
  ) {
    throw new ShardProblem(
      run,
      shard,
      'corrupt',
      file,
      `belongs to another run or shard (run ${record.key}, shard ${record.shard})`,
    );
  }
  for (const table of [INPUTS, ...run.layers.map((l) => l.file), ...run.unitMaps.map((l) => l.file)]) {
    if (!record.files?.[table]) throw new ShardProblem(run, shard, 'corrupt', file, `names no ${table} file`);
  }
  return record;
}

/**
 * The shard's record once it is published and every file it names is there with its size, with its
 * SHA-256 when `hash` (default true) and with this nap's format when `formats` (default: as `hash`; reading
 * a file checks its format too); otherwise a ShardProblem that names the missing, damaged or other file.
 */
export async function verifyShard(
  folder: string,
  run: RunManifest,
  shard: number,
  options: { hash?: boolean; formats?: boolean } = {},
): Promise<ShardRecord> {
  const record = await readRecord(folder, run, shard);
  for (const entry of Object.values(record.files)) {
    const file = path.join(folder, entry.path);
    const size = (await stat(file).catch(() => null))?.size;
    if (size === undefined) throw new ShardProblem(run, shard, 'missing', file, 'does not exist');
    if (size !== entry.bytes) {
      throw new ShardProblem(run, shard, 'corrupt', file, `has ${size} bytes, its record says ${entry.bytes}`);
    }
    if (options.hash !== false && (await sha256Of(file)).sha256 !== entry.sha256) {
      throw new ShardProblem(run, shard, 'corrupt', file, 'does not match the SHA-256 of its record');
    }
  }
  if (options.formats ?? options.hash !== false) {
    await withDuckDB(async (connection) => {
      for (const entry of Object.values(record.files)) {
        await requireFileFormat(connection, run, record, path.join(folder, entry.path));
      }
    });
  }
  return record;
}

/** Refuses a shard's Parquet file whose key-value metadata names another format (or none). */
async function requireFileFormat(
  connection: DuckDBConnection,
  run: RunManifest,
  record: ShardRecord,
  file: string,
): Promise<void> {
  let metadata: Record<string, string>;
  try {
    metadata = await readParquetMetadata(connection, file);
  } catch (error) {
    throw unreadable(run, record, file, error);
  }
  const format = metadata[FORMAT_METADATA_KEY];
  if (!isCurrentFormat(format)) {
    const why = formatDifference(format, metadata[WRITER_METADATA_KEY]);
    throw new ShardProblem(run, record.shard, 'of another format', file, why);
  }
}

function unreadable(run: RunManifest, record: ShardRecord, file: string, error: unknown): ShardProblem {
  const why = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return new ShardProblem(run, record.shard, 'corrupt', file, `cannot be read as Parquet (${why})`);
}

/** True when the shard is published with all its files (sizes checked, not contents). */
export async function shardPublished(folder: string, run: RunManifest, shard: number): Promise<boolean> {
  try {
    await verifyShard(folder, run, shard, { hash: false });
    return true;
  } catch (error) {
    if (error instanceof ShardProblem) return false;
    throw error;
  }
}

async function readTable(
  connection: DuckDBConnection,
  folder: string,
  run: RunManifest,
  record: ShardRecord,
  table: string,
  columns: string[],
): Promise<ResultColumns> {
  const file = path.join(folder, record.files[table]!.path);
  await requireFileFormat(connection, run, record, file);
  let result: ResultColumns;
  try {
    result = await readParquetTable(connection, file, columns);
  } catch (error) {
    throw unreadable(run, record, file, error);
  }
  if (result.rowCount !== record.rows) {
    throw new ShardProblem(
      run,
      record.shard,
      'corrupt',
      file,
      `holds ${result.rowCount} rows, its record says ${record.rows}`,
    );
  }
  return result;
}

function requireRows(
  run: RunManifest,
  record: ShardRecord,
  file: string,
  index: Int32Array,
  expected?: Int32Array,
): void {
  for (let i = 0; i < index.length; i++) {
    const row = index[i]!;
    const inRange = row >= record.start && row < record.start + record.count && (i === 0 || row > index[i - 1]!);
    if (!inRange || (expected !== undefined && expected[i] !== row)) {
      throw new ShardProblem(run, record.shard, 'corrupt', file, `lists input ${row} out of its place`);
    }
  }
}

/** One layer's rows of one verified shard. */
async function readLayerRows(
  connection: DuckDBConnection,
  folder: string,
  run: RunManifest,
  record: ShardRecord,
  layer: ShardedLayer,
  expected?: Int32Array,
): Promise<{ index: Int32Array; values: Float32Array; unitMax: Float32Array }> {
  const result = await readTable(connection, folder, run, record, layer.file, ['input_index', 'values', 'unit_max']);
  const file = path.join(folder, record.files[layer.file]!.path);
  try {
    const index = result.int32('input_index');
    requireRows(run, record, file, index, expected);
    return {
      index,
      values: result.floatLists('values', layer.dim),
      unitMax: result.floatLists('unit_max', layer.geometry.units),
    };
  } catch (error) {
    if (error instanceof ShardProblem) throw error;
    throw new ShardProblem(
      run,
      record.shard,
      'corrupt',
      file,
      `has other columns than layer '${layer.name}' (${String(error)})`,
    );
  }
}

/** A verified shard as the batch of rows the model gave for its range (see ExtractedBatch). */
export async function readShard(folder: string, run: RunManifest, record: ShardRecord): Promise<ExtractedBatch> {
  return withDuckDB(async (connection) => {
    const columns = ['input_index', 'prediction', 'probability', 'probabilities', 'digest'];
    const inputs = await readTable(connection, folder, run, record, INPUTS, columns);
    const file = path.join(folder, record.files[INPUTS]!.path);
    const rows = inputs.int32('input_index');
    requireRows(run, record, file, rows);
    const layers = [];
    for (const layer of run.layers) {
      const { values, unitMax } = await readLayerRows(connection, folder, run, record, layer, rows);
      layers.push({ values, unitMax });
    }
    const unitMaps = [];
    for (const map of run.unitMaps) {
      const { values, unitMax } = await readLayerRows(connection, folder, run, record, map, rows);
      unitMaps.push({ values, unitMax });
    }
    return {
      start: record.start,
      count: record.count,
      rows,
      prediction: inputs.int32('prediction'),
      probability: Float32Array.from(inputs.float64('probability')),
      probabilities: inputs.floatLists('probabilities', record.classes),
      classes: record.classes,
      digest: inputs.text('digest').map((d) => d ?? ''),
      layers,
      unitMaps,
      skipped: record.skipped,
    };
  });
}

/** Every shard's rows of one layer, by ascending input index: what the single-process run stages. */
export async function readShardedLayer(
  folder: string,
  run: RunManifest,
  layer: ShardedLayer,
): Promise<{ inputIndex: Int32Array; values: Float32Array }> {
  const parts: { index: Int32Array; values: Float32Array }[] = [];
  await withDuckDB(async (connection) => {
    for (let shard = 0; shard < run.shards; shard++) {
      const record = await verifyShard(folder, run, shard, { hash: false });
      parts.push(await readLayerRows(connection, folder, run, record, layer));
    }
  });
  const rows = parts.reduce((n, part) => n + part.index.length, 0);
  const inputIndex = new Int32Array(rows);
  const values = new Float32Array(rows * layer.dim);
  let at = 0;
  for (const part of parts) {
    inputIndex.set(part.index, at);
    values.set(part.values, at * layer.dim);
    at += part.index.length;
  }
  return { inputIndex, values };
}
