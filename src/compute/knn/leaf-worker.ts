/**
 * A helper thread of the approximate neighbour search (see LeafHelper): it shares the ordered copy
 * of the rows and the neighbour lists with the main thread (SharedArrayBuffer), runs its own
 * single-threaded dot kernel (from the module the caller's kernels name) and SIMD scanner, and
 * takes leaves of the tree it is given from a counter it shares with the main thread.
 */
import { importDotKernels } from '../hdbscan/kernels/dot-kernel.js';
import { threadSide } from '../threads.js';
import { BlockRows } from './block-rows.js';
import {
  CANCELLED,
  doneSlot,
  nextSlot,
  type LeafRequest,
  type LeafTask,
  type LeafWorkerSetup,
} from './leaf-protocol.js';
import { LeafTiles } from './leaf-tile.js';
import { NeighbourLists } from './neighbour-lists.js';

async function serve(): Promise<void> {
  const port = threadSide<LeafWorkerSetup | undefined>();
  const setup = port?.data;
  if (!port || setup?.role !== 'leaf-knn') return;
  const { metric, norms, squares, copy, order, position, count, width, ids, keys, leafSize, control } = setup;
  const rows = BlockRows.ofOrderedCopy(metric, norms, squares, { copy, order, position });
  const lists = NeighbourLists.over(count, width, ids, keys);
  const kernel = await (await importDotKernels(setup.kernels)).create(1);
  const tiles = new LeafTiles(rows, kernel, lists, leafSize);
  const multiply = async ({ task, order: taskOrder, bounds, unseen }: LeafTask): Promise<void> => {
    // The first tree's order is the copy's own: its leaves are views of the copy, not gathered.
    const leafOrder = taskOrder ?? order;
    const leaves = bounds.length - 1;
    for (;;) {
      if (Atomics.load(control, CANCELLED)) break;
      const leaf = Atomics.add(control, nextSlot(task), 1);
      if (leaf >= leaves) break;
      await tiles.multiply(leafOrder, bounds[leaf]!, bounds[leaf + 1]!, unseen);
      Atomics.add(control, doneSlot(task), 1);
    }
    port.post({ task });
  };
  // Messages are handled one after the other: closing releases the kernel after the last product.
  let work = Promise.resolve();
  port.onMessage((message) => {
    const request = message as LeafRequest;
    work = work
      .then(async () => {
        if ('close' in request) {
          await kernel.release();
          port.post({ closed: true });
        } else {
          await multiply(request);
        }
      })
      .catch((error: unknown) => {
        port.post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      });
  });
  port.post({ ready: true });
}

await serve();
