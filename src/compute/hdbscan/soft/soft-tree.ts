import { buildClusterTree, clusterSubtree, type ClusterTree } from '../cluster-tree.js';
import type { CondensedTree } from '../types.js';

/**
 * What hdbscan 0.8.43's `PredictionData` derives from a fit's condensed tree and labels (everything
 * but the coordinates): the soft-clustering functions of this folder read only this. Indexes by
 * cluster are `id - root`; label j is column j of a membership vector.
 */
export interface SoftTree {
  pointCount: number;
  clusters: ClusterTree;
  /**
   * The condensed-tree cluster of each label as 0.8.43's `CondensedTree._select_clusters` finds it:
   * the smallest cluster id among the rows that its labelled points leave. That is the selected
   * cluster itself, unless the selected cluster split at once, before any point left it: then one
   * of its sub-clusters stands for it (a quirk kept for parity).
   */
  selected: Int32Array;
  /** The cluster each point leaves (the parent of its row) and the lambda at which it leaves. */
  pointCluster: Int32Array;
  pointLambda: Float64Array;
  /** Largest lambda among each cluster's rows (hdbscan's leaf_max_lambdas); Infinity where duplicates leave. */
  rowMaxLambda: Float64Array;
  /**
   * The same over finite lambdas only (0 when a cluster has none): the scores use it where hdbscan would
   * divide by an infinite maximum and return NaN, as labelling.ts and glosh.ts do.
   */
  finiteRowMaxLambda: Float64Array;
  /** Label of each cluster: a selected cluster's and every cluster below it (hdbscan's cluster_map), else -1. */
  labelOf: Int32Array;
  /** Lambda of each cluster's split into its children; NaN for a leaf. */
  splitLambda: Float64Array;
  /** Exemplars of label j: exemplarIds[exemplarStart[j] .. exemplarStart[j + 1]). */
  exemplarStart: Int32Array;
  exemplarIds: Int32Array;
}

/**
 * Builds the soft-clustering view of a fit. `labels` are the fit's labels (0 .. clusterCount-1, -1 noise).
 * Exemplars of a label: for each leaf cluster at or below its cluster (depth-first, children in row
 * order), the points that leave the leaf at the leaf's largest lambda (exact equality, all ties).
 */
export function buildSoftTree(tree: CondensedTree, labels: Int32Array, clusterCount: number): SoftTree {
  const clusters = buildClusterTree(tree);
  const { root, count } = clusters;
  const pointCount = root;
  if (labels.length !== pointCount) {
    throw new RangeError(`labels has ${labels.length} entries for a tree of ${pointCount} points`);
  }
  const pointCluster = new Int32Array(pointCount);
  const pointLambda = new Float64Array(pointCount);
  const rowMaxLambda = new Float64Array(count).fill(-Infinity);
  const finiteRowMaxLambda = new Float64Array(count);
  for (let i = 0; i < tree.child.length; i++) {
    const parent = tree.parent[i]! - root;
    const lambda = tree.lambda[i]!;
    if (lambda > rowMaxLambda[parent]!) rowMaxLambda[parent] = lambda;
    if (Number.isFinite(lambda) && lambda > finiteRowMaxLambda[parent]!) finiteRowMaxLambda[parent] = lambda;
    const child = tree.child[i]!;
    if (child < root) {
      pointCluster[child] = tree.parent[i]!;
      pointLambda[child] = lambda;
    }
  }

  const selected = new Int32Array(clusterCount).fill(-1);
  for (let point = 0; point < pointCount; point++) {
    const label = labels[point]!;
    if (label < 0) continue;
    const current = selected[label]!;
    if (current < 0 || pointCluster[point]! < current) selected[label] = pointCluster[point]!;
  }
  // A label without points cannot come from labelPoints but would leave hdbscan's list short; the root stands in.
  for (let label = 0; label < clusterCount; label++) if (selected[label]! < 0) selected[label] = root;

  const labelOf = new Int32Array(count).fill(-1);
  selected.forEach((id, label) => {
    for (const below of clusterSubtree(clusters, id)) labelOf[below - root] = label;
  });

  const splitLambda = new Float64Array(count).fill(NaN);
  for (let c = 0; c < count; c++) {
    const start = clusters.childStart[c]!;
    if (start < clusters.childStart[c + 1]!) splitLambda[c] = clusters.birthLambda[clusters.childIds[start]! - root]!;
  }

  const exemplars = exemplarsOf(tree, clusters, selected, rowMaxLambda);
  return {
    pointCount,
    clusters,
    selected,
    pointCluster,
    pointLambda,
    rowMaxLambda,
    finiteRowMaxLambda,
    labelOf,
    splitLambda,
    ...exemplars,
  };
}

function exemplarsOf(
  tree: CondensedTree,
  clusters: ClusterTree,
  selected: Int32Array,
  rowMaxLambda: Float64Array,
): { exemplarStart: Int32Array; exemplarIds: Int32Array } {
  const { root } = clusters;
  // Points at their leaf's largest lambda, grouped by leaf in row order.
  const atMax = new Map<number, number[]>();
  for (let i = 0; i < tree.child.length; i++) {
    const child = tree.child[i]!;
    if (child >= root) continue;
    const parent = tree.parent[i]!;
    if (tree.lambda[i] !== rowMaxLambda[parent - root]) continue;
    let list = atMax.get(parent);
    if (!list) atMax.set(parent, (list = []));
    list.push(child);
  }
  const exemplarStart = new Int32Array(selected.length + 1);
  const ids: number[] = [];
  selected.forEach((id, label) => {
    for (const leaf of leavesUnder(clusters, id)) ids.push(...(atMax.get(leaf) ?? []));
    exemplarStart[label + 1] = ids.length;
  });
  return { exemplarStart, exemplarIds: Int32Array.from(ids) };
}

/** The leaf clusters at or below `id`, depth-first with children in row order (hdbscan's recurse_leaf_dfs). */
function leavesUnder(clusters: ClusterTree, id: number): number[] {
  const leaves: number[] = [];
  const stack = [id];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const i = node - clusters.root;
    const start = clusters.childStart[i]!;
    const end = clusters.childStart[i + 1]!;
    if (start === end) leaves.push(node);
    for (let k = end - 1; k >= start; k--) stack.push(clusters.childIds[k]!);
  }
  return leaves;
}
