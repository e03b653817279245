import { InputError } from '../../../errors.js';
import type { TaskControl } from '../../../progress.js';
import type { Matrix } from '../../matrix.js';
import { Checkpoint } from '../checkpoint.js';
import type { DotKernels } from '../kernels/dot-kernel.js';
import { exactNearestNeighbours } from '../kernels/exact-knn.js';
import type { Metric } from '../types.js';
import { probabilityInSomeCluster } from './all-points.js';
import { ExemplarDistances } from './exemplar-distances.js';
import { MergeHeights } from './merge-heights.js';
import { pairDistance } from './row-metric.js';
import type { SoftTree } from './soft-tree.js';

const DBL_MAX = Number.MAX_VALUE;
const LAMBDA_GUARD = 1e-8;
/** hdbscan's `safe_always_positive_division` replaces a denominator <= 0 by this. */
const POSITIVE_FLOOR = 1e-8;

/**
 * What assigning new points to a fitted clustering needs (hdbscan's PredictionData): the fit's rows,
 * its soft tree, min samples and metric, and each row's prediction core distance.
 */
export interface ClusteringPredictor {
  matrix: Matrix;
  soft: SoftTree;
  /** The fit's min samples as given (hdbscan reads `clusterer.min_samples`, not clamped). */
  minSamples: number;
  metric: Metric;
  /**
   * hdbscan's `PredictionData.core_distances`: the distance of each row to its min_samples-th nearest
   * row COUNTING ITSELF (a KD-tree query for min_samples neighbours of the data itself), so one
   * neighbour fewer than the fit's core distances. A quirk of the reference, kept.
   */
  coreDistances: Float64Array;
}

/** Builds the predictor; the core distances come from the exact neighbour kernel (worker threads). */
export async function createPredictor(
  matrix: Matrix,
  soft: SoftTree,
  options: { minSamples: number; metric?: Metric; threads?: number; kernels?: DotKernels | undefined },
  control?: TaskControl,
): Promise<ClusteringPredictor> {
  const metric = options.metric ?? 'euclidean';
  const width = Math.min(options.minSamples, matrix.count) - 1;
  const coreDistances = new Float64Array(matrix.count);
  if (width > 0) {
    const lists = await exactNearestNeighbours(
      matrix,
      { width, metric, threads: options.threads ?? 1, stage: 'prediction core distances', kernels: options.kernels },
      control,
    );
    for (let row = 0; row < matrix.count; row++) coreDistances[row] = lists.distances[row * lists.width + width - 1]!;
  }
  return { matrix, soft, minSamples: options.minSamples, metric, coreDistances };
}

export interface ApproximatePrediction {
  /** Label of the fit for each query; -1 = noise. */
  labels: Int32Array;
  /** Membership strength in [0, 1]; 0 for noise. */
  probabilities: Float64Array;
  /** The row of the fit each query connects to (its nearest mutual-reachability neighbour). */
  neighbors: Int32Array;
}

/**
 * hdbscan 0.8.43's `approximate_predict`: each query joins the tree at its nearest neighbour by mutual
 * reachability among its 2 x min_samples nearest rows (its own core distance being its distance to the
 * row at index min_samples of that list, i.e. the (min_samples + 1)-th nearest: a quirk kept), at
 * lambda = 1 / that distance; it falls to the cluster at or above the neighbour's whose birth lambda is
 * below its own, and takes that cluster's label, with probability min(lambda, m) / m, m = the largest
 * lambda of the label's cluster. Deviation: m counts finite lambdas only.
 */
export async function approximatePredict(
  predictor: ClusteringPredictor,
  queries: Matrix,
  control?: TaskControl,
): Promise<ApproximatePrediction> {
  const { soft } = predictor;
  const { root, count, parentOf, birthLambda } = soft.clusters;
  const labels = new Int32Array(queries.count).fill(-1);
  const probabilities = new Float64Array(queries.count);
  const neighbors = new Int32Array(queries.count).fill(-1);
  // hdbscan predicts noise for everything when the tree never splits.
  if (count <= 1) return { labels, probabilities, neighbors };
  await visitQueries(predictor, queries, control, (query, neighbor, lambda) => {
    neighbors[query] = neighbor;
    let cluster = soft.pointCluster[neighbor]!;
    if (soft.pointLambda[neighbor]! > lambda) {
      while (cluster > root && birthLambda[cluster - root]! >= lambda) cluster = parentOf[cluster - root]!;
    }
    const label = soft.labelOf[cluster - root]!;
    if (label < 0) return;
    labels[query] = label;
    const maxLambda = soft.finiteRowMaxLambda[soft.selected[label]! - root]!;
    probabilities[query] = maxLambda > 0 ? Math.min(maxLambda, lambda) / maxLambda : 1;
  });
  return { labels, probabilities, neighbors };
}

/**
 * hdbscan 0.8.43's `membership_vector` for new points (Q x K, row-major). Unlike the fit's points it uses
 * other exponents and another outlier part: distance part (1 / exemplar distance, row-normalised) to
 * the power 0.5 times outlier part squared, where the outlier part is the softmax over labels of
 * m / (m - h) (m the largest lambda of the neighbour's cluster, h the merge height with the query's lambda
 * rounded to float32, a denominator <= 0 replaced by 1e-8); row-normalised, then times the largest merge
 * height over (max(lambda, largest lambda of the arg-max label's cluster) + 1e-8). The query's lambda is
 * capped at its neighbour's, and its cluster is the neighbour's (no walk up as in approximatePredict).
 * Deviation: lambda maxima count finite lambdas only.
 */
