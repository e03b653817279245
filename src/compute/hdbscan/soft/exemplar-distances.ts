import type { Matrix } from '../../matrix.js';
import type { Metric } from '../types.js';
import { pairDistance, type PairDistance } from './row-metric.js';
import type { SoftTree } from './soft-tree.js';

/**
 * Distance from points to the nearest exemplar of each label, in float64 from the float32 rows
 * (hdbscan's `dist_vector` over `raw_data.astype(float64)`), in the clustering's metric (hdbscan makes
 * prediction data for euclidean and manhattan only). The exemplar rows are gathered once, contiguous,
 * so a point's scan over them runs through memory in order.
 */
export class ExemplarDistances {
  private readonly rows: Float32Array;
  private readonly distance: PairDistance;
  private readonly dim: number;

  constructor(
    matrix: Matrix,
    private readonly soft: SoftTree,
    metric: Metric = 'euclidean',
  ) {
    const dim = (this.dim = matrix.dim);
    const ids = soft.exemplarIds;
    this.rows = new Float32Array(ids.length * dim);
    ids.forEach((id, e) => this.rows.set(matrix.data.subarray(id * dim, (id + 1) * dim), e * dim));
    this.distance = pairDistance(metric);
  }

  /** Fills `out` (one per label) with the distance from the row of `points` at `start` to each label's nearest exemplar. */
  fill(points: Float32Array, start: number, out: Float64Array): void {
    const { exemplarStart } = this.soft;
    const { dim, rows, distance } = this;
    for (let label = 0; label < out.length; label++) {
      let nearest = Infinity;
      for (let e = exemplarStart[label]!; e < exemplarStart[label + 1]!; e++) {
        const d = distance(points, start, rows, e * dim, dim);
        if (d < nearest) nearest = d;
      }
      out[label] = nearest;
    }
  }
}
