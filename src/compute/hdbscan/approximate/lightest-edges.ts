import type { UnionFind } from './union-find.js';

/** The spanning tree's edges as they are chosen (at most count - 1). */
export class TreeEdges {
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly weight: Float64Array;
  length = 0;

  constructor(count: number) {
    const edges = Math.max(0, count - 1);
    this.from = new Int32Array(edges);
    this.to = new Int32Array(edges);
    this.weight = new Float64Array(edges);
  }

  push(a: number, b: number, weight: number): void {
    this.from[this.length] = a;
    this.to[this.length] = b;
    this.weight[this.length++] = weight;
  }
}

/**
 * One Borůvka round's bookkeeping: the lightest edge seen so far out of every set (indexed by its
 * root). Ties go to the smaller (lower row, higher row) pair, one total order for every set, so
 * that adding every set's choice can never close a cycle.
 */
export class LightestEdges {
  readonly weight: Float64Array;
  private readonly low: Int32Array;
  private readonly high: Int32Array;

  constructor(count: number) {
    this.weight = new Float64Array(count).fill(Infinity);
    this.low = new Int32Array(count).fill(-1);
    this.high = new Int32Array(count).fill(-1);
  }

  reset(): void {
    this.weight.fill(Infinity);
    this.low.fill(-1);
  }

  /** Offers the edge (a, b) of weight `w` to set `root`. */
  offer(root: number, w: number, a: number, b: number): void {
    const current = this.weight[root]!;
    if (w > current) return;
    const low = a < b ? a : b;
    const high = a < b ? b : a;
    if (w === current) {
      const held = this.low[root]!;
      if (held >= 0 && (held < low || (held === low && this.high[root]! <= high))) return;
    }
    this.weight[root] = w;
    this.low[root] = low;
    this.high[root] = high;
  }

  /**
   * Adds every set's lightest edge (lightest first) that still joins two sets to `edges`, with
   * the weight `exactWeight` gives it; only sets that `accept` (default: all) take part. Returns
   * how many were added.
   */
  commit(
    sets: UnionFind,
    edges: TreeEdges,
    exactWeight: (a: number, b: number) => number,
    accept: (root: number, weight: number) => boolean = () => true,
  ): number {
    const chosen: number[] = [];
    for (let root = 0; root < this.weight.length; root++) {
      if (this.low[root]! >= 0 && accept(root, this.weight[root]!)) chosen.push(root);
    }
    const { weight, low, high } = this;
    // Small integers, not a difference of weights: a double returned to the sort is boxed, every call.
    chosen.sort((x, y) =>
      weight[x]! < weight[y]! ? -1 : weight[x]! > weight[y]! ? 1 : low[x]! - low[y]! || high[x]! - high[y]!,
    );
    let added = 0;
    for (const root of chosen) {
      const a = this.low[root]!;
      const b = this.high[root]!;
      if (sets.union(a, b)) {
        edges.push(a, b, exactWeight(a, b));
        added++;
      }
    }
    return added;
  }
}
