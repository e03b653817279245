/** Opening a store file: refusing what is not one, creating the schema in a new file, checking its version. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../../errors.js';
import { inTransaction } from './transaction.js';
import { ADDED_TABLES, ADDED_TABLES_DDL, SCHEMA_DDL, SCHEMA_VERSION } from './schema.js';

/** Every DuckDB file starts with an 8-byte checksum followed by this magic. */
const DUCKDB_MAGIC = 'DUCK';
const MAGIC_OFFSET = 8;

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

function openFailure(path: string, readOnly: boolean, error: unknown): InputError {
  const message = error instanceof Error ? error.message : String(error);
  let hint = 'check that the file is a nap store and readable';
  if (/lock/i.test(message)) {
    hint = readOnly
      ? 'another nap process is writing to the store (nap analyze, project, heatmaps or flow); wait for it to finish'
      : 'another nap process has the store open (nap serve holds it while it runs); stop it first, then start it again afterwards';
  } else if (/version|serializ/i.test(message)) hint = 'the file was written by a newer DuckDB; upgrade nap-lens';
  return new InputError(`cannot open store ${path}: ${message}`, { hint, cause: error });
}

export async function openInstance(path: string, readOnly: boolean, mustExist = false): Promise<DuckDBInstance> {
  checkPath(path, readOnly, mustExist);
  try {
    return await DuckDBInstance.create(path, { access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE' });
  } catch (error) {
    throw openFailure(path, readOnly, error);
  }
}

async function tableNames(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`,
  );
  return reader.getRows().map((row) => String(row[0]));
}

async function storedVersion(connection: DuckDBConnection): Promise<number | null> {
  const reader = await connection.runAndReadAll('SELECT max(version) FROM schema_version');
  const value = reader.getRows()[0]?.[0];
  return value === null || value === undefined ? null : Number(value);
}

/** Creates the schema in an empty database (when writable) or checks that the database is a store this code reads. */
export async function prepareSchema(connection: DuckDBConnection, path: string, readOnly: boolean): Promise<void> {
  const tables = await tableNames(connection);
  if (tables.length === 0) {
    if (readOnly) {
      throw new InputError(`${path} is an empty DuckDB database, not a nap store`, {
        hint: 'open it writable to create a store, or pass the path of a store written by nap',
      });
    }
    await inTransaction(connection, async () => {
      for (const statement of [...SCHEMA_DDL, ...ADDED_TABLES_DDL]) await connection.run(statement);
      await connection.run('INSERT INTO schema_version VALUES ($1)', [SCHEMA_VERSION]);
    });
    return;
  }
  const version = tables.includes('schema_version') ? await storedVersion(connection) : null;
  if (version === null) {
    throw new InputError(`${path} is a DuckDB database but not a nap store (no schema version)`, {
      hint: 'pass a store written by nap, or a new path to create one',
    });
  }
  if (version > SCHEMA_VERSION) {
    throw new InputError(
      `store ${path} has schema version ${version}; this nap reads up to version ${SCHEMA_VERSION}`,
      {
        hint: 'upgrade nap-lens to open this store',
      },
    );
  }
  if (version < SCHEMA_VERSION) {
    throw new InputError(`store ${path} has old schema version ${version}; this nap needs version ${SCHEMA_VERSION}`, {
      hint: 'run the analysis again into a new store',
    });
  }
  if (!readOnly && ADDED_TABLES.some((table) => !tables.includes(table))) {
    await inTransaction(connection, async () => {
      for (const statement of ADDED_TABLES_DDL) await connection.run(statement);
    });
  }
}
