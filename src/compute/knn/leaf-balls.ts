import type { DotKernel } from '../hdbscan/kernels/dot-kernel.js';
import type { BlockRows } from './block-rows.js';
import type { LeafPartition } from './leaf-partition.js';

/**
 * A bounding ball per leaf (centre and radius in the gathered space of BlockRows) and, for every
 * pair of leaves, a lower bound on the gathered-space distance |u_a - u_b| between their rows:
 * max(0, |c_P - c_Q| - r_P - r_Q). Keys are >= the squared gathered distance (see BlockRows), so
 * the square of a bound is a lower bound on every key between the two leaves.
 */
export interface LeafBalls {
  count: number;
  /** Row-major count x count; 0 on the diagonal. */
  gaps: Float32Array;
  /** Distances between the leaves' centres, row-major count x count. */
  centres: Float32Array;
  /** The centres (count x dim) and radii of the balls. */
  centroids: Float32Array;
  radii: Float64Array;
}

/** Relative slack for the float32 centroid product, far above its rounding error at any gap that prunes. */
const GAP_SLACK = 1e-4;

export async function leafBalls(partition: LeafPartition, rows: BlockRows, kernel: DotKernel): Promise<LeafBalls> {
  const { dim } = rows;
  const { order, bounds } = partition;
  const count = bounds.length - 1;
  let largest = 0;
  for (let b = 0; b < count; b++) largest = Math.max(largest, bounds[b + 1]! - bounds[b]!);
  const block = new Float32Array(largest * dim);
  const centroids = new Float32Array(count * dim);
  const radii = new Float64Array(count);
  const norms = new Float64Array(count);
  const centre = new Float64Array(dim);
  // Taken with the ordered copy when these leaves are its ranges: one pass over the rows fewer.
  const sums = rows.rangeSums(order, bounds);
  for (let b = 0; b < count; b++) {
    const size = bounds[b + 1]! - bounds[b]!;
    const vectors = rows.rows(order, bounds[b]!, bounds[b + 1]!, block);
    if (sums) {
      centre.set(sums.subarray(b * dim, (b + 1) * dim));
    } else {
      centre.fill(0);
      for (let i = 0, at = 0; i < size; i++) for (let k = 0; k < dim; k++, at++) centre[k]! += vectors[at]!;
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      centre[k] = Math.fround(centre[k]! / size);
      norm += centre[k]! * centre[k]!;
    }
    let radius = 0;
    for (let i = 0, at = 0; i < size; i++) {
      let sum = 0;
      for (let k = 0; k < dim; k++, at++) sum += (vectors[at]! - centre[k]!) ** 2;
      if (sum > radius) radius = sum;
    }
    radii[b] = Math.sqrt(radius) * (1 + GAP_SLACK);
    norms[b] = norm;
    centroids.set(centre, b * dim);
  }
  const gaps = new Float32Array(count * count);
  const centres = new Float32Array(count * count);
  await kernel.dot(centroids, count, centroids, count, dim, gaps);
  for (let a = 0; a < count; a++) {
    for (let b = 0; b < count; b++) {
      const at = a * count + b;
      const apart = a === b ? 0 : Math.sqrt(Math.max(0, norms[a]! + norms[b]! - 2 * gaps[at]!));
      const gap = apart * (1 - GAP_SLACK) - radii[a]! - radii[b]!;
      centres[at] = apart;
      gaps[at] = a === b || !(gap > 0) ? 0 : gap;
    }
  }
  return { count, gaps, centres, centroids, radii };
}
