import type { CondensedTree } from './types.js';

/**
 * The clusters of a condensed tree (ids root .. root + count - 1, root = N) with their links:
 * parent, birth lambda (the lambda of the row where the cluster appears as a child), and children
 * in row order. Indexes are `id - root`.
 */
export interface ClusterTree {
  root: number;
  count: number;
  parentOf: Int32Array;
  birthLambda: Float64Array;
  /** children of cluster i are childIds[childStart[i] .. childStart[i + 1]) */
  childStart: Int32Array;
  childIds: Int32Array;
}

export function rootOf(tree: CondensedTree): number {
  let root = Infinity;
  for (const parent of tree.parent) if (parent < root) root = parent;
  return root;
}

export function buildClusterTree(tree: CondensedTree): ClusterTree {
  const root = rootOf(tree);
  let maxParent = root;
  for (const parent of tree.parent) if (parent > maxParent) maxParent = parent;
  const count = maxParent - root + 1;
  const parentOf = new Int32Array(count).fill(-1);
  const birthLambda = new Float64Array(count);
  const childCount = new Int32Array(count);
  for (let i = 0; i < tree.child.length; i++) {
    if (tree.childSize[i]! <= 1) continue;
    const c = tree.child[i]! - root;
    parentOf[c] = tree.parent[i]!;
    birthLambda[c] = tree.lambda[i]!;
    childCount[tree.parent[i]! - root]!++;
  }
  const childStart = new Int32Array(count + 1);
  for (let c = 0; c < count; c++) childStart[c + 1] = childStart[c]! + childCount[c]!;
  const childIds = new Int32Array(childStart[count]!);
  const filled = new Int32Array(count);
  for (let i = 0; i < tree.child.length; i++) {
    if (tree.childSize[i]! <= 1) continue;
    const p = tree.parent[i]! - root;
    childIds[childStart[p]! + filled[p]!++] = tree.child[i]!;
  }
  return { root, count, parentOf, birthLambda, childStart, childIds };
}

export function childrenOf(clusters: ClusterTree, id: number): Int32Array {
  const i = id - clusters.root;
  return clusters.childIds.subarray(clusters.childStart[i], clusters.childStart[i + 1]);
}

/** `id` and every cluster below it, breadth-first (hdbscan's `bfs_from_cluster_tree`). */
export function clusterSubtree(clusters: ClusterTree, id: number): number[] {
  const nodes = [id];
  for (let head = 0; head < nodes.length; head++) nodes.push(...childrenOf(clusters, nodes[head]!));
  return nodes;
}

/**
 * Largest lambda among the rows of each parent cluster (hdbscan's `max_lambdas`), by `id - root`.
 * With `finiteOnly`, rows at infinite lambda (exact duplicates) are left out, so that scores relative
 * to this maximum stay finite (hdbscan gives NaN there).
 */
export function maxLambdaPerCluster(
  tree: CondensedTree,
  root: number,
  count: number,
  finiteOnly = false,
): Float64Array {
  const deaths = new Float64Array(count);
  for (let i = 0; i < tree.parent.length; i++) {
    const p = tree.parent[i]! - root;
    const lambda = tree.lambda[i]!;
    if (lambda > deaths[p]! && (!finiteOnly || Number.isFinite(lambda))) deaths[p] = lambda;
  }
  return deaths;
}
