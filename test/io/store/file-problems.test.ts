/**
 * A store file that cannot be used says why, from DuckDB's own error: held by another process, damaged
 * (a checksum that does not match, a truncated file, a damaged data block), or not a complete results file.
 * `nap serve` refuses to start on a damaged file instead of answering errors later.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { InputError } from '../../../src/errors.js';
import { NapStore, SCHEMA_VERSION } from '../../../src/io/store/index.js';
import { CLI } from '../../reliability/fixtures.js';
import { tempDir } from './helpers.js';

const HOLDER = fileURLToPath(new URL('./hold-store.js', import.meta.url));
/** A results file of the current schema version (an older one would be migrated on open). */
const FIXTURE = fileURLToPath(
  new URL(`../../../../test/fixtures/stores/v${SCHEMA_VERSION}.duckdb.gz`, import.meta.url),
);
/** DuckDB's file header (4 KiB) and two database headers come before the first block; blocks are 256 KiB. */
const FIRST_BLOCK = 3 * 4096;
const BLOCK_SIZE = 256 * 1024;

function isInputError(pattern: RegExp, not?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.match(error.message, pattern);
    if (not) assert.doesNotMatch(error.message, not);
    assert.ok((error.hint ?? '').length > 0, 'says what to do');
    return true;
  };
}

function holdStore(file: string, mode: 'writable' | 'read-only'): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDER, file, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout.once('data', () => resolve(child));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });
}

function release(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('store files that cannot be used', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const store = (name: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, gunzipSync(readFileSync(FIXTURE)));
    return file;
  };

  it('a store another process holds is named as such, read-only and writable', async () => {
    const file = store('held.duckdb');
    const writer = await holdStore(file, 'writable');
    try {
      await assert.rejects(
        NapStore.open(file, { readOnly: true }),
        isInputError(/held\.duckdb is in use by another process/),
      );
      await assert.rejects(NapStore.open(file, { readOnly: true }), (error: InputError) =>
        /another nap process is writing/.test(error.hint ?? ''),
      );
    } finally {
      await release(writer);
    }
    const reader = await holdStore(file, 'read-only');
    try {
      await assert.rejects(NapStore.open(file), (error: InputError) => {
        isInputError(/in use by another process/)(error);
        return /nap serve/.test(error.hint ?? '');
      });
    } finally {
      await release(reader);
    }
  });

  it('a checksum that does not match is "damaged", not a lock (its message says "block")', async () => {
    const file = store('checksum.duckdb');
    const bytes = readFileSync(file);
    bytes.fill(0x5a, 8192, 8192 + 64);
    writeFileSync(file, bytes);
    for (const readOnly of [true, false]) {
      await assert.rejects(
        NapStore.open(file, { readOnly }),
        isInputError(/checksum\.duckdb is damaged/, /in use|another nap process/),
      );
    }
  });

  it('a truncated file is "damaged"', async () => {
    const file = store('truncated.duckdb');
    writeFileSync(file, readFileSync(file).subarray(0, FIRST_BLOCK + 1000));
    await assert.rejects(NapStore.open(file, { readOnly: true }), isInputError(/truncated\.duckdb is damaged/));
  });

  it('a DuckDB file without every table of a store is not a results file', async () => {
    const file = store('partial.duckdb');
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    await connection.run('DROP TABLE memberships');
    connection.closeSync();
    instance.closeSync();
    await assert.rejects(
      NapStore.open(file, { readOnly: true }),
      isInputError(/partial\.duckdb is not a complete nap results file: it has no table memberships/),
    );
  });

  it('nap serve refuses to start on a store with a damaged data block, with one line and exit code 2', async () => {
    const pristine = readFileSync(store('pristine.duckdb'));
    const blocks = Math.floor((pristine.length - FIRST_BLOCK) / BLOCK_SIZE);
    let found = false;
    for (let block = blocks - 1; block >= 0 && !found; block--) {
      const file = path.join(dir, `block-${block}.duckdb`);
      const bytes = Buffer.from(pristine);
      bytes.fill(0x5a, FIRST_BLOCK + block * BLOCK_SIZE, FIRST_BLOCK + block * BLOCK_SIZE + 64);
      writeFileSync(file, bytes);
      // Only a block that opening alone does not read shows what verifying adds.
      const opened = await NapStore.open(file, { readOnly: true }).catch(() => null);
      if (opened === null) continue;
      await opened.close();
      const verified = await NapStore.open(file, { readOnly: true, verify: true }).catch((error: unknown) => error);
      if (!(verified instanceof InputError)) {
        if (verified instanceof NapStore) await verified.close();
        continue;
      }
      found = true;
      assert.match(verified.message, /is damaged/);
      const served = await runCli(['serve', file, '--port', '0']);
      assert.equal(served.code, 2, served.stderr);
      assert.match(served.stderr, new RegExp(`^nap serve: store .*block-${block}\\.duckdb is damaged`));
      assert.doesNotMatch(served.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.ok(found, 'some data block is read only when verifying');
  });
});
