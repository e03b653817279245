import { childrenOf, clusterSubtree, type ClusterTree } from './cluster-tree.js';

export type SelectionMethod = 'eom' | 'leaf';

export interface SelectionOptions {
  method: SelectionMethod;
  epsilon: number;
  allowSingleCluster: boolean;
}

/**
 * hdbscan's `get_clusters` selection step. Returns the selected cluster ids in increasing order
 * (label k is the k-th of them). `stability` (by `id - root`) is updated in place as hdbscan's
 * dict is: 'eom' replaces a rejected cluster's stability by the float32-rounded sum of its
 * children's (hdbscan keeps that sum in a C float). Quirks kept on purpose, for parity:
 * 'leaf' on a tree without any split selects nothing (all noise), even with allowSingleCluster.
 */
export function selectClusters(clusters: ClusterTree, stability: Float64Array, options: SelectionOptions): Int32Array {
  const { root, count } = clusters;
  const hasSplits = clusters.childIds.length > 0;
  // hdbscan's is_cluster keys: every cluster, the root only when a single cluster is allowed.
  const candidates = new Uint8Array(count);
  candidates.fill(1, 1);
  if (options.allowSingleCluster) candidates[0] = 1;
  let chosen: Set<number>;

  if (options.method === 'eom') {
    chosen = excessOfMass(clusters, stability, candidates);
    if (options.epsilon !== 0 && hasSplits) {
      if (chosen.size === 1 && chosen.has(root)) {
        if (!options.allowSingleCluster) chosen = new Set();
      } else {
        chosen = epsilonSearch(clusters, [...chosen], options);
      }
    }
  } else {
    const leaves: number[] = [];
    if (hasSplits) {
      for (let i = 1; i < count; i++) if (childrenOf(clusters, root + i).length === 0) leaves.push(root + i);
    }
    chosen = options.epsilon !== 0 ? epsilonSearch(clusters, leaves, options) : new Set(leaves);
  }

  const selected: number[] = [];
  for (let i = 0; i < count; i++) if (candidates[i] && chosen.has(root + i)) selected.push(root + i);
  return Int32Array.from(selected);
}

function excessOfMass(clusters: ClusterTree, stability: Float64Array, candidates: Uint8Array): Set<number> {
  const { root, count } = clusters;
  const isCluster = candidates.slice();
  // Descending ids are a bottom-up order: children always get larger ids than their parent.
  for (let i = count - 1; i >= 0; i--) {
    if (!candidates[i]) continue;
    let childSum = 0;
    for (const child of childrenOf(clusters, root + i)) childSum += stability[child - root]!;
    const subtreeStability = Math.fround(childSum);
    if (subtreeStability > stability[i]!) {
      isCluster[i] = 0;
      stability[i] = subtreeStability;
    } else {
      for (const below of clusterSubtree(clusters, root + i)) if (below !== root + i) isCluster[below - root] = 0;
    }
  }
  const chosen = new Set<number>();
  for (let i = 0; i < count; i++) if (isCluster[i]) chosen.add(root + i);
  return chosen;
}

/**
 * hdbscan's `epsilon_search`: a starting cluster born below distance epsilon is replaced by its
 * first ancestor born above epsilon (never the root unless a single cluster is allowed).
 */
function epsilonSearch(clusters: ClusterTree, starts: number[], options: SelectionOptions): Set<number> {
  const selected = new Set<number>();
  const processed = new Set<number>();
  for (const start of [...starts].sort((a, b) => a - b)) {
    const eps = 1 / clusters.birthLambda[start - clusters.root]!;
    if (eps < options.epsilon) {
      if (processed.has(start)) continue;
      const ancestor = traverseUpwards(clusters, start, options);
      selected.add(ancestor);
      for (const below of clusterSubtree(clusters, ancestor)) if (below !== ancestor) processed.add(below);
    } else {
      selected.add(start);
    }
  }
  return selected;
}

function traverseUpwards(clusters: ClusterTree, start: number, options: SelectionOptions): number {
  let node = start;
  for (;;) {
    const parent = clusters.parentOf[node - clusters.root]!;
    if (parent === clusters.root) return options.allowSingleCluster ? parent : node;
    const parentEps = 1 / clusters.birthLambda[parent - clusters.root]!;
    if (parentEps > options.epsilon) return parent;
    node = parent;
  }
}
