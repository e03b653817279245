/**
 * The helper thread of the spectral layout's operator (normalized-adjacency.ts): waits for each
 * requested round, multiplies its rows of the product, marks the round done; stops at STOP.
 */
import { threadSide } from '../threads.js';
import { multiplyRows, ROUND_SLOTS, STOP, type HelperInput } from './normalized-adjacency.js';

const { rows, from, to, control } = threadSide<HelperInput>()!.data;
const signal = new Int32Array(control);
let seen = 0;
for (;;) {
  Atomics.wait(signal, ROUND_SLOTS.requested, seen);
  const round = Atomics.load(signal, ROUND_SLOTS.requested);
  if (round === STOP) break;
  if (round === seen) continue;
  seen = round;
  multiplyRows(rows, rows.x, rows.y, from, to);
  Atomics.store(signal, ROUND_SLOTS.done, round);
  Atomics.notify(signal, ROUND_SLOTS.done);
}
