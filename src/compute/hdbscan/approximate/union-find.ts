/** Disjoint sets of rows 0..count-1 (union by size, path halving). */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;
  /** Number of sets. */
  sets: number;

  constructor(count: number) {
    this.parent = Int32Array.from({ length: count }, (_, i) => i);
    this.size = new Int32Array(count).fill(1);
    this.sets = count;
  }

  find(node: number): number {
    const parent = this.parent;
    while (parent[node] !== node) {
      const grand = parent[parent[node]!]!;
      parent[node] = grand;
      node = grand;
    }
    return node;
  }

  /** Joins the sets of `a` and `b`; false when they were one set already. */
  union(a: number, b: number): boolean {
    let rootA = this.find(a);
    let rootB = this.find(b);
    if (rootA === rootB) return false;
    if (this.size[rootA]! < this.size[rootB]!) [rootA, rootB] = [rootB, rootA];
    this.parent[rootB] = rootA;
    this.size[rootA]! += this.size[rootB]!;
    this.sets--;
    return true;
  }

  /** The root of every row, in one array. */
  roots(out: Int32Array): Int32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.find(i);
    return out;
  }
}
