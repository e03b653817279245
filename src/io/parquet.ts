/** A table of text and number cells written as a Parquet file, through an in-memory DuckDB. */
import { DOUBLE, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import { InputError } from '../errors.js';
import { appendRows, type BulkColumn } from './store/bulk.js';

export type ParquetCell = string | number | null;

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Writes `rows` (cells in `columns` order) to `path`. A column whose cells are all numbers (or null) is
 * DOUBLE, any other VARCHAR.
 */
export async function writeParquet(
  path: string,
  columns: readonly string[],
  rows: readonly (readonly ParquetCell[])[],
): Promise<void> {
  const numeric = columns.map((_, c) => rows.every((row) => row[c] === null || typeof row[c] === 'number'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `CREATE TABLE t (${columns.map((name, c) => `${quoted(name)} ${numeric[c] ? 'DOUBLE' : 'VARCHAR'}`).join(', ')})`,
    );
    const bulk: Record<string, BulkColumn> = {};
    columns.forEach((name, c) => {
      bulk[name] = numeric[c]
        ? { type: DOUBLE, valueAt: (r) => (rows[r]![c] as number | null) ?? null }
        : { type: VARCHAR, valueAt: (r) => (rows[r]![c] === null ? null : String(rows[r]![c])) };
    });
    await appendRows(connection, 't', bulk, rows.length);
    try {
      await connection.run(`COPY t TO '${path.replace(/'/g, "''")}' (FORMAT parquet)`);
    } catch (error) {
      throw new InputError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'check that its folder exists and is writable',
        cause: error,
      });
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
