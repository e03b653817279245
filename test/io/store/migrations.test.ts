/**
 * Results stores written by every earlier version (test/fixtures/stores, made by scripts/store-fixtures.ts
 * with each version's own nap) open in today's nap: migrated in place after a backup beside the file, to
 * exactly the schema of a new store, with every stored value as the writing version read it, and the
 * version history recorded. A migration killed half way leaves the file as it was and is redone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { NapStore, SCHEMA_VERSION } from '../../../src/io/store/index.js';
import { MIGRATIONS } from '../../../src/io/store/migrations.js';
import { summarizeStore, type SummarizableStore } from './fixture-summary.js';
import { tempDir } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/stores/', import.meta.url));
const KILLER = fileURLToPath(new URL('./migrate-and-die.js', import.meta.url));
/** The schema version that brought schema_history. */
const HISTORY_VERSION = 4;

interface Fixture {
  name: string;
  schemaVersion: number;
  summary: { runs: { status: string }[] };
}

function fixtures(): Fixture[] {
  const names = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
  assert.ok(names.length >= 7, `fixtures of every schema version in ${FIXTURES}`);
  return names.map((file) => {
    const { fixture, summary } = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as {
      fixture: Fixture;
      summary: Fixture['summary'];
    };
    return { ...fixture, summary };
  });
}

function unpack(name: string, dir: string): string {
  const file = path.join(dir, `${name}.duckdb`);
  writeFileSync(file, gunzipSync(readFileSync(path.join(FIXTURES, `${name}.duckdb.gz`))));
  return file;
}

async function query(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Tables, columns (name, type, nullability, default) and constraints, in a comparable form. */
async function schemaOf(file: string): Promise<unknown> {
  const columns = await query(
    file,
    `SELECT table_name, column_index, column_name, data_type, is_nullable, column_default FROM duckdb_columns()
     WHERE schema_name = 'main' ORDER BY table_name, column_index`,
  );
  const constraints = await query(
    file,
    `SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()
     WHERE schema_name = 'main' ORDER BY table_name, constraint_type, constraint_text`,
  );
  const sequences = await query(file, `SELECT sequence_name FROM duckdb_sequences() ORDER BY sequence_name`);
  return { columns, constraints, sequences };
}

/**
 * What the writing version read, except what migration deliberately changes, and a run the writing process
 * left 'running': no process writes it now, so it reads as interrupted (see RunStatus).
 */
function expectedSummary(fixture: Fixture): unknown {
  const runs = fixture.summary.runs.map((run) => (run.status === 'running' ? { ...run, status: 'interrupted' } : run));
  return { ...fixture.summary, runs };
}

describe('results stores of earlier versions', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it('every step is in the migration list and the last one is the current version', () => {
    assert.deepEqual(
      MIGRATIONS.map((step) => step.version),
      Array.from({ length: SCHEMA_VERSION - 1 }, (_, i) => i + 2),
    );
  });

  for (const fixture of fixtures()) {
    it(`${fixture.name} (schema ${fixture.schemaVersion}) opens read-only: migrated in place after a backup, data intact`, async () => {
      const file = unpack(fixture.name, dir);
      const original = readFileSync(file);
      const store = await NapStore.open(file, { readOnly: true });
      try {
        if (fixture.schemaVersion === SCHEMA_VERSION) {
          assert.equal(store.migration, null, 'a current store is not migrated');
        } else {
          assert.equal(store.migration?.from, fixture.schemaVersion);
          assert.equal(store.migration?.to, SCHEMA_VERSION);
          assert.equal(store.migration.backup, `${file}.schema-v${fixture.schemaVersion}.bak`);
          assert.ok(readFileSync(store.migration.backup).equals(original), 'the backup is the file as it was');
        }
        assert.deepEqual(await summarizeStore(store as unknown as SummarizableStore), expectedSummary(fixture));
      } finally {
        await store.close();
      }

      const fresh = path.join(dir, `${fixture.name}-fresh.duckdb`);
      await (await NapStore.open(fresh)).close();
      assert.deepEqual(await schemaOf(file), await schemaOf(fresh), 'the schema of a new store');

      const history = await query(file, 'SELECT version, action, summary FROM schema_history ORDER BY version');
      const steps = MIGRATIONS.filter((step) => step.version > fixture.schemaVersion);
      // Stores of version 4 on were created with a history; older ones get theirs from the migration.
      const created = fixture.schemaVersion >= HISTORY_VERSION ? [[fixture.schemaVersion, 'created']] : [];
      assert.deepEqual(
        history.map((row) => [row.version, row.action]),
        [...created, ...steps.map((step) => [step.version, 'migrated'])],
      );
      assert.deepEqual(await query(file, 'SELECT version FROM schema_version'), [{ version: SCHEMA_VERSION }]);

      const again = await NapStore.open(file);
      try {
        assert.equal(again.migration, null, 'migrated once');
        const runs = await again.listRuns();
        const runId = await again.createRun({ ...runs[0]!, name: 'written after the migration' });
        assert.equal((await again.getRun(runId)).name, 'written after the migration');
      } finally {
        await again.close();
      }
    });
  }

  it('a migration killed half way leaves the store as it was, and the next open migrates it', async () => {
    const fixture = fixtures().find((f) => f.name === 'v1-staged')!;
    const file = unpack(fixture.name, dir);
    const original = readFileSync(file);
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [KILLER, file], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stderr }));
      },
    );
    assert.equal(ended.signal, 'SIGKILL', `the child killed itself during the migration: ${ended.stderr}`);
    assert.match(ended.stderr, /killing myself after step 2/);
    assert.deepEqual(await query(file, 'SELECT max(version) AS version FROM schema_version'), [{ version: 1 }]);
    const tables = await query(file, "SELECT table_name FROM duckdb_tables() WHERE table_name = 'flow_pairs'");
    assert.deepEqual(tables, [], 'no step of the killed migration is in the file');
    assert.ok(readFileSync(`${file}.schema-v1.bak`).equals(original), 'the backup was complete before it began');

    const store = await NapStore.open(file, { readOnly: true });
    try {
      assert.equal(store.migration?.from, 1);
      assert.deepEqual(await summarizeStore(store as unknown as SummarizableStore), expectedSummary(fixture));
    } finally {
      await store.close();
    }
    assert.ok(!existsSync(`${file}.schema-v1.bak.partial`));
  });
});
