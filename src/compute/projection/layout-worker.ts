/**
 * Worker side of the layout: runs every epoch for its vertex blocks, meeting the other workers at a
 * barrier after each phase. Worker 0 publishes the number of finished epochs for progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { moveVertices, settleVertices } from './layout-epochs.js';
import { CONTROL, type LayoutWorkerInput } from './layout-threads.js';

const { arrays, constants, blocks, parties, control: controlBuffer, index } = workerData as LayoutWorkerInput;
const control = new Int32Array(controlBuffer);
const SPINS = 20_000;

function barrier(): void {
  const generation = Atomics.load(control, CONTROL.generation);
  if (Atomics.add(control, CONTROL.arrived, 1) === parties - 1) {
    Atomics.store(control, CONTROL.arrived, 0);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
  } else {
    // Spin briefly first: when both threads have a core the wait is microseconds, far below a sleep's wake-up.
    for (let spin = 0; spin < SPINS && Atomics.load(control, CONTROL.generation) === generation; spin++);
    while (Atomics.load(control, CONTROL.generation) === generation)
      Atomics.wait(control, CONTROL.generation, generation);
  }
}

for (let epoch = 0; epoch < constants.epochs; epoch++) {
  for (let block = 0; block + 1 < blocks.length; block++)
    moveVertices(arrays, constants, epoch, blocks[block]!, blocks[block + 1]!);
  barrier();
  settleVertices(arrays, blocks[0]!, blocks[blocks.length - 1]!);
  barrier();
  if (index === 0) Atomics.store(control, CONTROL.epochsDone, epoch + 1);
}
parentPort!.postMessage('done');
