/** Worker side of the threaded NN-descent: one party of runDescentParty. */
import { parentPort, workerData } from 'node:worker_threads';
import { makeBarrier } from '../barrier.js';
import { DESCENT_CONTROL, runDescentParty, type DescentShared } from './descent-party.js';

const { shared, index, parties } = workerData as { shared: DescentShared; index: number; parties: number };
runDescentParty(shared, index, parties, makeBarrier(shared.control, DESCENT_CONTROL, parties));
parentPort!.postMessage('done');
