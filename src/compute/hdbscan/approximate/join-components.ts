import type { BlockRows } from '../../knn/block-rows.js';
import type { LeafBalls } from '../../knn/leaf-balls.js';
import type { LeafPartition } from '../../knn/leaf-partition.js';
import type { NeighbourLists } from '../../knn/neighbour-lists.js';
import type { Checkpoint } from '../checkpoint.js';
import type { DotKernel } from '../kernels/dot-kernel.js';
import { ScanWorkspace } from '../kernels/tiles.js';
import { offerFacingRows } from './facing-rows.js';
import { offerListEdges } from './knn-forest.js';
import { LightestEdges, type TreeEdges } from './lightest-edges.js';
import type { UnionFind } from './union-find.js';

export interface JoinContext {
  rows: BlockRows;
  kernel: DotKernel;
  lists: NeighbourLists;
  core: Float64Array;
  /** Per row: a lower bound on the weight of its pairs that no list holds (see neighbourForest). */
  reach: Float64Array;
  /** The blocks searched: the leaves of one random-projection tree, and their bounding balls (whose gaps and centres the join turns into metric distances in place). */
  leaves: LeafPartition;
  balls: LeafBalls;
  /** Most block pairs a set searches in one round before it takes the lightest edge found. */
  probes: number;
  /** Nearby sets (by centroid) whose facing rows each set is compared with (see offerFacingRows). */
  neighbourSets: number;
  /** Rows per set and direction in that comparison. */
  facing: number;
  exactWeight: (a: number, b: number) => number;
}

/** What joining did (for benchmarks): block pairs multiplied, and sets joined without a certificate. */
export interface JoinStats {
  rounds: number;
  /** Row pairs multiplied between the facing rows of nearby sets (see offerFacingRows). */
  facingPairs: number;
  searchedPairs: number;
  uncertifiedJoins: number;
}

/**
 * Joins the sets of a spanning forest into one tree by Borůvka rounds between them. Every round,
 * each set looks for its lightest mutual-reachability edge to another set among the listed pairs
 * and the pairs of block tiles (leaves of a random-projection tree) taken in increasing order of a
 * lower bound on their weight (the blocks' bounding balls, the rows' cores and reaches). It stops
 * when the bound of the next block pair reaches the lightest edge found, which certifies that edge
 * as the set's lightest of all, or after `probes` block pairs, when it takes the lightest found.
 * A round at least halves the number of sets; no set is left apart (no infinite bridge edges).
 */
export async function joinComponents(
  context: JoinContext,
  sets: UnionFind,
  edges: TreeEdges,
  checkpoint: Checkpoint,
): Promise<JoinStats> {
  const stats: JoinStats = { rounds: 0, facingPairs: 0, searchedPairs: 0, uncertifiedJoins: 0 };
  if (sets.sets <= 1) return stats;
  const { rows, lists, core } = context;
  const blocks = new Blocks(context);
  const lightest = new LightestEdges(rows.count);
  const root = new Int32Array(rows.count);
  const startSets = sets.sets;
  while (sets.sets > 1) {
    stats.rounds++;
    sets.roots(root);
    lightest.reset();
    await offerListEdges(lists, rows.distance, core, root, lightest, checkpoint, startSets - sets.sets);
    stats.facingPairs += await offerFacingRows(
      { rows, kernel: context.kernel, core, neighbourSets: context.neighbourSets, facing: context.facing },
      root,
      lightest,
    );
    const candidates = blocks.candidatePairs(root);
    const searched = new Set<number>();
    for (const { pairs } of candidates.values()) {
      for (const { a, b } of pairs) {
        const code = a * blocks.count + b;
        if (searched.has(code)) continue;
        searched.add(code);
        await blocks.searchPair(a, b, root, lightest);
        await checkpoint.tick(startSets - sets.sets);
      }
    }
    stats.searchedPairs += searched.size;
    const before = sets.sets;
    for (const [set, { rest }] of candidates) if (rest < lightest.weight[set]!) stats.uncertifiedJoins++;
    if (lightest.commit(sets, edges, context.exactWeight) === 0) {
      throw new Error('joining the spanning forest found no edge between its sets');
    }
    if (sets.sets >= before) break;
  }
  return stats;
}

interface CandidatePair {
  /** Distance between the blocks' centres: the nearest are searched first. */
  estimate: number;
  /** A lower bound on the weight of the set's edges in this block pair. */
  bound: number;
  a: number;
  b: number;
}

/** A set's block pairs to search, and the lowest weight bound among all its pairs left out. */
interface SetCandidates {
  pairs: CandidatePair[];
  rest: number;
}

