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
  // Within a cluster only the entries on its path to the root (NaN merge heights) depend on the point.
  const heightMax = new Float64Array(pointCount);
  const heightArgMax = new Int32Array(pointCount);
  let globalMax = -Infinity;
  let done = 0;
  for (const { cluster, points } of groups) {
    heights.fill(cluster, heightRow);
    const fixed = largestFixedHeight(heightRow);
    for (const point of points) {
      const lambda = pointLambda[point]!;
      const [best, bestLabel] = largestHeight(fixed, lambda);
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
  // The outlier part of the entries that do not depend on the point, for the cluster of heightRow.
  const clusterOutlier = new Float64Array(labelCount);
  let heightsOf = -1;
  try {
    for (let first = 0; first < ordered.length; first += BLOCK) {
      const size = Math.min(BLOCK, ordered.length - first);
      for (let r = 0; r < size; r++) {
        const from = ordered[first + r]! * dim;
        for (let k = 0; k < dim; k++) blockRows[r * dim + k] = matrix.data[from + k]!;
      }
      await distances.fillBlock(blockRows, size, blockDistances);
      for (let r = 0; r < size; r++) {
        const point = ordered[first + r]!;
        if (pointCluster[point] !== heightsOf) {
          heights.fill((heightsOf = pointCluster[point]!), heightRow);
          fixedOutliers(guard(point), heightRow, clusterOutlier);
        }
        membershipRow(point, heightRow, blockDistances, r * labelCount, outlierRow, row);
        visit(point, row);
      }
      done += size;
      await checkpoint.tick(done);
    }
  } finally {
    await distances.release();
  }

  /**
   * The membership vector of `point` into `out`; its exemplar distances are `distances[at .. at + labelCount)`,
   * overwritten here.
   */
  function membershipRow(
    point: number,
    heights: Float64Array,
    distances: Float64Array,
    at: number,
    outlier: Float64Array,
    out: Float64Array,
  ): void {
    const lambda = pointLambda[point]!;
    // The same value, entry by entry and summed in the same order, as exp(exp(-m / h) - g) with h the merge height, or lambda where it is NaN.
    const own = Math.exp(Math.exp(-(guard(point) / lambda)) - globalMax);
    let outlierSum = 0;
    for (let j = 0; j < labelCount; j++) {
      const value = Number.isNaN(heights[j]!) ? own : clusterOutlier[j]!;
      outlier[j] = value;
      outlierSum += value;
    }
    let distanceSum = 0;
    for (let j = 0; j < labelCount; j++) {
      const d = distances[at + j]!;
      const weight = d !== 0 ? 1 / d : DBL_MAX / labelCount;
      distances[at + j] = weight;
      distanceSum += weight;
    }
    let sum = 0;
    for (let j = 0; j < labelCount; j++) {
      const value = (distances[at + j]! / distanceSum) * (outlier[j]! / outlierSum);
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

  /** exp(exp(-m / h) - g) of each merge height h of `heights` that is not NaN (NaN entries are left alone). */
  function fixedOutliers(m: number, heights: Float64Array, out: Float64Array): void {
    for (let j = 0; j < labelCount; j++) {
      const h = heights[j]!;
      if (!Number.isNaN(h)) out[j] = Math.exp(Math.exp(-(m / h)) - globalMax);
    }
  }
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

/** The largest merge height of a row that is not NaN with its first label, and the first NaN entry's label. */
interface FixedHeights {
  best: number;
  bestLabel: number;
  /** -1 when no entry is NaN. */
  firstNaN: number;
}

function largestFixedHeight(heights: Float64Array): FixedHeights {
  let best = -Infinity;
  let bestLabel = -1;
  let firstNaN = -1;
  for (let j = 0; j < heights.length; j++) {
    const h = heights[j]!;
    if (Number.isNaN(h)) {
      if (firstNaN < 0) firstNaN = j;
    } else if (h > best) {
      best = h;
      bestLabel = j;
    }
  }
  return { best, bestLabel, firstNaN };
}

/**
 * The largest of a row's merge heights, the point's lambda standing in for NaN entries, and its first label (label 0 when every entry is -Infinity),
 * as a scan of the whole row finds them: the two candidates, the row's largest fixed height and the
 * point's own lambda at the first NaN entry, taken in label order.
 */
function largestHeight(fixed: FixedHeights, lambda: number): [number, number] {
  let best = -Infinity;
  let bestLabel = 0;
  const take = (value: number, label: number) => {
    if (label >= 0 && value > best) {
      best = value;
      bestLabel = label;
    }
  };
  const nanFirst = fixed.firstNaN >= 0 && (fixed.bestLabel < 0 || fixed.firstNaN < fixed.bestLabel);
  if (nanFirst) {
    take(lambda, fixed.firstNaN);
    take(fixed.best, fixed.bestLabel);
  } else {
    take(fixed.best, fixed.bestLabel);
    take(lambda, fixed.firstNaN);
  }
  return [best, bestLabel];
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
