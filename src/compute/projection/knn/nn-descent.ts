import { siftDown } from '../../knn/max-heap.js';
import type { StageCheckpoint } from '../checkpoint.js';
import type { SeededRandom } from '../random.js';
import { graphFromSortedRows, keyToDistance, pairKey, type NeighborGraph, type SearchRows } from './neighbor-graph.js';
import { NeighborHeaps } from './neighbor-heaps.js';
import { buildRpTree, forestSize } from './rp-forest.js';

/** umap-learn's NN-descent settings. */
const MAX_CANDIDATES = 60;
const EARLY_STOP_DELTA = 0.001;

/** Iterations umap-learn asks NN-descent for: log2 of the row count, at least 5. */
export function descentIterations(count: number): number {
  return Math.max(5, Math.round(Math.log2(count)));
}

/**
 * Approximate k nearest neighbours (k counts the row itself) by NN-descent (Dong et al. 2011, as
 * in pynndescent) seeded from a random-projection forest. Single-threaded and deterministic for
 * a given random state. Progress counts rows visited: one pass for the forest, one per iteration.
 */
export async function descentNeighbors(
  rows: SearchRows,
  k: number,
  random: SeededRandom,
  checkpoint: StageCheckpoint,
): Promise<NeighborGraph> {
  const { count } = rows;
  const width = k - 1;
  const heaps = new NeighborHeaps(count, width);
  await seedFromForest(rows, heaps, Math.max(10, k), random, checkpoint);
  fillEmptySlots(rows, heaps, random);

  const iterations = descentIterations(count);
  const candidates = new CandidateLists(count, Math.min(MAX_CANDIDATES, count - 1));
  for (let iteration = 0; iteration < iterations; iteration++) {
    candidates.sample(heaps, random);
    let updates = 0;
    for (let row = 0; row < count; row++) {
      updates += candidates.join(row, rows, heaps);
      if ((row & 1023) === 0) await checkpoint.tick((iteration + 1) * count + row);
    }
    if (updates <= EARLY_STOP_DELTA * width * count) break;
  }

  const ids = new Int32Array(count * width);
  const keys = new Float64Array(count * width);
  for (let r = 0; r < count; r++) heaps.sortedRow(r, ids, keys, r * width);
  return graphFromSortedRows(ids, keys, count, width, (key) => keyToDistance(key, rows.metric));
}

/** Offers every pair of rows sharing a leaf in any tree of the forest. */
async function seedFromForest(
  rows: SearchRows,
  heaps: NeighborHeaps,
  leafSize: number,
  random: SeededRandom,
  checkpoint: StageCheckpoint,
): Promise<void> {
  const trees = forestSize(rows.count);
  for (let t = 0; t < trees; t++) {
    const { order, leafBounds } = buildRpTree(rows, leafSize, random);
    for (let leaf = 0; leaf + 1 < leafBounds.length; leaf++) {
      const end = leafBounds[leaf + 1]!;
      for (let i = leafBounds[leaf]!; i < end; i++) {
        const p = order[i]!;
        for (let j = i + 1; j < end; j++) {
          const q = order[j]!;
          const key = pairKey(rows, p, q);
          if (key < heaps.bound(p)) heaps.offerUnique(p, key, q);
          if (key < heaps.bound(q)) heaps.offerUnique(q, key, p);
        }
      }
    }
    await checkpoint.tick(Math.floor(((t + 1) * rows.count) / trees));
  }
}

/** Rows the forest left short of neighbours get random ones (pynndescent's random init). */
function fillEmptySlots(rows: SearchRows, heaps: NeighborHeaps, random: SeededRandom): void {
  for (let row = 0; row < rows.count; row++) {
    while (heaps.ids[row * heaps.width]! < 0) {
      const other = random.nextInt(rows.count);
      if (other !== row) heaps.offerUnique(row, pairKey(rows, row, other), other);
    }
  }
}

/**
 * Per row, a random sample (smallest random priority wins) of at most `limit` "new" and "old"
 * neighbours and reverse neighbours: the rows NN-descent compares with each other.
 */
