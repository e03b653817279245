/**
 * Worker side of the layout: runs every epoch for its vertex blocks, meeting the other workers at a
 * barrier after each phase. Worker 0 publishes the number of finished epochs for progress.
 */
import { makeBarrier } from './barrier.js';
import { moveVertices, settleVertices } from './layout-epochs.js';
import { CONTROL, type LayoutWorkerInput } from './layout-threads.js';
import { threadSide } from '../threads.js';

const side = threadSide<LayoutWorkerInput>()!;
const { arrays, constants, blocks, parties, control: controlBuffer, index } = side.data;
const control = new Int32Array(controlBuffer);
const barrier = makeBarrier(control, CONTROL, parties);

for (let epoch = 0; epoch < constants.epochs; epoch++) {
  for (let block = 0; block + 1 < blocks.length; block++)
    moveVertices(arrays, constants, epoch, blocks[block]!, blocks[block + 1]!);
  barrier();
  settleVertices(arrays, blocks[0]!, blocks[blocks.length - 1]!);
  barrier();
  if (index === 0) Atomics.store(control, CONTROL.epochsDone, epoch + 1);
}
side.post('done');
