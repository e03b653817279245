/**
 * A full disk and a read-only folder: nap says so in one line naming the path and what to do, exits
 * non-zero without a stack trace, never reports success with work left only in DuckDB's write-ahead log,
 * and leaves a results file that the same command resumes to the uninterrupted result.
 *
 * Where this machine lets the test mount file systems (root with CAP_SYS_ADMIN), they are real: a tmpfs of
 * 512 KiB (full half way through the run), of 1 MiB (full only when the store is checkpointed at its close)
 * and a read-only tmpfs. Elsewhere DuckDB's failures are injected (inject-store-failure.ts) where those file
 * systems make it fail, and the rest of nap runs as it is.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { SCHEMA_VERSION } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { CLI, makeTempDir, readRun } from './fixtures.js';

const INJECT = fileURLToPath(new URL('./inject-store-failure.js', import.meta.url));
const STORES = fileURLToPath(new URL('../../../test/fixtures/stores/', import.meta.url));

function mount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Mounts a tmpfs of `size` at `dir` (created), or returns false where the machine does not allow it. */
function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  return process.env.NAP_TEST_NO_MOUNT === undefined && mount(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'ignore' });
}

interface Ended {
  code: number | null;
  stderr: string;
}

function nap(args: string[], inject?: string): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(inject ? ['--import', INJECT] : []), CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...(inject ? { NAP_TEST_INJECT: inject } : {}) },
      timeout: 120_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The error lines of a failed command: the message and its hint, nothing else (no stack, no progress). */
function assertOneMessage(ended: Ended, pattern: RegExp): void {
  assert.notEqual(ended.code, 0, 'fails');
  assert.equal(ended.code, 2, `exit code 2 for a problem of the machine: ${ended.stderr}`);
  const [message, hint, ...rest] = ended.stderr.trimEnd().split('\n');
  assert.match(message!, pattern);
  assert.match(hint ?? '', /^ {2}\S/, 'a hint line says what to do');
  assert.deepEqual(rest, [], `nothing but the message and its hint: ${ended.stderr}`);
  assert.doesNotMatch(ended.stderr, /\n\s+at /, 'no stack trace');
}

describe('a full disk and a read-only folder', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let model: string;
  let reference: Awaited<ReturnType<typeof readRun>>;
  const analyze = (out: string) => [
    'analyze',
    '--model',
    model,
    '--data',
    'mnist',
    '--limit',
    '900',
    '--commit-every',
    '64',
    '--layers',
    `${TINY.relu},${TINY.pool},${TINY.logits}`,
    '--out',
    out,
    '--quiet',
  ];

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('nap-disk-'));
    model = path.join(dir, 'tiny.onnx');
    writeFileSync(model, tinyConvNet());
    const out = path.join(dir, 'reference.duckdb');
    const ended = await nap(analyze(out));
    assert.equal(ended.code, 0, ended.stderr);
    reference = await readRun(out, 1);
  });
  after(() => cleanup());

  for (const [size, when, commits] of [
    ['512k', 'half way through the run', '20'],
    ['1m', 'only when the store is checkpointed at its close', 'close'],
  ] as const) {
    it(`a disk that fills up ${when}: one line, exit 2, and the same command resumes`, async () => {
      const small = path.join(dir, `small-${size}`);
      const mounted = mountTmpfs(small, size);
      const out = path.join(small, 'results.duckdb');
      try {
        const full = await nap(analyze(out), mounted ? undefined : `no-space:${commits}`);
        assertOneMessage(full, /^nap analyze: no space left on the disk of .*results\.duckdb$/);
        if (mounted) mount(['-o', 'remount,size=256m', small]);
        const resumed = await nap(analyze(out));
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.deepEqual(await readRun(out, 1), reference, 'the resumed run equals the uninterrupted one');
      } finally {
        if (mounted) unmount(small);
      }
    });
  }

  it('a read-only folder: writing refused in one line; reading works; a store that needs migrating says so', async () => {
    const folder = path.join(dir, 'read-only');
    const mounted = mountTmpfs(folder, '64m');
    try {
      const current = path.join(folder, 'current.duckdb');
      const older = path.join(folder, 'older.duckdb');
      writeFileSync(current, gunzipSync(readFileSync(path.join(STORES, `v${SCHEMA_VERSION}.duckdb.gz`))));
      writeFileSync(older, gunzipSync(readFileSync(path.join(STORES, 'v3.duckdb.gz'))));
      if (mounted) mount(['-o', 'remount,ro', folder]);
      const inject = mounted ? undefined : 'read-only';

      const created = await nap(analyze(path.join(folder, 'new.duckdb')), inject);
      assertOneMessage(created, /^nap analyze: store .*new\.duckdb is on a read-only file system$/);
      const added = await nap(['project', current, '--method', 'pca'], inject);
      assertOneMessage(added, /^nap project: store .*current\.duckdb is on a read-only file system$/);
      const migrated = await nap(['summary', older], inject);
      assertOneMessage(migrated, /^nap summary: store .*older\.duckdb is on a read-only file system$/);
      assert.match(migrated.stderr, /migrate .*copy it into a writable folder/);

      const read = await nap(['summary', current], inject);
      assert.equal(read.code, 0, read.stderr);
      if (mounted) {
        // Files other than the store (here a CSV) meet the same file system.
        const csv = await nap(['triage', current, '--run', '1', '--quiet', '--out', path.join(folder, 'triage.csv')]);
        assertOneMessage(csv, /^nap triage: .*triage\.csv is on a read-only file system$/);
      }
    } finally {
      if (mounted) unmount(folder);
    }
  });
});
