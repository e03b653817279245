import type { NeighbourLists } from '../../knn/neighbour-lists.js';
import type { Checkpoint } from '../checkpoint.js';
import { LightestEdges, type TreeEdges } from './lightest-edges.js';
import type { UnionFind } from './union-find.js';

/** What the list edges of one Borůvka round found, per set (indexed by root). */
export interface ListRound {
  lightest: LightestEdges;
  root: Int32Array;
  /** Per root: the smallest `reach` of its rows (the weight below which it may have unseen edges). */
  reach: Float64Array;
}

/**
 * Offers every listed pair between two sets to both sets, as mutual reachability
 * max(core[a], core[b], d(a, b)) (each pair is seen from the row that lists it).
 */
export async function offerListEdges(
  lists: NeighbourLists,
  distance: (key: number) => number,
  core: Float64Array,
  root: Int32Array,
  lightest: LightestEdges,
  checkpoint: Checkpoint,
  done: number,
): Promise<void> {
  const { count, width, ids, keys } = lists;
  const held = lightest.weight;
  for (let row = 0; row < count; row++) {
    const rowRoot = root[row]!;
    const rowCore = core[row]!;
    for (let slot = row * width, end = slot + width; slot < end; slot++) {
      const other = ids[slot]!;
      if (other < 0) continue;
      const otherRoot = root[other]!;
      if (otherRoot === rowRoot) continue;
      // Both offers would be refused (the weight is at least the larger core): spare the distance.
      const cores = Math.max(rowCore, core[other]!);
      if (cores > held[rowRoot]! && cores > held[otherRoot]!) continue;
      const w = Math.max(cores, distance(keys[slot]!));
      lightest.offer(rowRoot, w, row, other);
      lightest.offer(otherRoot, w, row, other);
    }
    if ((row & 4095) === 0) await checkpoint.tick(done);
  }
}

/**
 * The part of the minimum spanning tree the neighbour lists certify, by Borůvka rounds over them.
 * `reach[a]` = max(core[a], d(a, last listed neighbour)) bounds every pair of a that no list holds
 * (such a pair is farther than a's last neighbour), so a set's lightest listed edge is its lightest
 * edge of all when it weighs no more than the smallest reach among its rows: only those are taken
 * (the cut property makes each an edge of the exact tree, were the lists exact). Sets whose edge
 * the lists cannot vouch for are left for joinComponents. Needs no edge array: memory stays O(N).
 */
export async function neighbourForest(
  lists: NeighbourLists,
  distance: (key: number) => number,
  core: Float64Array,
  reach: Float64Array,
  sets: UnionFind,
  edges: TreeEdges,
  exactWeight: (a: number, b: number) => number,
  checkpoint: Checkpoint,
): Promise<void> {
  const { count } = lists;
  const lightest = new LightestEdges(count);
  const root = new Int32Array(count);
  const setReach = new Float64Array(count);
  for (;;) {
    sets.roots(root);
    setReach.fill(Infinity);
    for (let row = 0; row < count; row++) setReach[root[row]!] = Math.min(setReach[root[row]!]!, reach[row]!);
    lightest.reset();
    await offerListEdges(lists, distance, core, root, lightest, checkpoint, count - sets.sets);
    const added = lightest.commit(sets, edges, exactWeight, (set, weight) => weight <= setReach[set]!);
    if (added === 0) return;
  }
}