class CandidateLists {
  private readonly newIds: Int32Array;
  private readonly newPriorities: Float64Array;
  private readonly oldIds: Int32Array;
  private readonly oldPriorities: Float64Array;
  private readonly newSizes: Int32Array;
  private readonly oldSizes: Int32Array;
  /** stamps[id] === row marks id as sampled for row (reset for free by moving to the next row). */
  private readonly stamps: Int32Array;

  constructor(
    count: number,
    private readonly limit: number,
  ) {
    this.newIds = new Int32Array(count * limit);
    this.newPriorities = new Float64Array(count * limit);
    this.oldIds = new Int32Array(count * limit);
    this.oldPriorities = new Float64Array(count * limit);
    this.stamps = new Int32Array(count).fill(-1);
    this.newSizes = new Int32Array(count);
    this.oldSizes = new Int32Array(count);
  }

  sample(heaps: NeighborHeaps, random: SeededRandom): void {
    this.newSizes.fill(0);
    this.oldSizes.fill(0);
    const { ids, fresh, width } = heaps;
    for (let row = 0; row < heaps.rows; row++) {
      for (let slot = row * width, end = slot + width; slot < end; slot++) {
        const other = ids[slot]!;
        if (other < 0) continue;
        const priority = random.next();
        if (fresh[slot]) {
          this.push(this.newIds, this.newPriorities, this.newSizes, row, priority, other);
          this.push(this.newIds, this.newPriorities, this.newSizes, other, priority, row);
        } else {
          this.push(this.oldIds, this.oldPriorities, this.oldSizes, row, priority, other);
          this.push(this.oldIds, this.oldPriorities, this.oldSizes, other, priority, row);
        }
      }
    }
    // A new neighbour that made it into the sample has now been used: it becomes old.
    const { stamps } = this;
    for (let row = 0; row < heaps.rows; row++) {
      const base = row * this.limit;
      for (let c = base; c < base + this.newSizes[row]!; c++) stamps[this.newIds[c]!] = row;
      for (let slot = row * width, end = slot + width; slot < end; slot++) {
        if (fresh[slot] && stamps[ids[slot]!] === row) fresh[slot] = 0;
      }
    }
  }

  /** Compares new candidates of `row` with each other and with its old ones; returns heap updates. */
  join(row: number, rows: SearchRows, heaps: NeighborHeaps): number {
    const { newIds, oldIds, limit } = this;
    const base = row * limit;
    const newEnd = base + this.newSizes[row]!;
    const oldEnd = base + this.oldSizes[row]!;
    let updates = 0;
    for (let a = base; a < newEnd; a++) {
      const p = newIds[a]!;
      for (let b = a + 1; b < newEnd; b++) updates += this.compare(p, newIds[b]!, rows, heaps);
      for (let b = base; b < oldEnd; b++) {
        const q = oldIds[b]!;
        if (q !== p) updates += this.compare(p, q, rows, heaps);
      }
    }
    return updates;
  }

  private compare(p: number, q: number, rows: SearchRows, heaps: NeighborHeaps): number {
    const key = pairKey(rows, p, q);
    let updates = 0;
    if (key < heaps.bound(p) && heaps.offerUnique(p, key, q)) updates++;
    if (key < heaps.bound(q) && heaps.offerUnique(q, key, p)) updates++;
    return updates;
  }

  /**
   * Keeps the `limit` smallest priorities of `row`'s list, skipping duplicates. The list fills from
   * the front; once full it is a max-heap on priority and a smaller priority replaces the root.
   */
  private push(
    ids: Int32Array,
    priorities: Float64Array,
    sizes: Int32Array,
    row: number,
    priority: number,
    id: number,
  ): void {
    const limit = this.limit;
    const base = row * limit;
    const size = sizes[row]!;
    for (let c = base; c < base + size; c++) if (ids[c] === id) return;
    if (size < limit) {
      ids[base + size] = id;
      priorities[base + size] = priority;
      sizes[row] = size + 1;
      if (size + 1 === limit) heapify(ids, priorities, base, limit);
      return;
    }
    if (priority >= priorities[base]!) return;
    siftDown(ids, priorities, base, limit, 0, priority, id);
  }
}

function heapify(ids: Int32Array, priorities: Float64Array, base: number, limit: number): void {
  for (let position = (limit >> 1) - 1; position >= 0; position--) {
    siftDown(ids, priorities, base, limit, position, priorities[base + position]!, ids[base + position]!);
  }
}
