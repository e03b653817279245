import type { TaskControl } from '../../../progress.js';
import type { Matrix } from '../../matrix.js';
import { Checkpoint } from '../checkpoint.js';
import type { DotKernels } from '../kernels/dot-kernel.js';
import type { Metric } from '../types.js';
import { ExemplarDistances } from './exemplar-distances.js';
import { MergeHeights } from './merge-heights.js';
import type { SoftTree } from './soft-tree.js';

/** hdbscan's stand-in for 1 / 0 in the distance part (DBL_MAX / K). */
const DBL_MAX = Number.MAX_VALUE;
/** hdbscan adds this to a lambda maximum "to avoid zero lambda". */
const LAMBDA_GUARD = 1e-8;
const CHECK_EVERY_ROWS = 256;
/** Points whose exemplar distances come from one GEMM. */
const BLOCK = 1024;

export const SOFT_MEMBERSHIP_STAGE = 'soft membership';

/**
 * Receives each point's membership vector (one strength per label, in label order). `row` is reused
 * for the next point: copy what you keep.
 */
export type MembershipRowVisitor = (point: number, row: Float64Array) => void;

export interface MembershipOptions {
  /** The clustering's metric; default 'euclidean'. */
  metric?: Metric;
  /** Threads of the exemplar-distance GEMM; default 1. */
  threads?: number;
  /** Kernels of that GEMM (see DotKernels); default: plain JavaScript. */
  kernels?: DotKernels | undefined;
}

/**
 * hdbscan 0.8.43's `all_points_membership_vectors` for the points of the fit, one row at a time (in
 * groups of points that leave the same cluster, not in point order). For point i and label j:
 *   distance part  d_ij = 1 / (distance to j's nearest exemplar), DBL_MAX / K at distance 0, row-normalised;
 *   outlier part   o_ij = exp(exp(-m_i / h_ij) - g), row-normalised, where h_ij is the merge height of the
 *                  point's cluster with j's (the point's own lambda when one contains the other), m_i the
 *                  largest lambda of the point's cluster + 1e-8, and g the largest exp(-m / h) over all points;
 *   result         d_ij o_ij row-normalised, times max_j h_ij / max(largest lambda of the arg-max label's
 *                  cluster, the point's lambda): the probability of being in some cluster.
 * A row sums to that probability (<= 1), not to 1; noise rows are small, not zero. Deviation from hdbscan:
 * lambda maxima count finite lambdas only, and a point at infinite lambda under its label's cluster gets
 * probability 1 where hdbscan divides infinity by infinity; so every entry stays finite.
 */
