/**
 * The allocator settings of DuckDB's own (bundled) jemalloc. By default it keeps the pages DuckDB frees for
 * a while (1 s, purged only as it allocates), and a store written batch by batch frees a lot: each checkpoint
 * rewrites every staged blob, as the staged rows all sit in one row group that every append changes. An
 * extraction grew 2.3 KiB per input, 1.0 with these settings (scripts/bench-memory.ts, 50,000 and 150,000
 * inputs); returning freed pages at once costs system time, about 2.7 CPU s per 150,000 inputs.
 *
 * jemalloc reads the variable when DuckDB's native library loads, so it must be set before anything imports
 * @duckdb/node-api: the CLI sets it first thing (src/cli/main.ts). A value already in the environment is
 * kept (an empty one leaves DuckDB's defaults).
 */
export const DUCKDB_ALLOCATOR_VARIABLE = 'DUCKDB_JE_MALLOC_CONF';
export const DUCKDB_ALLOCATOR_SETTINGS = 'dirty_decay_ms:0,muzzy_decay_ms:0';

/** Sets DuckDB's allocator settings in `env` unless it has a value already; true when it set them. */
export function configureDuckDbAllocator(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[DUCKDB_ALLOCATOR_VARIABLE] !== undefined) return false;
  env[DUCKDB_ALLOCATOR_VARIABLE] = DUCKDB_ALLOCATOR_SETTINGS;
  return true;
}
