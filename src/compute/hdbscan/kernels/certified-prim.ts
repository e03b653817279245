import type { TaskControl } from '../../../progress.js';
import { Checkpoint } from '../checkpoint.js';
import type { RowDistance } from '../distance.js';
import type { PrimTree } from '../types.js';
import type { NeighbourLists } from './neighbours.js';
import { NodeHeap } from './node-heap.js';
import type { Screen } from './screen.js';
import { PairFlusher, type FlushSide } from './pair-flush.js';
import { tileEdge, type TileFiller } from './tiles.js';
import { ColumnStore, TreeStore } from './vector-stores.js';

/**
 * Prim's algorithm over the mutual-reachability graph, step for step as hdbscan's
 * `mst_linkage_core` (start at 0, take the smallest key, the smallest index among equal keys,
 * record (previous node, new node, key)), without ever looking at most of the N^2 edges one by one.
 *
 * Every key is exact (float64 reference distances). A key only ever reflects the edges seen so far:
 * the neighbour lists, and the pairs "flushed" by blocked passes. An unseen pair (u, v) has weight
 * >= max(bound[u], floor[v]): `floor[v]` = max(core[v], lists' `beyond[v]`), and `bound[u]` also
 * counts the level up to which u was flushed. Before each step, if some unseen pair could weigh
 * <= the smallest key (and so undercut it or tie with it), the tree is flushed against the
 * remaining rows up to a level above that key, so every selection is the one the dense Prim makes.
 */
export async function certifiedPrim(
  screen: Screen,
  fill: TileFiller,
  lists: NeighbourLists,
  distance: RowDistance,
  control?: TaskControl,
  workers?: PrimWorkers,
): Promise<PrimTree & { flushes: number; flushedPairs: number }> {
  const state = new PrimState(screen, fill, lists, distance, workers);
  const tree = await state.run(control);
  return { ...tree, flushes: state.flushes, flushedPairs: state.flushedPairs };
}

/** Sees one flush's pairs on worker threads, which lower `key` in place. */
export type ParallelFlush = (rows: FlushSide, columns: FlushSide) => Promise<void>;

/** Worker threads for the flushes, with the key and core arrays they share with this thread. */
export interface PrimWorkers {
  key: Float64Array;
  core: Float64Array;
  flush: ParallelFlush;
}

/** How far above the blocking key a flush reaches: higher means fewer, larger flushes. */
const FLUSH_REACH = 1.25;
/** A flush multiplies a group's span of tree rows in place when at least this share belongs to it. */
const DENSE_SPAN = 0.5;

class PrimState {
  private readonly count: number;
  private readonly core: Float64Array;
  private readonly floor: Float64Array;
  private readonly key: Float64Array;
  private readonly inTree: Uint8Array;
  /**
   * In the tree, or settled: a remaining row whose key is already <= its floor, which every unseen
   * pair of it weighs at least, so no unseen pair can change its key and flushes can skip it.
   */
  private readonly gone: Uint8Array;
  /** The level each tree row was last flushed to: it has seen every remaining row with floor below it. */
  private readonly flushedTo: Float64Array;
  private readonly heap: NodeHeap;
  private readonly tree: TreeStore;
  private readonly columns: ColumnStore;
  private readonly flusher: PairFlusher;
  /** The level of the last flush: every tree row added before it has bound >= this. */
  private lastLevel = Infinity;
  private pendingFloor = Infinity;
  private readonly adjacencyStart: Int32Array;
  private readonly adjacencyNode: Int32Array;
  private readonly adjacencyDistance: Float64Array;
  private readonly parallel: ParallelFlush | undefined;
  private readonly shared: boolean;
  flushes = 0;

  /** Pairs multiplied by flushes on this thread (worker threads keep their own count). */
  get flushedPairs(): number {
    return this.flusher.pairs;
  }

