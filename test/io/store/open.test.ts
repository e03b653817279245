import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { InputError } from '../../../src/errors.js';
import { NapStore, SCHEMA_VERSION } from '../../../src/io/store/index.js';
import { sampleInputs, sampleLayer, sampleRun, tempDir } from './helpers.js';

async function rawSql(path: string, statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function assertInputError(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(error.hint && error.hint.length > 0, 'says what to do');
    return true;
  };
}

describe('NapStore.open', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it('creates a new store with the current schema version and reopens it', async () => {
    const path = join(dir, 'new.duckdb');
    const store = await NapStore.open(path);
    assert.equal(store.path, path);
    assert.equal(store.readOnly, false);
    const runId = await store.createRun(sampleRun());
    await store.close();
    await store.close();
    const again = await NapStore.open(path);
    assert.deepEqual(
      (await again.listRuns()).map((run) => run.runId),
      [runId],
    );
    await again.close();
    assert.ok(SCHEMA_VERSION >= 1);
  });

  it('never modifies the file when opened read-only, and refuses writes', async () => {
    const path = join(dir, 'readonly.duckdb');
    const writer = await NapStore.open(path);
    const runId = await writer.createRun(sampleRun());
    await writer.appendInputs(runId, sampleInputs(20));
    await writer.appendLayer(runId, sampleLayer());
    await writer.close();
    const bytes = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));

    const reader = await NapStore.open(path, { readOnly: true });
    assert.equal(reader.readOnly, true);
    assert.equal((await reader.readInputs(runId)).index.length, 20);
    assert.deepEqual(
      (await reader.listLayers(runId)).map((layer) => layer.layer),
      ['conv1'],
    );
    await assert.rejects(reader.createRun(sampleRun()), assertInputError(/read-only/));
    await assert.rejects(reader.setRunStatus(runId, 'complete'), assertInputError(/read-only/));
    await reader.close();

    assert.equal(statSync(path).mtimeMs, mtime);
    assert.ok(readFileSync(path).equals(bytes), 'file bytes unchanged');
    assert.ok(!existsSync(`${path}.wal`), 'no WAL left behind');
  });

  it('refuses a missing file read-only, naming the path', async () => {
    const path = join(dir, 'missing.duckdb');
    await assert.rejects(NapStore.open(path, { readOnly: true }), assertInputError(/missing\.duckdb.*does not exist/));
    assert.ok(!existsSync(path), 'did not create it');
  });

  it('refuses a missing directory', async () => {
    await assert.rejects(
      NapStore.open(join(dir, 'no-such-dir', 'x.duckdb')),
      assertInputError(/no-such-dir.*does not exist/),
    );
  });

  it('refuses a file that is not a DuckDB database, in both modes, without touching it', async () => {
    for (const [name, content] of [
      ['text.duckdb', 'hello, I am a CSV file\n1,2,3\n'.repeat(100)],
      ['empty.duckdb', ''],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, content);
      await assert.rejects(NapStore.open(path), assertInputError(new RegExp(`${name}.*not a DuckDB database`)));
      await assert.rejects(NapStore.open(path, { readOnly: true }), assertInputError(/not a DuckDB database/));
      assert.equal(readFileSync(path, 'utf8'), content);
    }
  });

  it('refuses a directory', async () => {
    await assert.rejects(NapStore.open(dir), assertInputError(/not a file/));
  });

  it('refuses a DuckDB database that is not a nap store', async () => {
    const path = join(dir, 'other.duckdb');
    await rawSql(path, ['CREATE TABLE measurements (x INTEGER)']);
    await assert.rejects(NapStore.open(path), assertInputError(/other\.duckdb.*not a nap store/));
    await assert.rejects(NapStore.open(path, { readOnly: true }), assertInputError(/not a nap store/));
  });

  it('refuses an empty DuckDB database read-only but turns it into a store when writable', async () => {
    const path = join(dir, 'blank.duckdb');
    await rawSql(path, []);
    await assert.rejects(NapStore.open(path, { readOnly: true }), assertInputError(/empty DuckDB database/));
    const store = await NapStore.open(path);
    await store.createRun(sampleRun());
    await store.close();
  });

  it('refuses a store with a newer schema version', async () => {
    const path = join(dir, 'future.duckdb');
    await (await NapStore.open(path)).close();
    await rawSql(path, [`UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`]);
    await assert.rejects(
      NapStore.open(path),
      assertInputError(new RegExp(`future\\.duckdb.*version ${SCHEMA_VERSION + 1}`)),
    );
    await assert.rejects(NapStore.open(path, { readOnly: true }), assertInputError(/upgrade|newer|reads up to/));
  });

  it('refuses use after close', async () => {
    const path = join(dir, 'closed.duckdb');
    const store = await NapStore.open(path);
    await store.close();
    await assert.rejects(store.listRuns(), /closed/);
  });

  it('refuses a second open of a file already open in this process, until it is closed', async () => {
    const path = join(dir, 'twice.duckdb');
    const store = await NapStore.open(path);
    await assert.rejects(
      NapStore.open(path, { readOnly: true }),
      assertInputError(/twice\.duckdb is already open in this process/),
    );
    await store.close();
    const again = await NapStore.open(path, { readOnly: true });
    await again.close();
  });
});