export async function visitMembershipVectors(
  matrix: Matrix,
  soft: SoftTree,
  visit: MembershipRowVisitor,
  options: MembershipOptions = {},
  control?: TaskControl,
): Promise<void> {
  const labelCount = soft.selected.length;
  const { pointCount, clusters, pointCluster, pointLambda, finiteRowMaxLambda, selected } = soft;
  if (matrix.count !== pointCount) {
    throw new RangeError(`matrix has ${matrix.count} rows for a tree of ${pointCount} points`);
  }
  const checkpoint = new Checkpoint(control, SOFT_MEMBERSHIP_STAGE, 2 * pointCount);
  const row = new Float64Array(labelCount);
  if (labelCount === 0) {
    for (let point = 0; point < pointCount; point++) visit(point, row);
    checkpoint.finish();
    return;
  }
  const { root } = clusters;
  const groups = pointsByCluster(pointCluster, root, clusters.count);
  const heights = new MergeHeights(soft);
  const heightRow = new Float64Array(labelCount);
  const guard = (point: number): number => finiteRowMaxLambda[pointCluster[point]! - root]! + LAMBDA_GUARD;

  // Pass 1: each point's largest merge height (and its label), and the largest exp(-m / h) of all points.
  const heightMax = new Float64Array(pointCount);
  const heightArgMax = new Int32Array(pointCount);
  let globalMax = -Infinity;
  let done = 0;
  for (const { cluster, points } of groups) {
    heights.fill(cluster, heightRow);
    for (const point of points) {
      const lambda = pointLambda[point]!;
      let best = -Infinity;
      let bestLabel = 0;
      for (let j = 0; j < labelCount; j++) {
        const h = heightOr(heightRow[j]!, lambda);
        if (h > best) {
          best = h;
          bestLabel = j;
        }
      }
      heightMax[point] = best;
      heightArgMax[point] = bestLabel;
      const score = Math.exp(-(guard(point) / best));
      if (score > globalMax) globalMax = score;
      if (++done % CHECK_EVERY_ROWS === 0) await checkpoint.tick(done);
    }
  }

  // Pass 2: the rows, in blocks of points in cluster order (one GEMM per block for the exemplar distances;
  // the merge heights change only where the cluster does).
  const ordered = Int32Array.from(groups.flatMap((group) => Array.from(group.points)));
  const distances = new ExemplarDistances(matrix, soft, options.metric, options.threads, options.kernels);
  const { dim } = matrix;
  const blockRows = new Float32Array(BLOCK * dim);
  const blockDistances = new Float64Array(BLOCK * labelCount);
  const outlierRow = new Float64Array(labelCount);
  let heightsOf = -1;
  try {
    for (let first = 0; first < ordered.length; first += BLOCK) {
      const block = ordered.subarray(first, first + BLOCK);
      block.forEach((point, r) => blockRows.set(matrix.data.subarray(point * dim, (point + 1) * dim), r * dim));
      await distances.fillBlock(blockRows, block.length, blockDistances);
      for (const [r, point] of block.entries()) {
        if (pointCluster[point] !== heightsOf) heights.fill((heightsOf = pointCluster[point]!), heightRow);
        const distanceRow = blockDistances.subarray(r * labelCount, (r + 1) * labelCount);
        membershipRow(point, heightRow, distanceRow, outlierRow, row);
        visit(point, row);
      }
      done += block.length;
      await checkpoint.tick(done);
    }
  } finally {
    await distances.release();
  }

  /** The membership vector of `point` into `out`; `distanceRow` holds its exemplar distances and is overwritten. */
  function membershipRow(
    point: number,
    heights: Float64Array,
    distanceRow: Float64Array,
    outlier: Float64Array,
    out: Float64Array,
  ): void {
    const lambda = pointLambda[point]!;
    const m = guard(point);
    let outlierSum = 0;
    for (let j = 0; j < labelCount; j++) {
      const value = Math.exp(Math.exp(-(m / heightOr(heights[j]!, lambda))) - globalMax);
      outlier[j] = value;
      outlierSum += value;
    }
    let distanceSum = 0;
    for (let j = 0; j < labelCount; j++) {
      const d = distanceRow[j]!;
      const weight = d !== 0 ? 1 / d : DBL_MAX / labelCount;
      distanceRow[j] = weight;
      distanceSum += weight;
    }
    let sum = 0;
    for (let j = 0; j < labelCount; j++) {
      const value = (distanceRow[j]! / distanceSum) * (outlier[j]! / outlierSum);
      out[j] = value;
      sum += value;
    }
    const inCluster = probabilityInSomeCluster(
      heightMax[point]!,
      finiteRowMaxLambda[selected[heightArgMax[point]!]! - root]!,
      lambda,
    );
    for (let j = 0; j < labelCount; j++) out[j] = (out[j]! / sum) * inCluster;
  }
  checkpoint.finish();
}

/** `all_points_membership_vectors` as one dense N x K row-major array (K = number of labels). */
export async function allPointsMembershipVectors(
  matrix: Matrix,
  soft: SoftTree,
  options: MembershipOptions = {},
  control?: TaskControl,
): Promise<Float64Array> {
  const labelCount = soft.selected.length;
  const out = new Float64Array(soft.pointCount * labelCount);
  await visitMembershipVectors(matrix, soft, (point, row) => out.set(row, point * labelCount), options, control);
  return out;
}

/** A merge height, or the point's own lambda where merge-heights.ts left NaN. */
function heightOr(height: number, lambda: number): number {
  return Number.isNaN(height) ? lambda : height;
}

/**
 * hdbscan's `all_points_prob_in_some_cluster`: the largest merge height over the larger of the point's
 * lambda and its nearest label's largest lambda. Infinity over infinity (a duplicate inside the cluster) is 1.
 */
export function probabilityInSomeCluster(height: number, labelMaxLambda: number, lambda: number): number {
  if (height === Infinity) return 1;
  return height / Math.max(labelMaxLambda, lambda);
}

interface PointGroup {
  cluster: number;
  points: Int32Array;
}

/** The points of each cluster that has any, by a counting sort on the cluster id. */
function pointsByCluster(pointCluster: Int32Array, root: number, clusterCount: number): PointGroup[] {
  const counts = new Int32Array(clusterCount + 1);
  for (const cluster of pointCluster) counts[cluster - root + 1]!++;
  for (let c = 0; c < clusterCount; c++) counts[c + 1]! += counts[c]!;
  const order = new Int32Array(pointCluster.length);
  const next = counts.slice(0, clusterCount);
  pointCluster.forEach((cluster, point) => {
    order[next[cluster - root]!++] = point;
  });
  const groups: PointGroup[] = [];
  for (let c = 0; c < clusterCount; c++) {
    if (counts[c + 1]! > counts[c]!)
      groups.push({ cluster: root + c, points: order.subarray(counts[c], counts[c + 1]) });
  }
  return groups;
}
