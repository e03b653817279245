/**
 * Worker side of the layout: runs every epoch for its vertex blocks, meeting the other workers at a
 * barrier after each phase. Worker 0 publishes the number of finished epochs for progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeBarrier } from './barrier.js';
import { moveVertices, settleVertices } from './layout-epochs.js';
import { CONTROL, type LayoutWorkerInput } from './layout-threads.js';

const { arrays, constants, blocks, parties, control: controlBuffer, index } = workerData as LayoutWorkerInput;
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
parentPort!.postMessage('done');
