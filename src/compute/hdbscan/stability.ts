import type { CondensedTree } from './types.js';
import type { ClusterTree } from './cluster-tree.js';

/**
 * hdbscan's `compute_stability`: for each cluster, the sum over its rows of
 * (lambda - birth lambda of the cluster) * child size, accumulated in row order; the root is born
 * at lambda 0. Indexed by `id - root`.
 */
export function computeStability(tree: CondensedTree, clusters: ClusterTree): Float64Array {
  const stability = new Float64Array(clusters.count);
  const birth = clusters.birthLambda.slice();
  birth[0] = 0;
  for (let i = 0; i < tree.parent.length; i++) {
    const p = tree.parent[i]! - clusters.root;
    stability[p]! += (tree.lambda[i]! - birth[p]!) * tree.childSize[i]!;
  }
  return stability;
}