/** The blocks with their bounding balls, and the tile search between two of them. */
class Blocks {
  readonly count: number;
  private readonly rowBlock: Float32Array;
  private readonly columnBlock: Float32Array;
  private readonly workspace: ScanWorkspace;
  private readonly rowIds: Int32Array;
  private readonly columnIds: Int32Array;
  private readonly sortKeys: Float64Array;
  /** Per block pair: a lower bound on the distance between their rows (row-major count x count). */
  private readonly ballBounds: Float32Array;
  private readonly centreDistances: Float32Array;
  /** Scratch of candidatePairs: per root, its slot in the block being read (-1: none yet), and the slots. */
  private readonly slotOf: Int32Array;
  private readonly setScratch: Int32Array;
  private readonly reachScratch: Float64Array;

  constructor(private readonly context: JoinContext) {
    const { rows, leaves, balls } = context;
    const { bounds } = leaves;
    this.count = bounds.length - 1;
    let largest = 0;
    for (let b = 0; b < this.count; b++) largest = Math.max(largest, bounds[b + 1]! - bounds[b]!);
    this.rowBlock = new Float32Array(largest * rows.dim);
    this.columnBlock = new Float32Array(largest * rows.dim);
    this.workspace = new ScanWorkspace(largest, largest);
    this.rowIds = new Int32Array(largest);
    this.columnIds = new Int32Array(largest);
    this.sortKeys = new Float64Array(largest);
    this.slotOf = new Int32Array(rows.count).fill(-1);
    this.setScratch = new Int32Array(largest);
    this.reachScratch = new Float64Array(largest);
    // Gaps are gathered-space distances; as keys (squared) they turn into distances of the metric. Turned
    // in place: the two leaves x leaves arrays are 0.5 GB at a million rows, and nothing reads them after.
    const { gaps, centres } = balls;
    for (let at = 0; at < gaps.length; at++) {
      const gap = gaps[at]!;
      gaps[at] = gap > 0 ? rows.distance(gap * gap) : 0;
      centres[at] = rows.distance(centres[at]! * centres[at]!);
    }
    this.ballBounds = gaps;
    this.centreDistances = centres;
  }

  /**
   * For every set, the block pairs that hold one of its rows on one side and a row of another set
   * on the other, with a lower bound on the weight of such pairs, lightest bound first; only the
   * `probes + 1` lowest per set are kept (the last one only to certify).
   */
  candidatePairs(root: Int32Array): Map<number, SetCandidates> {
    const { leaves, reach, probes } = this.context;
    const { order, bounds } = leaves;
    const count = this.count;
    // Per block: the sets present (in order of their first row in it) and the smallest reach of
    // each, as plain arrays (the pair loop below reads them count^2 / 2 times); and the smallest
    // reach overall.
    const presentSets: Int32Array[] = [];
    const presentReaches: Float64Array[] = [];
    const lowest = new Float64Array(count).fill(Infinity);
    const slotOf = this.slotOf;
    const sets = this.setScratch;
    const reaches = this.reachScratch;
    for (let b = 0; b < count; b++) {
      let size = 0;
      for (let at = bounds[b]!; at < bounds[b + 1]!; at++) {
        const row = order[at]!;
        const set = root[row]!;
        const value = reach[row]!;
        let slot = slotOf[set]!;
        if (slot < 0) {
          slot = slotOf[set] = size++;
          sets[slot] = set;
          reaches[slot] = value;
        } else if (value < reaches[slot]!) {
          reaches[slot] = value;
        }
        if (value < lowest[b]!) lowest[b] = value;
      }
      for (let slot = 0; slot < size; slot++) slotOf[sets[slot]!] = -1;
      presentSets.push(sets.slice(0, size));
      presentReaches.push(reaches.slice(0, size));
    }
    const result = new Map<number, SetCandidates>();
    const consider = (set: number, bound: number, estimate: number, a: number, b: number): void => {
      let candidates = result.get(set);
      if (!candidates) result.set(set, (candidates = { pairs: [], rest: Infinity }));
      const { pairs } = candidates;
      if (pairs.length === probes) {
        const last = pairs[probes - 1]!;
        if (estimate >= last.estimate) {
          candidates.rest = Math.min(candidates.rest, bound);
          return;
        }
        candidates.rest = Math.min(candidates.rest, last.bound);
        pairs.pop();
      }
      const pair = { estimate, bound, a, b };
      let at = pairs.length;
      pairs.push(pair);
      while (at > 0 && pairs[at - 1]!.estimate > estimate) {
        pairs[at] = pairs[at - 1]!;
        at--;
      }
      pairs[at] = pair;
    };
    for (let a = 0; a < count; a++) {
      const setsA = presentSets[a]!;
      const reachesA = presentReaches[a]!;
      const sizeA = setsA.length;
      const onlyA = sizeA === 1 ? setsA[0]! : -1;
      if (onlyA < 0) {
        for (let i = 0; i < sizeA; i++) {
          let othersReach = Infinity;
          for (let k = 0; k < sizeA; k++) if (k !== i) othersReach = Math.min(othersReach, reachesA[k]!);
          consider(setsA[i]!, Math.max(reachesA[i]!, othersReach), 0, a, a);
        }
      }
      for (let b = a + 1; b < count; b++) {
        const setsB = presentSets[b]!;
        const sizeB = setsB.length;
        if (onlyA >= 0 && sizeB === 1 && setsB[0] === onlyA) continue;
        const reachesB = presentReaches[b]!;
        const ball = this.ballBounds[a * count + b]!;
        const estimate = this.centreDistances[a * count + b]!;
        for (let i = 0; i < sizeA; i++) {
          const set = setsA[i]!;
          if (sizeB === 1 && setsB[0] === set) continue;
          consider(set, Math.max(ball, reachesA[i]!, lowest[b]!), estimate, a, b);
        }
        for (let i = 0; i < sizeB; i++) {
          const set = setsB[i]!;
          if (sizeA === 1 && setsA[0] === set) continue;
          consider(set, Math.max(ball, reachesB[i]!, lowest[a]!), estimate, a, b);
        }
      }
    }
    return result;
  }

