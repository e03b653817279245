/**
 * Worker side of the layout: in every epoch takes vertex blocks from a shared counter until none is
 * left, then meets the other workers at a barrier. A worker that a busy machine holds back thus
 * leaves its blocks to the others. Worker 0 publishes the number of finished epochs for progress.
 */
import { makeBarrier } from './barrier.js';
import { runBlockEpoch } from './layout-epochs.js';
import { CONTROL, type LayoutWorkerInput } from './layout-threads.js';
import { threadSide } from '../threads.js';

const side = threadSide<LayoutWorkerInput>()!;
const { arrays, constants, blocks, parties, control: controlBuffer, index } = side.data;
const control = new Int32Array(controlBuffer);
const barrier = makeBarrier(control, CONTROL, parties);
const blockCount = blocks.length - 1;
// Every worker draws one ticket past the last block per epoch, so each epoch uses this many.
const ticketsPerEpoch = blockCount + parties;

for (let epoch = 0; epoch < constants.epochs; epoch++) {
  const first = epoch * ticketsPerEpoch;
  for (;;) {
    const block = Atomics.add(control, CONTROL.nextTicket, 1) - first;
    if (block >= blockCount) break;
    runBlockEpoch(arrays, constants, epoch, blocks[block]!, blocks[block + 1]!);
  }
  barrier();
  if (index === 0) Atomics.store(control, CONTROL.epochsDone, epoch + 1);
}
side.post('done');
