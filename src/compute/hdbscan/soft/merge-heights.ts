import type { SoftTree } from './soft-tree.js';

/**
 * hdbscan's `merge_height` between the cluster a point leaves and each label's cluster, for all
 * points that leave one cluster at once. Where the two clusters lie on one path to the root (one
 * contains the other, or they are the same) hdbscan answers the point's own lambda: that entry is
 * NaN here and the caller puts the point's lambda in. Otherwise the answer is the lambda of the split
 * at which their branches part (both children of a split are born at its lambda).
 */
export class MergeHeights {
  private readonly marked: Int32Array;
  private readonly meet: Int32Array;
  private stamp = 0;

  constructor(private readonly soft: SoftTree) {
    this.marked = new Int32Array(soft.clusters.count).fill(-1);
    this.meet = new Int32Array(soft.clusters.count);
  }

  /** Fills `out` (one entry per label) for points that leave cluster `id`. */
  fill(id: number, out: Float64Array): void {
    const { clusters, selected, splitLambda } = this.soft;
    const { root, count, parentOf } = clusters;
    const stamp = this.stamp++;
    for (let node = id; node >= root; node = parentOf[node - root]!) this.marked[node - root] = stamp;
    // Ids grow downwards, so one ascending pass finds each cluster's deepest ancestor that is also above `id`.
    for (let c = 0; c < count; c++) {
      this.meet[c] = this.marked[c] === stamp ? c : this.meet[parentOf[c]! - root]!;
    }
    for (let label = 0; label < selected.length; label++) {
      const target = selected[label]! - root;
      const meet = this.meet[target]!;
      out[label] = meet === target || meet === id - root ? NaN : splitLambda[meet]!;
    }
  }
}
