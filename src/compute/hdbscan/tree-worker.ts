/**
 * A worker thread of treeNeighbours: it searches the shared k-d tree for the positions it claims
 * from the shared counter and writes their lists into the shared output arrays.
 */
import { kdNearest } from '../knn/kd-tree.js';
import { threadSide } from '../threads.js';
import { TREE_CANCELLED, TREE_CHUNK, TREE_NEXT, type TreeWorkerSetup } from './kernels/tree-neighbours.js';

const port = threadSide<TreeWorkerSetup | undefined>();
const setup = port?.data;
if (port && setup?.role === 'tree-neighbours') {
  const { tree, width, ids, squared, control } = setup;
  try {
    const claim = (): number => (Atomics.load(control, TREE_CANCELLED) ? -1 : Atomics.add(control, TREE_NEXT, 1));
    kdNearest(tree, width, claim, TREE_CHUNK, ids, squared);
    port.post({ done: true });
  } catch (error) {
    port.post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
