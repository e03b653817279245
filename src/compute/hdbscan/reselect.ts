/**
 * Pattern selection from a stored single-linkage tree: condensing, cluster selection, labels,
 * membership probabilities, GLOSH scores and persistence, with no distance work. Browser-safe on
 * purpose (no node: imports, no ONNX Runtime, nothing asynchronous): the app re-selects in the page
 * from the tree the store keeps, and hdbscan() ends with this same function, so a re-selection equals
 * a fresh clustering with the tree's min samples.
 *
 * Min samples is not a parameter here: it shapes the tree itself (every core distance), so changing it
 * needs the distances again (`nap analyze --min-samples`).
 */
import { buildClusterTree } from './cluster-tree.js';
import { condenseTree } from './condense.js';
import { outlierScores } from './glosh.js';
import { clusterPersistence, labelPoints, membershipProbabilities } from './labelling.js';
import { selectClusters, type SelectionMethod } from './selection.js';
import { computeStability } from './stability.js';
import type { CondensedTree, SingleLinkageTree } from './types.js';

/** The parameters that pick patterns from a tree; min samples (the tree's) is not among them. */
export interface SelectionParams {
  /** Smallest pattern; integer in [2, N]. */
  minClusterSize: number;
  clusterSelectionMethod: SelectionMethod;
  /** Patterns born below this distance merge upwards; finite, >= 0. */
  clusterSelectionEpsilon: number;
  allowSingleCluster: boolean;
}

export interface TreeSelection {
  /** Pattern of each point, 0 .. clusterCount-1 in order of condensed-tree id; -1 = noise. */
  labels: Int32Array;
  probabilities: Float64Array;
  outlierScores: Float64Array;
  persistence: Float64Array;
  clusterCount: number;
  condensedTree: CondensedTree;
  /** Condensed-tree id of each pattern's cluster (pattern k = selectedClusters[k]); set by selectFromLinkage. */
  selectedClusters?: Int32Array;
}

/** Selects patterns from `linkage` (N-1 merges of N points) with `params`; see the module comment. */
export function selectFromLinkage(linkage: SingleLinkageTree, params: SelectionParams): TreeSelection {
  const condensedTree = condenseTree(linkage, params.minClusterSize);
  const clusters = buildClusterTree(condensedTree);
  const stability = computeStability(condensedTree, clusters);
  const selected = selectClusters(clusters, stability, {
    method: params.clusterSelectionMethod,
    epsilon: params.clusterSelectionEpsilon,
    allowSingleCluster: params.allowSingleCluster,
  });
  const labels = labelPoints(condensedTree, clusters, selected, {
    allowSingleCluster: params.allowSingleCluster,
    epsilon: params.clusterSelectionEpsilon,
  });
  return {
    labels,
    probabilities: membershipProbabilities(condensedTree, clusters, selected, labels),
    outlierScores: outlierScores(condensedTree, clusters),
    persistence: clusterPersistence(condensedTree, clusters, selected, labels, stability),
    clusterCount: selected.length,
    condensedTree,
    selectedClusters: selected,
  };
}

/**
 * Why `params` cannot select from a tree of `pointCount` points, naming the parameter, or undefined
 * when they can. `names` gives the words to name them by (CLI flags, option names).
 */
export function selectionParamsProblem(
  params: Pick<SelectionParams, 'minClusterSize' | 'clusterSelectionEpsilon'>,
  pointCount: number,
  names: { minClusterSize: string; clusterSelectionEpsilon: string },
): { message: string; hint: string } | undefined {
  const { minClusterSize, clusterSelectionEpsilon } = params;
  if (!Number.isInteger(minClusterSize) || minClusterSize < 2 || minClusterSize > pointCount) {
    return {
      message: `${names.minClusterSize} ${String(minClusterSize)} is not a whole number from 2 to ${pointCount} (the inputs clustered)`,
      hint: `a pattern needs at least 2 inputs and cannot hold more than all ${pointCount}; try e.g. ${names.minClusterSize} ${Math.min(pointCount, 50)}`,
    };
  }
  if (
    typeof clusterSelectionEpsilon !== 'number' ||
    !(clusterSelectionEpsilon >= 0) ||
    clusterSelectionEpsilon === Infinity
  ) {
    return {
      message: `${names.clusterSelectionEpsilon} ${String(clusterSelectionEpsilon)} is not a finite distance >= 0`,
      hint: `give a distance such as ${names.clusterSelectionEpsilon} 0.5, or 0 to turn epsilon merging off`,
    };
  }
  return undefined;
}

/** The single-linkage tree from its stored merges (left, right, distance), with each merge's size filled in. */
export function linkageFromMerges(merges: {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
}): SingleLinkageTree {
  const count = merges.distance.length;
  const pointCount = count + 1;
  const size = new Int32Array(count);
  const sizeOf = (node: number): number => (node < pointCount ? 1 : size[node - pointCount]!);
  for (let k = 0; k < count; k++) {
    const left = merges.left[k]!;
    const right = merges.right[k]!;
    if (!(left >= 0 && right >= 0 && left < pointCount + k && right < pointCount + k)) {
      throw new RangeError(`merge ${k} joins nodes ${left} and ${right}; only nodes below ${pointCount + k} exist`);
    }
    size[k] = sizeOf(left) + sizeOf(right);
  }
  return { left: merges.left, right: merges.right, distance: merges.distance, size };
}
