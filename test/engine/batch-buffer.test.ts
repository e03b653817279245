import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchBuffer } from '../../src/engine/batch-buffer.js';
import type { ExtractedBatch } from '../../src/engine/extract.js';

/** A batch of `count` rows from `start`, one layer holding each row's index. */
function batch(start: number, count: number): ExtractedBatch {
  const rows = Int32Array.from({ length: count }, (_, i) => start + i);
  return {
    start,
    count,
    rows,
    prediction: new Int32Array(count),
    probability: new Float32Array(count),
    probabilities: new Float32Array(count),
    classes: 1,
    digest: Array.from(rows, String),
    layers: [{ values: Float32Array.from(rows), unitMax: Float32Array.from(rows) }],
    unitMaps: [],
    skipped: [],
  };
}

/** A commit that logs its rows and finishes only when released. */
function heldCommits() {
  const log: string[] = [];
  const releases: (() => void)[] = [];
  const commit = (merged: ExtractedBatch) => {
    log.push(`commit ${Array.from(merged.rows).join(',')}`);
    return new Promise<void>((resolve) => releases.push(() => (log.push(`stored ${merged.start}`), resolve())));
  };
  return { log, releases, commit };
}

test('a full buffer is committed in the background: add returns while the store still writes, one commit at a time', async () => {
  const { log, releases, commit } = heldCommits();
  const buffer = new BatchBuffer(commit, { rows: 4, seconds: 3600 });
  await buffer.add(batch(0, 2));
  await buffer.add(batch(2, 2)); // 4 rows: a commit starts, and add does not wait for it
  assert.deepEqual(log, ['commit 0,1,2,3']);
  await buffer.add(batch(4, 2));
  // The next full buffer waits for the commit in flight before starting its own.
  const adding = buffer.add(batch(6, 2));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(log, ['commit 0,1,2,3']);
  releases[0]!();
  await adding;
  assert.deepEqual(log, ['commit 0,1,2,3', 'stored 0', 'commit 4,5,6,7']);
  await buffer.add(batch(8, 1));
  const flushing = buffer.flush();
  releases[1]!();
  await new Promise((resolve) => setImmediate(resolve));
  releases[2]!();
  await flushing;
  assert.deepEqual(log, ['commit 0,1,2,3', 'stored 0', 'commit 4,5,6,7', 'stored 4', 'commit 8', 'stored 8']);
});

test('a failed background commit is thrown by the next add or flush, and nothing more is committed', async () => {
  const committed: number[] = [];
  let calls = 0;
  const buffer = new BatchBuffer(
    (merged) => {
      if (++calls === 1) return Promise.reject(new Error('disk full'));
      committed.push(merged.start);
      return Promise.resolve();
    },
    { rows: 2, seconds: 3600 },
  );
  await buffer.add(batch(0, 2)); // starts the commit that fails
  await assert.rejects(buffer.add(batch(2, 2)), /disk full/);
  await assert.rejects(buffer.flush(), /disk full/);
  assert.deepEqual(committed, []);
});

test('settle stores what an interrupted extraction gathered: the commit in flight and the rows still pending', async () => {
  const { log, releases, commit } = heldCommits();
  const buffer = new BatchBuffer(commit, { rows: 4, seconds: 3600 });
  await buffer.add(batch(0, 4)); // a commit in flight
  await buffer.add(batch(4, 1)); // pending
  const settling = buffer.settle();
  releases[0]!();
  await new Promise((resolve) => setImmediate(resolve));
  releases[1]!();
  await settling;
  assert.deepEqual(log, ['commit 0,1,2,3', 'stored 0', 'commit 4', 'stored 4']);
});

test('settle does not throw when a commit failed, and commits nothing more', async () => {
  let calls = 0;
  const buffer = new BatchBuffer(() => (++calls === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve()), {
    rows: 2,
    seconds: 3600,
  });
  await buffer.add(batch(0, 2));
  await buffer.add(batch(2, 1)).catch(() => undefined);
  await buffer.settle();
  assert.equal(calls, 1);
});