  constructor(
    private readonly screen: Screen,
    fill: TileFiller,
    lists: NeighbourLists,
    distance: RowDistance,
    workers: PrimWorkers | undefined,
  ) {
    const { count, dim, vectors } = screen;
    this.count = count;
    this.parallel = workers?.flush;
    this.shared = workers !== undefined;
    this.core = workers ? workers.core : new Float64Array(count);
    this.core.set(lists.coreDistances);
    this.floor = new Float64Array(count);
    for (let i = 0; i < count; i++) this.floor[i] = Math.max(this.core[i]!, lists.beyond[i]!);
    this.key = (workers ? workers.key : new Float64Array(count)).fill(Infinity);
    this.inTree = new Uint8Array(count);
    this.gone = new Uint8Array(count);
    this.flushedTo = new Float64Array(count).fill(-Infinity);
    this.heap = new NodeHeap(this.key, count);
    // Worker threads gather rows from their own copy of the screen; only this thread needs copies.
    this.tree = new TreeStore(count, dim, !this.shared);
    this.columns = new ColumnStore(vectors, dim, this.floor, !this.shared);
    [this.adjacencyStart, this.adjacencyNode, this.adjacencyDistance] = symmetricAdjacency(lists, count);
    this.flusher = new PairFlusher(screen, fill, this.core, this.key, distance, tileEdge(dim, count));
  }

  async run(control: TaskControl | undefined): Promise<PrimTree> {
    const edges = Math.max(0, this.count - 1);
    const from = new Int32Array(edges);
    const to = new Int32Array(edges);
    const weight = new Float64Array(edges);
    if (edges === 0) return { from, to, weight };
    const checkpoint = new Checkpoint(control, 'spanning tree', edges);
    for (let node = 1; node < this.count; node++) this.heap.push(node);
    let current = 0;
    this.add(0);
    for (let step = 0; step < edges; step++) {
      const smallest = this.key[this.heap.peek()]!;
      if (!this.certified(smallest)) await this.flush(reachAbove(smallest), () => checkpoint.tick(step));
      const next = this.heap.pop();
      from[step] = current;
      to[step] = next;
      weight[step] = this.key[next]!;
      current = next;
      this.add(next);
      if (checkpoint.due()) await checkpoint.tick(step + 1);
    }
    checkpoint.finish();
    return { from, to, weight };
  }

  /** True when no unseen pair can weigh <= `smallest`, the smallest key. */
  private certified(smallest: number): boolean {
    const remainingFloor = this.columns.lowestRemainingFloor(this.gone);
    const treeBound = Math.min(this.lastLevel, this.pendingFloor);
    return Math.max(treeBound, remainingFloor) > smallest;
  }

  private add(node: number): void {
    this.inTree[node] = 1;
    this.tree.append(node, this.screen.vectors);
    this.markGone(node);
    if (this.floor[node]! < this.pendingFloor) this.pendingFloor = this.floor[node]!;
    const { core, key, inTree, adjacencyNode, adjacencyDistance } = this;
    const nodeCore = core[node]!;
    for (let e = this.adjacencyStart[node]!, end = this.adjacencyStart[node + 1]!; e < end; e++) {
      const other = adjacencyNode[e]!;
      if (inTree[other]) continue;
      const w = Math.max(nodeCore, core[other]!, adjacencyDistance[e]!);
      if (w < key[other]!) {
        key[other] = w;
        this.heap.decreased(other);
        if (w <= this.floor[other]!) this.markGone(other);
      }
    }
  }

  private markGone(node: number): void {
    if (this.gone[node]) return;
    this.gone[node] = 1;
    this.columns.removed(this.gone);
  }

