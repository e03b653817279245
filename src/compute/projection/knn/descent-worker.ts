/** Worker side of the threaded NN-descent: one party of runDescentParty. */
import { makeBarrier } from '../barrier.js';
import { threadSide } from '../../threads.js';
import { DESCENT_CONTROL, runDescentParty, type DescentShared } from './descent-party.js';

const side = threadSide<{ shared: DescentShared; index: number; parties: number }>()!;
const { shared, index, parties } = side.data;
runDescentParty(shared, index, parties, makeBarrier(shared.control, DESCENT_CONTROL, parties));
side.post('done');
