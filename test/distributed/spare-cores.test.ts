/** The coordinator's look at its machine's idle cores (spare-cores.ts), on the real machine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { SpareCores } from '../../src/distributed/spare-cores.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) Math.sqrt(Math.random());
}

test('spare cores: between none and all the cores, in cores; a look sooner than 200 ms repeats the last answer', async () => {
  const spare = new SpareCores();
  await sleep(300);
  const idle = spare.sinceLastLook();
  // Idle time of every core plus this process's own time, over the wall time: never more cores than there are.
  assert.ok(idle >= 0 && idle <= availableParallelism() + 0.25, `${idle} spare cores of ${availableParallelism()}`);
  busy(20);
  assert.equal(spare.sinceLastLook(), idle);
  // This process's own work counts as spare: it is what would wait, not what slows it.
  busy(300);
  const whileBusy = spare.sinceLastLook();
  assert.ok(whileBusy >= 0 && whileBusy <= availableParallelism() + 0.25, `${whileBusy} spare cores`);
  assert.notEqual(whileBusy, idle);
});
