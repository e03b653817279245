import type { Matrix } from '../../matrix.js';
import { buildKdTree, kdNearest, type KdTree, type PrincipalAxes } from '../../knn/kd-tree.js';
import { startThread, threadResult, type Thread } from '../../threads.js';
import type { TaskControl } from '../../../progress.js';
import { Checkpoint } from '../checkpoint.js';
import type { NeighbourLists } from './neighbours.js';

/** Positions per claim of the shared search. */
export const TREE_CHUNK = 64;
/** Claims this thread takes between two progress ticks. */
const CLAIMS_PER_TICK = 8;
/** Slots of the shared control array: the next chunk to claim, and a cancel flag. */
export const TREE_NEXT = 0;
export const TREE_CANCELLED = 1;

/** What a tree-search worker thread receives: the tree, the output arrays and the claim counter (all shared). */
export interface TreeWorkerSetup {
  role: 'tree-neighbours';
  tree: KdTree;
  width: number;
  ids: Int32Array;
  squared: Float64Array;
  control: Int32Array;
}

/**
 * The exact neighbour lists of fastMst (see NeighbourLists) from a k-d tree on the rows' principal
 * axes (euclidean only): each row's `width` nearest by squared distance, then index, found by
 * pruned searches instead of one pass over all N^2 / 2 pairs. Where the rows spread along few
 * directions (the aggregated activations of most layers) this does a small share of the pair work.
 * Every listed distance is rowDistance's float64 value, so core distances are exact, and every row
 * not listed is at least as far as the last one listed, which is the certificate `beyond`.
 * With `threads` > 1 the searches are shared with worker threads through a claim counter.
 */
export async function treeNeighbours(
  matrix: Matrix,
  options: { width: number; minSamples: number; threads: number; axes?: PrincipalAxes },
  control?: TaskControl,
): Promise<NeighbourLists> {
  const { count, dim, data } = matrix;
  const width = Math.min(options.width, count - 1);
  const helpers = Math.max(0, Math.min(options.threads, Math.floor(count / (4 * TREE_CHUNK))) - 1);
  const shared = helpers > 0;
  const built = buildKdTree(count, dim, data, options.axes);
  const tree = shared ? shareTree(built) : built;
  const ids = shared ? new Int32Array(new SharedArrayBuffer(4 * count * width)) : new Int32Array(count * width);
  const squared = shared ? new Float64Array(new SharedArrayBuffer(8 * count * width)) : new Float64Array(count * width);
  const claims = new Int32Array(shared ? new SharedArrayBuffer(8) : new ArrayBuffer(8));
  const chunks = Math.ceil(count / TREE_CHUNK);
  const checkpoint = new Checkpoint(control, 'core distances', chunks);
  const setup: TreeWorkerSetup = { role: 'tree-neighbours', tree, width, ids, squared, control: claims };
  const threads: Thread[] = [];
  try {
    const finished = Array.from({ length: helpers }, () => {
      const thread = startThread(new URL('../tree-worker.js', import.meta.url), setup);
      threads.push(thread);
      return threadResult(thread, 'tree neighbour worker', (message) => {
        const reply = message as { done?: true; error?: string };
        if (reply.error) throw new Error(`tree neighbour worker failed: ${reply.error}`);
        return reply.done;
      });
    });
    while (Atomics.load(claims, TREE_NEXT) < chunks) {
      let taken = 0;
      const claim = (): number => (taken++ < CLAIMS_PER_TICK ? Atomics.add(claims, TREE_NEXT, 1) : -1);
      kdNearest(tree, width, claim, TREE_CHUNK, ids, squared);
      await checkpoint.tick(Math.min(chunks, Atomics.load(claims, TREE_NEXT)));
    }
    await Promise.all(finished);
  } catch (error) {
    Atomics.store(claims, TREE_CANCELLED, 1);
    throw error;
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
  const lists = exactLists(ids, squared, count, width, options.minSamples);
  checkpoint.finish();
  return lists;
}

/** Square roots of the squared distances, ties at one float64 distance put in index order, and the certificates. */
function exactLists(
  ids: Int32Array,
  squared: Float64Array,
  count: number,
  width: number,
  minSamples: number,
): NeighbourLists {
  const distances = new Float64Array(count * width);
  const coreDistances = new Float64Array(count);
  const beyond = new Float64Array(count);
  const listIds = new Int32Array(count * width);
  for (let row = 0; row < count; row++) {
    const base = row * width;
    for (let k = 0; k < width; k++) {
      // Distinct squared sums may round to one distance: insertion keeps (distance, index) order.
      const d = Math.sqrt(squared[base + k]!);
      const id = ids[base + k]!;
      let at = k;
      while (at > 0 && distances[base + at - 1] === d && listIds[base + at - 1]! > id) {
        distances[base + at] = distances[base + at - 1]!;
        listIds[base + at] = listIds[base + at - 1]!;
        at--;
      }
      distances[base + at] = d;
      listIds[base + at] = id;
    }
    coreDistances[row] = distances[base + minSamples - 1]!;
    beyond[row] = width < count - 1 ? distances[base + width - 1]! : Infinity;
  }
  return { width, ids: listIds, distances, coreDistances, beyond, exactRows: 0 };
}

/** The tree with every array moved to shared memory, for worker threads. */
function shareTree(tree: KdTree): KdTree {
  const share = <T extends Int32Array | Float32Array | Float64Array>(array: T): T => {
    const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(
      new SharedArrayBuffer(array.byteLength),
    );
    copy.set(array);
    return copy;
  };
  return {
    ...tree,
    order: share(tree.order),
    points: share(tree.points),
    rotated: share(tree.rotated),
    start: share(tree.start),
    end: share(tree.end),
    left: share(tree.left),
    right: share(tree.right),
    low: share(tree.low),
    high: share(tree.high),
  };
}
