import { maxLambdaPerCluster, type ClusterTree } from './cluster-tree.js';
import type { CondensedTree } from './types.js';

/**
 * hdbscan's `do_labelling`: a point takes the label of its nearest selected ancestor cluster
 * (label k = k-th selected id). A point with no selected ancestor is noise, except when the root
 * is the only selected cluster and allowSingleCluster is set: then it belongs to the root if it
 * left at a lambda at least the root's largest lambda (or at least 1 / epsilon when epsilon > 0).
 */
export function labelPoints(
  tree: CondensedTree,
  clusters: ClusterTree,
  selected: Int32Array,
  options: { allowSingleCluster: boolean; epsilon: number },
): Int32Array {
  const { root } = clusters;
  const labelOf = new Int32Array(clusters.count).fill(-1);
  selected.forEach((id, label) => {
    labelOf[id - root] = label;
  });
  // Rows create clusters top-down, so a parent's owner is known before its children's.
  const owner = new Int32Array(clusters.count);
  owner[0] = root;
  for (let i = 0; i < tree.child.length; i++) {
    const child = tree.child[i]!;
    if (child < root) continue;
    owner[child - root] = labelOf[child - root]! >= 0 ? child : owner[tree.parent[i]! - root]!;
  }

  const singleRoot = options.allowSingleCluster && selected.length === 1 && selected[0] === root;
  let rootThreshold = 1 / options.epsilon;
  if (options.epsilon === 0) {
    rootThreshold = -Infinity;
    for (let i = 0; i < tree.parent.length; i++) {
      if (tree.parent[i] === root && tree.lambda[i]! > rootThreshold) rootThreshold = tree.lambda[i]!;
    }
  }

  const labels = new Int32Array(root).fill(-1);
  for (let i = 0; i < tree.child.length; i++) {
    const point = tree.child[i]!;
    if (point >= root) continue;
    const cluster = owner[tree.parent[i]! - root]!;
    if (cluster !== root) labels[point] = labelOf[cluster - root]!;
    else if (singleRoot && tree.lambda[i]! >= rootThreshold) labels[point] = 0;
  }
  return labels;
}

/**
 * hdbscan's `get_probabilities`: a point's lambda over the largest lambda among the rows of its
 * selected cluster, capped at 1; 1 when that largest lambda is 0 or the point's lambda is
 * infinite; 0 for noise. Like outlierScores, the largest lambda counts finite lambdas only, where
 * hdbscan would divide by infinity and give members of clusters with exact duplicates probability 0.
 */
export function membershipProbabilities(
  tree: CondensedTree,
  clusters: ClusterTree,
  selected: Int32Array,
  labels: Int32Array,
): Float64Array {
  const deaths = maxLambdaPerCluster(tree, clusters.root, clusters.count, true);
  const probabilities = new Float64Array(labels.length);
  for (let i = 0; i < tree.child.length; i++) {
    const point = tree.child[i]!;
    if (point >= clusters.root || labels[point] === -1) continue;
    const maxLambda = deaths[selected[labels[point]!]! - clusters.root]!;
    const lambda = tree.lambda[i]!;
    probabilities[point] = maxLambda === 0 || !Number.isFinite(lambda) ? 1 : Math.min(lambda, maxLambda) / maxLambda;
  }
  return probabilities;
}

/**
 * hdbscan's `get_stability_scores` (cluster_persistence_): a selected cluster's stability over
 * (its labelled size x the tree's largest lambda); 1 when that lambda is 0 or infinite or the
 * cluster is empty.
 */
export function clusterPersistence(
  tree: CondensedTree,
  clusters: ClusterTree,
  selected: Int32Array,
  labels: Int32Array,
  stability: Float64Array,
): Float64Array {
  let maxLambda = -Infinity;
  for (const lambda of tree.lambda) if (lambda > maxLambda) maxLambda = lambda;
  const sizes = new Int32Array(selected.length);
  for (const label of labels) if (label >= 0) sizes[label]!++;
  const persistence = new Float64Array(selected.length);
  selected.forEach((id, label) => {
    const size = sizes[label]!;
    persistence[label] =
      !Number.isFinite(maxLambda) || maxLambda === 0 || size === 0
        ? 1
        : stability[id - clusters.root]! / (size * maxLambda);
  });
  return persistence;
}
