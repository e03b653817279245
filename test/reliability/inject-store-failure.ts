/**
 * Preloaded (`node --import`) into a nap process by disk-failures.test.ts on machines where the test cannot
 * mount a small or a read-only file system: DuckDB then fails exactly where, and with the message that,
 * such a file system makes it fail. NAP_TEST_INJECT=no-space:N lets the first N commits through and fails
 * every later commit and checkpoint; no-space:close fails only checkpoints (a disk that fills up when the
 * log is written into the file); read-only fails every writable open.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

const [mode, count] = (process.env.NAP_TEST_INJECT ?? '').split(':');
if (mode === 'no-space') {
  let commits = count === 'close' ? Infinity : Number(count);
  const run = Reflect.get(DuckDBConnection.prototype, 'run') as (
    this: DuckDBConnection,
    sql: string,
    ...rest: unknown[]
  ) => ReturnType<DuckDBConnection['run']>;
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    if (/^\s*CHECKPOINT/i.test(sql) || (/^\s*COMMIT/i.test(sql) && commits-- <= 0)) {
      return Promise.reject(new Error('IO Error: Could not write file "results.duckdb.wal": No space left on device'));
    }
    return run.call(this, sql, ...rest);
  };
} else if (mode === 'read-only') {
  const create = DuckDBInstance.create.bind(DuckDBInstance);
  DuckDBInstance.create = (path?: string, options?: Record<string, string>) => {
    if (options?.access_mode !== 'READ_ONLY') {
      return Promise.reject(new Error(`IO Error: Cannot open file "${path}": Read-only file system`));
    }
    return create(path, options);
  };
}
