/**
 * Opening a store file: refusing what is not one, creating the schema in a new file, migrating an older
 * store to the current schema (after a backup copy beside it), and checking that the file holds every
 * table of a store. Read-only opens of an older store migrate it first, in a writable open of its own.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import { explainStoreError, storeFileError, type StoreActivity } from './file-errors.js';
import { migrateSchema, recordVersion, type MigrateSchemaOptions } from './migrations.js';
import { ResultColumns } from './results.js';
import { SCHEMA_DDL, SCHEMA_VERSION } from './schema.js';
import { inTransaction } from './transaction.js';

/** Every DuckDB file starts with an 8-byte checksum followed by this magic. */
const DUCKDB_MAGIC = 'DUCK';
const MAGIC_OFFSET = 8;

/** The tables of a store of the current version, from its DDL. */
export const STORE_TABLES: readonly string[] = SCHEMA_DDL.flatMap((statement) => {
  const match = /^CREATE TABLE (\w+)/.exec(statement);
  return match ? [match[1]!] : [];
});

/** What opening did to an older store. */
export interface MigrationReport {
  path: string;
  from: number;
  to: number;
  /** The copy of the file as it was before the migration, beside it. */
  backup: string;
  /** One line per step. */
  steps: string[];
}

export interface OpenStoreFileOptions {
  readOnly: boolean;
  /** Refuse a missing file instead of creating a store there. */
  mustExist: boolean;
  /** Read every stored value once, so that a damaged file is refused now instead of failing later. */
  verify?: boolean;
  /** Hooks into a migration (tests). */
  migration?: MigrateSchemaOptions;
}

export interface StoreFile {
  instance: DuckDBInstance;
  /** Set when the file was migrated by this open. */
  migration: MigrationReport | null;
}

function hasDuckDbHeader(path: string): boolean {
  const header = Buffer.alloc(MAGIC_OFFSET + DUCKDB_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    const read = readSync(fd, header, 0, header.length, 0);
    return read === header.length && header.toString('latin1', MAGIC_OFFSET) === DUCKDB_MAGIC;
  } finally {
    closeSync(fd);
  }
}

/** Refuses, before DuckDB sees it, a path that cannot be a store to open in this mode. */
function checkPath(path: string, readOnly: boolean, mustExist: boolean): void {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) {
    if (mustExist && !readOnly) {
      throw new InputError(`store ${path} does not exist`, { hint: 'pass the results file that nap analyze wrote' });
    }
    if (readOnly) {
      throw new InputError(`store ${path} does not exist`, {
        hint: 'check the path, or run an analysis first to create the store',
      });
    }
    const parent = dirname(path);
    if (!statSync(parent, { throwIfNoEntry: false })?.isDirectory()) {
      throw new InputError(`cannot create store ${path}: directory ${parent} does not exist`, {
        hint: 'create the directory first or choose another path',
      });
    }
    return;
  }
  if (!stats.isFile()) {
    throw new InputError(`store ${path} is not a file`, { hint: 'pass the path of a .duckdb store file' });
  }
  if (!hasDuckDbHeader(path)) {
    throw new InputError(`${path} is not a DuckDB database`, {
      hint: 'pass a store written by nap, or a path that does not exist yet to create a new store',
    });
  }
}

