import { maxLambdaPerCluster, type ClusterTree } from './cluster-tree.js';
import type { CondensedTree } from './types.js';

/**
 * GLOSH outlier scores as hdbscan 0.8.43's `outlier_scores`: (lambda_max - lambda) / lambda_max,
 * where lambda is the density at which the point left its cluster and lambda_max the largest
 * lambda anywhere in that cluster's subtree. 0 when lambda_max is 0 or the point left at infinite
 * lambda. Deviation from hdbscan: lambda_max counts finite lambdas only. hdbscan divides by an
 * infinite lambda_max when a cluster holds exact duplicates and returns NaN for its other points;
 * activations often repeat exactly (dead units, identical inputs), and scores must stay in [0, 1].
 */
export function outlierScores(tree: CondensedTree, clusters: ClusterTree): Float64Array {
  const { root } = clusters;
  const deaths = maxLambdaPerCluster(tree, root, clusters.count, true);
  // Children have larger ids than their parents, so descending ids visit a subtree before its top.
  for (let i = clusters.count - 1; i > 0; i--) {
    const parent = clusters.parentOf[i]! - root;
    if (deaths[i]! > deaths[parent]!) deaths[parent] = deaths[i]!;
  }
  const scores = new Float64Array(root);
  for (let i = 0; i < tree.child.length; i++) {
    const point = tree.child[i]!;
    if (point >= root) continue;
    const lambdaMax = deaths[tree.parent[i]! - root]!;
    const lambda = tree.lambda[i]!;
    scores[point] = lambdaMax === 0 || !Number.isFinite(lambda) ? 0 : (lambdaMax - lambda) / lambdaMax;
  }
  return scores;
}