export async function membershipVectors(
  predictor: ClusteringPredictor,
  queries: Matrix,
  control?: TaskControl,
): Promise<Float64Array> {
  const { soft } = predictor;
  const { root } = soft.clusters;
  const labelCount = soft.selected.length;
  const out = new Float64Array(queries.count * labelCount);
  if (labelCount === 0) return out;
  const heights = new MergeHeights(soft);
  const heightRow = new Float64Array(labelCount);
  const distanceRow = new Float64Array(labelCount);
  const scores = new Float64Array(labelCount);
  const exemplars = new ExemplarDistances(predictor.matrix, soft, predictor.metric);
  await visitQueries(predictor, queries, control, (query, neighbor, queryLambda) => {
    const cluster = soft.pointCluster[neighbor]!;
    const lambda = Math.min(queryLambda, soft.pointLambda[neighbor]!);
    heights.fill(cluster, heightRow);

    exemplars.fill(queries.data, query * queries.dim, distanceRow);
    normaliseInverseDistances(distanceRow);

    const m = soft.finiteRowMaxLambda[cluster - root]!;
    const lambda32 = Math.fround(lambda);
    let best = -Infinity;
    for (let j = 0; j < labelCount; j++) {
      const h = heightOr(heightRow[j]!, lambda32);
      const denominator = m - h;
      scores[j] = m / (denominator <= 0 ? POSITIVE_FLOOR : denominator);
      if (scores[j]! > best) best = scores[j]!;
    }
    let scoreSum = 0;
    for (let j = 0; j < labelCount; j++) scoreSum += scores[j] = Math.exp(scores[j]! - best);

    let heightMax = -Infinity;
    let heightArgMax = 0;
    for (let j = 0; j < labelCount; j++) {
      const h = heightOr(heightRow[j]!, lambda);
      if (h > heightMax) {
        heightMax = h;
        heightArgMax = j;
      }
    }
    const labelMax = soft.finiteRowMaxLambda[soft.selected[heightArgMax]! - root]!;
    const inCluster = probabilityInSomeCluster(heightMax, labelMax + LAMBDA_GUARD, lambda + LAMBDA_GUARD);

    const row = out.subarray(query * labelCount, (query + 1) * labelCount);
    let sum = 0;
    for (let j = 0; j < labelCount; j++) {
      const outlier = scores[j]! / scoreSum;
      sum += row[j] = Math.sqrt(distanceRow[j]!) * outlier * outlier;
    }
    for (let j = 0; j < labelCount; j++) row[j] = (row[j]! / sum) * inCluster;
  });
  return out;
}

/** 1 / distance (DBL_MAX / K at distance 0), normalised to sum 1, in place (hdbscan's dist_membership_vector). */
function normaliseInverseDistances(values: Float64Array): void {
  let sum = 0;
  for (let j = 0; j < values.length; j++) {
    const d = values[j]!;
    sum += values[j] = d !== 0 ? 1 / d : DBL_MAX / values.length;
  }
  for (let j = 0; j < values.length; j++) values[j]! /= sum;
}

function heightOr(height: number, lambda: number): number {
  return Number.isNaN(height) ? lambda : height;
}

type QueryVisitor = (query: number, neighbor: number, lambda: number) => void;

/**
 * For each query: its 2 x min_samples nearest rows of the fit (by distance, then row), its nearest
 * mutual-reachability neighbour among them (the first on ties) and the lambda at which it joins
 * (hdbscan's `_find_neighbor_and_lambda`; DBL_MAX at distance 0).
 */
async function visitQueries(
  predictor: ClusteringPredictor,
  queries: Matrix,
  control: TaskControl | undefined,
  visit: QueryVisitor,
): Promise<void> {
  const { matrix, minSamples, coreDistances } = predictor;
  if (queries.dim !== matrix.dim) {
    throw new InputError(`new points have ${queries.dim} values each, the clustered rows ${matrix.dim}`, {
      hint: 'give new points in the space that was clustered (same layer, aggregation and normalization)',
    });
  }
  const k = Math.min(2 * minSamples, matrix.count);
  const coreIndex = Math.min(minSamples, k - 1);
  const ids = new Int32Array(k);
  const distances = new Float64Array(k);
  const distance = pairDistance(predictor.metric);
  const checkpoint = new Checkpoint(control, 'assigning new points', queries.count);
  for (let query = 0; query < queries.count; query++) {
    const start = query * queries.dim;
    for (let v = start; v < start + queries.dim; v++) {
      if (!Number.isFinite(queries.data[v])) {
        throw new InputError(`new point ${query} has value ${queries.data[v]} at column ${v - start}`, {
          hint: 'remove or replace NaN and infinite values before assigning points',
        });
      }
    }
    let size = 0;
    for (let row = 0; row < matrix.count; row++) {
      const d = distance(queries.data, start, matrix.data, row * matrix.dim, matrix.dim);
      if (size === k && d >= distances[k - 1]!) continue;
      // Insertion into the sorted list; equal distances keep the smaller row first.
      let at = size < k ? size++ : k - 1;
      while (at > 0 && distances[at - 1]! > d) {
        distances[at] = distances[at - 1]!;
        ids[at] = ids[at - 1]!;
        at--;
      }
      distances[at] = d;
      ids[at] = row;
    }
    const queryCore = distances[coreIndex]!;
    let nearest = -1;
    let nearestReach = Infinity;
    for (let i = 0; i < k; i++) {
      const reach = Math.max(coreDistances[ids[i]!]!, queryCore, distances[i]!);
      if (reach < nearestReach) {
        nearestReach = reach;
        nearest = ids[i]!;
      }
    }
    visit(query, nearest, nearestReach > 0 ? 1 / nearestReach : DBL_MAX);
    await checkpoint.tick(query + 1);
  }
  checkpoint.finish();
}