async function createInstance(path: string, readOnly: boolean, activity: StoreActivity): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, { access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE' });
  } catch (error) {
    throw (
      storeFileError(path, activity, error) ??
      new InputError(`cannot open store ${path}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'check that the file is a nap results file and readable',
        cause: error,
      })
    );
  }
}

async function tableNames(connection: DuckDBConnection): Promise<Set<string>> {
  const result = await ResultColumns.query(
    connection,
    `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`,
  );
  return new Set(result.text('table_name').map(String));
}

/** The schema version the file records: 'empty' for a database without tables, null when it is not a store. */
async function storedVersion(connection: DuckDBConnection): Promise<number | 'empty' | null> {
  const tables = await tableNames(connection);
  if (tables.size === 0) return 'empty';
  if (!tables.has('schema_version')) return null;
  const result = await ResultColumns.query(connection, 'SELECT max(version) AS version FROM schema_version');
  const [row] = result.rows();
  return row?.version === null || row?.version === undefined ? null : Number(row.version);
}

async function withConnection<T>(instance: DuckDBInstance, work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
  }
}

async function createSchema(connection: DuckDBConnection): Promise<void> {
  await inTransaction(connection, async () => {
    for (const statement of SCHEMA_DDL) await connection.run(statement);
    await recordVersion(connection, [
      { version: SCHEMA_VERSION, action: 'created', summary: `created at version ${SCHEMA_VERSION}` },
    ]);
  });
}

function backupPath(path: string, version: number): string {
  return `${path}.schema-v${version}.bak`;
}

/**
 * Copies the (checkpointed) store beside itself, atomically: a copy interrupted half way is never taken
 * for a backup. A write-ahead log that survived the checkpoint goes with it.
 */
async function backUp(path: string, version: number): Promise<string> {
  const backup = backupPath(path, version);
  const wal = `${path}.wal`;
  const walSize = (await stat(wal).catch(() => null))?.size ?? 0;
  try {
    await copyFile(path, `${backup}.partial`);
    await rename(`${backup}.partial`, backup);
    if (walSize > 0) await copyFile(wal, `${backup}.wal`);
  } catch (error) {
    await rm(`${backup}.partial`, { force: true });
    throw storeFileError(backup, 'back up', error) ?? error;
  }
  return backup;
}

/** Migrates the store open in `instance` (writable) from `from` to the current version. */
async function migrateInstance(
  instance: DuckDBInstance,
  path: string,
  from: number,
  options: MigrateSchemaOptions = {},
): Promise<MigrationReport> {
  return withConnection(instance, async (connection) => {
    try {
      // The backup is a plain copy of the file, so everything committed must be in the file first.
      await connection.run('CHECKPOINT');
      const backup = await backUp(path, from);
      const steps = await migrateSchema(connection, from, options);
      await connection.run('CHECKPOINT');
      return { path, from, to: SCHEMA_VERSION, backup, steps: steps.map((step) => step.summary) };
    } catch (error) {
      throw explainStoreError(path, 'migrate', error);
    }
  });
}

/** Refuses a file without every table of the current schema (made by another program, or damaged). */
async function requireStoreTables(connection: DuckDBConnection, path: string): Promise<void> {
  const tables = await tableNames(connection);
  const missing = STORE_TABLES.filter((table) => !tables.has(table));
  if (missing.length > 0) {
    throw new InputError(`${path} is not a complete nap results file: it has no table ${missing.join(', ')}`, {
      hint: 'it was made by another program or damaged; pass a results file written by nap analyze',
    });
  }
}

/**
 * The version of the store open in `instance`, after creating the schema of an empty writable file;
 * refuses files that are not stores and stores newer than this code.
 */
async function prepare(instance: DuckDBInstance, path: string, readOnly: boolean): Promise<number> {
  return withConnection(instance, async (connection) => {
    const version = await storedVersion(connection);
    if (version === 'empty') {
      if (readOnly) {
        throw new InputError(`${path} is an empty DuckDB database, not a nap store`, {
          hint: 'open it writable to create a store, or pass the path of a store written by nap',
        });
      }
      await createSchema(connection);
      return SCHEMA_VERSION;
    }
    if (version === null) {
      throw new InputError(`${path} is a DuckDB database but not a nap store (no schema version)`, {
        hint: 'pass a store written by nap, or a new path to create one',
      });
    }
    if (version > SCHEMA_VERSION) {
      throw new InputError(
        `store ${path} has schema version ${version}; this nap reads up to version ${SCHEMA_VERSION}`,
        { hint: 'upgrade nap-lens to open this store' },
      );
    }
    if (version === SCHEMA_VERSION) await requireStoreTables(connection, path);
    return version;
  });
}

/**
 * Reads every value of every table (DuckDB checks each block's checksum as it reads it): a store damaged
 * anywhere is refused with the path and what to do, where a server would otherwise answer errors later.
 */
async function verifyStoreData(instance: DuckDBInstance, path: string): Promise<void> {
  await withConnection(instance, async (connection) => {
    for (const table of STORE_TABLES) {
      try {
        await connection.run(`SELECT count(*), max(hash(COLUMNS(*))) FROM ${table}`);
      } catch (error) {
        throw explainStoreError(path, 'open', error);
      }
    }
  });
}

/**
 * Opens the DuckDB instance of a store at the current schema version: creates a new store, migrates an
 * older one in place (after a backup beside it; see migrations.ts), refuses anything else with an
 * InputError that says what the file is and what to do.
 */
export async function openStoreFile(path: string, options: OpenStoreFileOptions): Promise<StoreFile> {
  const { readOnly, mustExist } = options;
  checkPath(path, readOnly, mustExist);
  let instance: DuckDBInstance | null = await createInstance(path, readOnly, readOnly ? 'open-read-only' : 'open');
  try {
    const version = await prepare(instance, path, readOnly);
    let migration: MigrationReport | null = null;
    if (version < SCHEMA_VERSION && !readOnly) {
      migration = await migrateInstance(instance, path, version, options.migration);
      await withConnection(instance, (connection) => requireStoreTables(connection, path));
    } else if (version < SCHEMA_VERSION) {
      instance.closeSync();
      instance = null;
      migration = await migrateFile(path, version, options.migration);
      instance = await createInstance(path, true, 'open-read-only');
      if ((await prepare(instance, path, true)) !== SCHEMA_VERSION) {
        throw new Error(`store ${path} is not at schema version ${SCHEMA_VERSION} after its migration`);
      }
    }
    if (options.verify) await verifyStoreData(instance, path);
    return { instance, migration };
  } catch (error) {
    instance?.closeSync();
    throw error;
  }
}

/** Migrates the store file at `path` (not open in this process) in a writable open of its own. */
async function migrateFile(path: string, from: number, options?: MigrateSchemaOptions): Promise<MigrationReport> {
  const writable = await createInstance(path, false, 'migrate');
  try {
    return await migrateInstance(writable, path, from, options);
  } finally {
    writable.closeSync();
  }
}