  /**
   * Sees every pair (tree row u, remaining row v) not seen yet whose lower bound is below `level`,
   * so that afterwards every tree row's bound is >= `level`. Tree rows are grouped by the level they
   * were last flushed to, c: such a row has seen every remaining row with floor below c, so it only
   * needs the columns with floor in [c, level), a contiguous range of the column store.
   */
  private async flush(level: number, tick: () => Promise<void>): Promise<void> {
    const { floor, flushedTo, tree } = this;
    const groups = new Map<number, number[]>();
    for (let at = 0; at < tree.length; at++) {
      const u = tree.nodes[at]!;
      if (Math.max(floor[u]!, flushedTo[u]!) >= level) continue;
      const group = groups.get(flushedTo[u]!);
      if (group) group.push(at);
      else groups.set(flushedTo[u]!, [at]);
    }
    const end = this.columns.firstAtLeast(level);
    for (const [seenBelow, positions] of groups) {
      const start = this.columns.firstAtLeast(seenBelow);
      if (start >= end) continue;
      const columns = this.columnSide(start, end);
      if (this.parallel) {
        await this.parallel(this.rowSide(positions), columns);
        await tick();
      } else {
        let next = 0;
        await this.flusher.see(this.rowSide(positions), columns, () => next++, tick);
      }
      for (const v of columns.nodes) {
        if (v < 0) continue;
        this.heap.decreased(v);
        if (this.key[v]! <= this.floor[v]!) this.markGone(v);
      }
    }
    for (const positions of groups.values()) for (const at of positions) flushedTo[tree.nodes[at]!] = level;
    this.lastLevel = level;
    this.pendingFloor = Infinity;
    this.flushes++;
  }

  /** The tree rows at `positions` (increasing): their span in place with outsiders masked, or gathered. */
  private rowSide(positions: number[]): FlushSide {
    const { tree } = this;
    const { dim } = this.screen;
    const { floor, flushedTo } = this;
    // Every unseen pair of row u weighs at least its floor and, for the columns this flush adds, the level it was flushed to.
    const bound = (u: number): number => Math.max(floor[u]!, flushedTo[u]!);
    const first = positions[0]!;
    const span = positions[positions.length - 1]! - first + 1;
    if (!this.shared && positions.length >= DENSE_SPAN * span) {
      const nodes = new Int32Array(span).fill(-1);
      const bounds = new Float64Array(span).fill(Infinity);
      for (const at of positions) {
        nodes[at - first] = tree.nodes[at]!;
        bounds[at - first] = bound(tree.nodes[at]!);
      }
      return { vectors: tree.vectors.subarray(first * dim, (first + span) * dim), nodes, bounds };
    }
    const nodes = Int32Array.from(positions, (at) => tree.nodes[at]!);
    return { nodes, bounds: Float64Array.from(nodes, bound) };
  }

  /** Column store positions [start, end), rows already in the tree masked. */
  private columnSide(start: number, end: number): FlushSide {
    const { columns, gone } = this;
    const { dim } = this.screen;
    const nodes = columns.nodes.slice(start, end);
    for (let j = 0; j < nodes.length; j++) if (gone[nodes[j]!]) nodes[j] = -1;
    if (this.shared) return { nodes };
    return { vectors: columns.vectors.subarray(start * dim, end * dim), nodes };
  }
}

function reachAbove(key: number): number {
  if (key === Infinity) return Infinity;
  return key > 0 ? key * FLUSH_REACH : Number.MIN_VALUE;
}

/** The neighbour lists as an undirected graph (each list edge in both directions), in CSR form. */
function symmetricAdjacency(lists: NeighbourLists, count: number): [Int32Array, Int32Array, Float64Array] {
  const { width, ids, distances } = lists;
  const degree = new Int32Array(count + 1);
  for (let i = 0; i < count * width; i++) {
    degree[Math.floor(i / width)]!++;
    degree[ids[i]!]!++;
  }
  const start = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) start[i + 1] = start[i]! + degree[i]!;
  const fillAt = start.slice(0, count);
  const node = new Int32Array(start[count]!);
  const distance = new Float64Array(start[count]!);
  for (let row = 0; row < count; row++) {
    for (let k = 0; k < width; k++) {
      const other = ids[row * width + k]!;
      const d = distances[row * width + k]!;
      node[fillAt[row]!] = other;
      distance[fillAt[row]!++] = d;
      node[fillAt[other]!] = row;
      distance[fillAt[other]!++] = d;
    }
  }
  return [start, node, distance];
}
