/** Typed columns to and from Parquet files through an in-memory DuckDB (the store's bulk writer and column reader). */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { appendRows, type BulkColumn } from '../io/store/bulk.js';
import { ResultColumns } from '../io/store/results.js';

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Runs `work` on a connection of a fresh in-memory DuckDB, closed after. */
export async function withDuckDB<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

let tables = 0;

/** Writes `rowCount` rows of `columns` (in key order) to the Parquet file `file`, with key-value metadata. */
export async function writeParquetTable(
  connection: DuckDBConnection,
  file: string,
  columns: Readonly<Record<string, BulkColumn>>,
  rowCount: number,
  metadata: Readonly<Record<string, string>>,
): Promise<void> {
  // A new name per table: appendRows caches the columns of a table name per connection.
  const table = `t${tables++}`;
  const definitions = Object.entries(columns).map(([name, column]) => `${quoted(name)} ${column.type.toString()}`);
  await connection.run(`CREATE TABLE ${table} (${definitions.join(', ')})`);
  try {
    await appendRows(connection, table, columns, rowCount);
    const kv = Object.entries(metadata).map(([key, value]) => `${key}: ${literal(value)}`);
    await connection.run(`COPY ${table} TO ${literal(file)} (FORMAT parquet, KV_METADATA {${kv.join(', ')}})`);
  } finally {
    await connection.run(`DROP TABLE ${table}`);
  }
}

/** `SELECT <columns> FROM` the Parquet file, in file order. */
export function readParquetTable(
  connection: DuckDBConnection,
  file: string,
  columns: string[],
): Promise<ResultColumns> {
  return ResultColumns.query(
    connection,
    `SELECT ${columns.map(quoted).join(', ')} FROM read_parquet(${literal(file)})`,
  );
}

/** The key-value metadata of the Parquet file, keys and values as text. */
export async function readParquetMetadata(connection: DuckDBConnection, file: string): Promise<Record<string, string>> {
  const result = await ResultColumns.query(
    connection,
    `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${literal(file)})`,
  );
  const keys = result.text('key');
  const values = result.text('value');
  return Object.fromEntries(keys.map((key, i) => [key ?? '', values[i] ?? '']));
}
