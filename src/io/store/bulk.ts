/**
 * Bulk writes through DuckDB's appender, one data chunk (vector size, 2048 rows) at a time: no SQL text
 * is built from values. Columns are given by name, so the caller never depends on the DDL's order.
 */
import {
  BLOB,
  blobValue,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBVector,
  FLOAT,
  INTEGER,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { NumberColumn, TextColumn } from './types.js';

/** The values of one table column: its type and the value at each row. */
export interface BulkColumn {
  readonly type: DuckDBType;
  readonly valueAt: (row: number) => DuckDBValue;
  /**
   * Writes rows [from, from + size) into rows [0, size) of column `column` of a fresh chunk at once, the
   * same values as valueAt's (see vectors.ts); appendRows uses it where a column has it.
   */
  readonly fill?: (chunk: DuckDBDataChunk, column: number, from: number, size: number) => void;
}

export function intColumn(values: Int32Array): BulkColumn {
  return { type: INTEGER, valueAt: (row) => values[row]! };
}

/** Negative values are written as NULL (e.g. a group number where -1 means none). */
export function groupColumn(values: Int32Array): BulkColumn {
  return { type: INTEGER, valueAt: (row) => (values[row]! >= 0 ? values[row]! : null) };
}

export function doubleColumn(values: NumberColumn): BulkColumn {
  return { type: DOUBLE, valueAt: (row) => values[row]! };
}

export function floatColumn(values: Float32Array): BulkColumn {
  return { type: FLOAT, valueAt: (row) => values[row]! };
}

export function textColumn(values: TextColumn): BulkColumn {
  return { type: VARCHAR, valueAt: (row) => values[row] ?? null };
}

/** The same value on every row; null for a NULL column. */
export function constantInt(value: number | null): BulkColumn {
  return { type: INTEGER, valueAt: () => value };
}

export function constantText(value: string): BulkColumn {
  return { type: VARCHAR, valueAt: () => value };
}

/** Row r is `rows[r]` as a BLOB (rows may differ in size). */
export function blobRowsColumn(rows: readonly Uint8Array[]): BulkColumn {
  return { type: BLOB, valueAt: (row) => blobValue(rows[row]!) };
}

/** The same bytes on every row. */
export function constantBlob(value: Uint8Array): BulkColumn {
  return { type: BLOB, valueAt: () => blobValue(value) };
}

/** A typed array's memory as bytes (no copy); little-endian on every platform Node runs on. */
export function bytesOf(values: Float32Array | Int32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Row r is bytes `data[r*size .. (r+1)*size)` as a BLOB. */
export function blobColumn(data: Uint8Array, size: number): BulkColumn {
  return { type: BLOB, valueAt: (row) => blobValue(data.subarray(row * size, (row + 1) * size)) };
}

/** Column names per connection and table: the schema of an open store does not change under it. */
const columnNamesCache = new WeakMap<DuckDBConnection, Map<string, string[]>>();

async function tableColumnNames(connection: DuckDBConnection, table: string): Promise<string[]> {
  let tables = columnNamesCache.get(connection);
  if (!tables) columnNamesCache.set(connection, (tables = new Map<string, string[]>()));
  const cached = tables.get(table);
  if (cached) return cached;
  const names = await queryColumnNames(connection, table);
  tables.set(table, names);
  return names;
}

async function queryColumnNames(connection: DuckDBConnection, table: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $1 ORDER BY column_index`,
    [table],
  );
  return reader.getRows().map((row) => String(row[0]));
}

/**
 * Appends `rowCount` rows to `table`. Every table column must have an entry in `columns`. Errors from
 * constraints (a duplicate key) surface here; run inside a transaction to discard the partial append.
 */
export async function appendRows(
  connection: DuckDBConnection,
  table: string,
  columns: Readonly<Record<string, BulkColumn>>,
  rowCount: number,
): Promise<void> {
  const names = await tableColumnNames(connection, table);
  const unknown = Object.keys(columns).filter((name) => !names.includes(name));
  const missing = names.filter((name) => !(name in columns));
  if (unknown.length > 0 || missing.length > 0) {
    throw new Error(
      `bulk append to ${table}: unknown columns [${unknown.join(', ')}], missing [${missing.join(', ')}]`,
    );
  }
  const ordered = names.map((name) => columns[name]!);
  if (rowCount === 0) return;
  const types = ordered.map((column) => column.type);
  const rowsPerChunk = DuckDBVector.standardSize();
  const appender = await connection.createAppender(table);
  let failure: { error: unknown } | undefined;
  try {
    for (let start = 0; start < rowCount; start += rowsPerChunk) {
      const size = Math.min(rowsPerChunk, rowCount - start);
      const chunk = DuckDBDataChunk.create(types, size);
      ordered.forEach((column, columnIndex) => {
        if (column.fill) return column.fill(chunk, columnIndex, start, size);
        const values = new Array<DuckDBValue>(size);
        for (let row = 0; row < size; row++) values[row] = column.valueAt(start + row);
        chunk.setColumnValues(columnIndex, values);
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } catch (error) {
    failure = { error };
    // Rows left in a failed appender are flushed again when it is garbage-collected, into whatever
    // transaction the connection is in by then, aborting it: drop them now.
    appender.clear();
  }
  try {
    appender.closeSync();
  } catch (error) {
    // A failed flush makes close fail as well; the flush error is the one that explains it.
    failure ??= { error };
  }
  if (failure) throw failure.error;
}
