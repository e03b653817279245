/**
 * Row copies laid out so that every block a flush multiplies is contiguous and needs no gather:
 * the tree's rows in the order Prim added them, and the remaining rows by increasing floor.
 */

/** Rows in the order they joined the tree (their vectors too unless `withVectors` is false). */
export class TreeStore {
  readonly vectors: Float32Array;
  readonly nodes: Int32Array;
  length = 0;

  constructor(
    count: number,
    private readonly dim: number,
    withVectors: boolean,
  ) {
    this.vectors = new Float32Array(withVectors ? count * dim : 0);
    this.nodes = new Int32Array(count);
  }

  append(node: number, source: Float32Array): void {
    const { dim } = this;
    if (this.vectors.length > 0) this.vectors.set(source.subarray(node * dim, (node + 1) * dim), this.length * dim);
    this.nodes[this.length++] = node;
  }
}

/**
 * Rows that may still need flushing, sorted by floor (so a floor band is a contiguous range). Rows
 * that are gone (joined the tree, or their key reached its floor) stay in place as holes until a
 * quarter of the store is holes; then it is compacted (4 N D copies at most in all).
 */
export class ColumnStore {
  readonly vectors: Float32Array;
  readonly nodes: Int32Array;
  readonly floors: Float64Array;
  length: number;
  private holes = 0;
  private cursor = 0;

  constructor(
    source: Float32Array,
    private readonly dim: number,
    floor: Float64Array,
    withVectors: boolean,
  ) {
    const count = floor.length;
    this.nodes = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => floor[a]! - floor[b]!);
    this.vectors = new Float32Array(withVectors ? count * dim : 0);
    this.floors = new Float64Array(count);
    for (let at = 0; at < count; at++) {
      const node = this.nodes[at]!;
      if (withVectors) this.vectors.set(source.subarray(node * dim, (node + 1) * dim), at * dim);
      this.floors[at] = floor[node]!;
    }
    this.length = count;
  }

  /** Notes that one more stored row is gone (`gone` flags all such rows); compacts now and then. */
  removed(gone: Uint8Array): void {
    this.holes++;
    if (this.holes * 4 <= this.length || this.length < 64) return;
    const { dim, nodes, vectors, floors } = this;
    let kept = 0;
    for (let at = 0; at < this.length; at++) {
      const node = nodes[at]!;
      if (gone[node]) continue;
      if (kept !== at) {
        nodes[kept] = node;
        floors[kept] = floors[at]!;
        if (vectors.length > 0) vectors.copyWithin(kept * dim, at * dim, (at + 1) * dim);
      }
      kept++;
    }
    this.length = kept;
    this.holes = 0;
    this.cursor = 0;
  }

  /** The smallest floor among rows not gone (Infinity when none is left). */
  lowestRemainingFloor(gone: Uint8Array): number {
    while (this.cursor < this.length && gone[this.nodes[this.cursor]!]) this.cursor++;
    return this.cursor < this.length ? this.floors[this.cursor]! : Infinity;
  }

  /** First position whose floor is >= `floor` (this.length if none). */
  firstAtLeast(floor: number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.floors[mid]! < floor) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
