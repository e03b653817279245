/** Two tasks at once: the first failure cancels the other and is the error reported once both stopped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sideBySide } from '../../src/engine/side-by-side.js';
import { CancelledError } from '../../src/errors.js';
import { throwIfCancelled, type TaskControl } from '../../src/progress.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A task of `steps` steps that checks for cancellation before each; records how far it got. */
function stepping(steps: number, log: string[], name: string) {
  return async (control: TaskControl): Promise<string> => {
    for (let step = 0; step < steps; step++) {
      throwIfCancelled(control.signal, name);
      log.push(`${name} ${step}`);
      await tick();
    }
    return name;
  };
}

test('both results come back, the two tasks interleaved', async () => {
  const log: string[] = [];
  const [a, b] = await sideBySide({}, stepping(3, log, 'a'), stepping(3, log, 'b'));
  assert.deepEqual([a, b], ['a', 'b']);
  assert.deepEqual(log, ['a 0', 'b 0', 'a 1', 'b 1', 'a 2', 'b 2']);
});

test("a failure cancels the other task and is reported, not the other's cancellation", async () => {
  const log: string[] = [];
  let otherStopped = false;
  const failing = async () => {
    await tick();
    await tick();
    throw new Error('layer conv1 failed');
  };
  const other = async (control: TaskControl) => {
    try {
      return await stepping(100, log, 'maps')(control);
    } finally {
      otherStopped = true;
    }
  };
  await assert.rejects(sideBySide({}, failing, other), /layer conv1 failed/);
  assert.equal(otherStopped, true, 'the other task has stopped when the error is thrown');
  assert.ok(log.length < 10, `the other task stopped early, after ${log.length} steps`);
});

test("the caller's cancellation reaches both tasks", async () => {
  const controller = new AbortController();
  const log: string[] = [];
  const cancelling = async (control: TaskControl) => {
    await tick();
    controller.abort();
    return stepping(5, log, 'first')(control);
  };
  await assert.rejects(
    sideBySide({ signal: controller.signal }, cancelling, stepping(100, log, 'second')),
    CancelledError,
  );
  assert.ok(!log.includes('first 0'), 'the first task saw the cancellation');
  assert.ok(log.length < 5);
});