  /**
   * Offers every pair of rows of different sets in blocks (a, b) to both sets. Each block's rows are
   * taken grouped by set (stable), so that a row's own set is one run of the columns and only the
   * columns before and after it are scanned: searched blocks hold mostly pairs of one set, which
   * can never join two sets but would otherwise pass the screen (they are closer than any edge out).
   */
  async searchPair(a: number, b: number, root: Int32Array, lightest: LightestEdges): Promise<void> {
    const { rows, kernel, core, leaves } = this.context;
    const { order, bounds } = leaves;
    const rowIds = this.groupedIds(order.subarray(bounds[a], bounds[a + 1]), root, this.rowIds);
    const columnIds =
      a === b ? rowIds : this.groupedIds(order.subarray(bounds[b], bounds[b + 1]), root, this.columnIds);
    const m = rowIds.length;
    const n = columnIds.length;
    const rowVectors = rows.rows(rowIds, 0, m, this.rowBlock);
    const columnVectors = a === b ? rowVectors : rows.rows(columnIds, 0, n, this.columnBlock);
    const { workspace } = this;
    await kernel.dot(rowVectors, m, columnVectors, n, rows.dim, workspace.tile);
    const { tile, hits, norms, bars } = workspace;
    const bar = (row: number): number => {
      const best = lightest.weight[root[row]!]!;
      return core[row]! < best ? rows.key(best) : -Infinity;
    };
    for (let j = 0; j < n; j++) {
      norms[j] = rows.norms[columnIds[j]!]!;
      bars[j] = bar(columnIds[j]!);
    }
    const scan = (i: number, row: number, rowRoot: number, rowBar: number, first: number, end: number): void => {
      if (first >= end) return;
      const rowNorm = rows.norms[row]!;
      const found = workspace.scanRow(i * n + first, end - first, 0, rowNorm, rowBar, first);
      for (let h = 0; h < found; h++) {
        const j = first + hits[h]!;
        const column = columnIds[j]!;
        const d = rows.distance(rowNorm + norms[j]! - 2 * tile[i * n + j]!);
        const w = Math.max(core[row]!, core[column]!, d);
        lightest.offer(rowRoot, w, row, column);
        lightest.offer(root[column]!, w, row, column);
        bars[j] = bar(column);
      }
    };
    // The columns of the current row's own set: one run [runStart, runEnd) (empty when none).
    let runRoot = -1;
    let runStart = 0;
    let runEnd = 0;
    for (let i = 0; i < m; i++) {
      // A set's lightest edge drops for all its rows at once: refresh the column bars now and then.
      if ((i & 31) === 31) for (let j = 0; j < n; j++) bars[j] = bar(columnIds[j]!);
      const row = rowIds[i]!;
      const rowRoot = root[row]!;
      if (rowRoot !== runRoot) {
        runRoot = rowRoot;
        if (a === b) runStart = i;
        else while (runStart < n && root[columnIds[runStart]!]! < rowRoot) runStart++;
        for (runEnd = runStart; runEnd < n && root[columnIds[runEnd]!] === rowRoot; runEnd++);
      }
      const rowBar = bar(row);
      // A block with itself: its upper triangle, the columns after the row's run (earlier runs saw it).
      if (a !== b) scan(i, row, rowRoot, rowBar, 0, runStart);
      scan(i, row, rowRoot, rowBar, runEnd, n);
    }
  }

  /** `ids` ordered by root (stable: in their order within a set), written to `out`. */
  private groupedIds(ids: Int32Array, root: Int32Array, out: Int32Array): Int32Array {
    const grouped = out.subarray(0, ids.length);
    grouped.set(ids);
    const keys = this.sortKeys.subarray(0, ids.length);
    // Root * (block size) + position: distinct keys whose order is by root, then by position.
    for (let i = 0; i < ids.length; i++) keys[i] = root[ids[i]!]! * ids.length + i;
    keys.sort();
    for (let i = 0; i < ids.length; i++) grouped[i] = ids[keys[i]! % ids.length]!;
    return grouped;
  }
}
