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
import { buildClusterTree, type ClusterTree } from './cluster-tree.js';
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

/**
 * What a tree gives at one min cluster size, whatever the selection: the condensed tree, its clusters,
 * their stability (before selection) and every point's GLOSH score.
 */
export interface CondensedAtSize {
  minClusterSize: number;
  condensedTree: CondensedTree;
  clusters: ClusterTree;
  stability: Float64Array;
  outlierScores: Float64Array;
}

/** Condenses `linkage` at `minClusterSize` (the part of a selection that does not depend on leaf / eom or epsilon). */
export function condenseAtSize(linkage: SingleLinkageTree, minClusterSize: number): CondensedAtSize {
  const condensedTree = condenseTree(linkage, minClusterSize);
  const clusters = buildClusterTree(condensedTree);
  return {
    minClusterSize,
    condensedTree,
    clusters,
    stability: computeStability(condensedTree, clusters),
    outlierScores: outlierScores(condensedTree, clusters),
  };
}

/** Selects patterns from a condensed tree with `params` (whose min cluster size is the condensed tree's). */
export function selectFromCondensed(condensed: CondensedAtSize, params: SelectionParams): TreeSelection {
  const { condensedTree, clusters } = condensed;
  // eom rewrites the stability of the clusters it rejects: a copy keeps the condensed tree's for the next selection.
  const stability = condensed.stability.slice();
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
    outlierScores: condensed.outlierScores,
    persistence: clusterPersistence(condensedTree, clusters, selected, labels, stability),
    clusterCount: selected.length,
    condensedTree,
    selectedClusters: selected,
  };
}

/** Selects patterns from `linkage` (N-1 merges of N points) with `params`; see the module comment. */
export function selectFromLinkage(linkage: SingleLinkageTree, params: SelectionParams): TreeSelection {
  return selectFromCondensed(condenseAtSize(linkage, params.minClusterSize), params);
}

/**
 * Selections from one tree for a person moving through its granularities: the condensed trees of the
 * last few min cluster sizes are kept, so that a change of leaf / eom or epsilon, or a return to a size
 * seen before, skips the condensing. Its selections share their condensed tree and outlier scores: read
 * them, do not write them.
 */
export class TreeReselector {
  private readonly recent: CondensedAtSize[] = [];

  constructor(
    readonly linkage: SingleLinkageTree,
    private readonly keep = 8,
  ) {}

  /** The tree condensed at `minClusterSize`, from the kept ones when it is there. */
  condensed(minClusterSize: number): CondensedAtSize {
    const at = this.recent.findIndex((entry) => entry.minClusterSize === minClusterSize);
    const entry = at >= 0 ? this.recent.splice(at, 1)[0]! : condenseAtSize(this.linkage, minClusterSize);
    this.recent.unshift(entry);
    if (this.recent.length > this.keep) this.recent.pop();
    return entry;
  }

  select(params: SelectionParams): TreeSelection {
    return selectFromCondensed(this.condensed(params.minClusterSize), params);
  }
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
