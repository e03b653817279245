/**
 * Re-selecting a layer's patterns in the page from its stored single-linkage tree (the code nap recluster
 * runs, src/compute/hdbscan/reselect.ts): another min cluster size, leaf / eom or epsilon, with no distance
 * work and no server round trip. The result is summarised as the server summarises stored patterns.
 */
import type { ClusteringSummary, PatternSummary } from '../../../src/results/api-types.js';
import { linkageFromMerges, selectFromLinkage } from '../../../src/compute/hdbscan/reselect.js';
import type { SingleLinkageTree } from '../../../src/compute/hdbscan/types.js';
import { summarizePatterns } from '../../../src/results/pattern-summaries.js';
import type { InputTable, MembershipTable } from './tables.js';

export type Selection = 'leaf' | 'eom';

export interface Granularity {
  minClusterSize: number;
  selection: Selection;
  epsilon: number;
}

/** The granularity a stored clustering was selected with (nap's defaults where its params lack a field). */
export function storedGranularity(clustering: ClusteringSummary): Granularity {
  const params = (clustering.params ?? {}) as Record<string, unknown>;
  const minClusterSize = typeof params.minClusterSize === 'number' ? params.minClusterSize : 5;
  return {
    minClusterSize,
    selection: params.clusterSelectionMethod === 'eom' ? 'eom' : 'leaf',
    epsilon: typeof params.clusterSelectionEpsilon === 'number' ? params.clusterSelectionEpsilon : 0,
  };
}

export function sameGranularity(a: Granularity, b: Granularity): boolean {
  return a.minClusterSize === b.minClusterSize && a.selection === b.selection && a.epsilon === b.epsilon;
}

export interface Reselected {
  granularity: Granularity;
  /** The stored memberships' rows with the re-selected patterns, probabilities and outlier scores. */
  memberships: MembershipTable;
  patterns: PatternSummary[];
  noise: PatternSummary;
  outlierThreshold: number;
  /** Inputs in a pattern. */
  inPattern: number;
  inputs: number;
  /** Milliseconds of the selection from the tree and of the summaries. */
  selectMs: number;
  summaryMs: number;
}

export function treeOf(merges: { left: Int32Array; right: Int32Array; distance: Float64Array }): SingleLinkageTree {
  return linkageFromMerges(merges);
}

/**
 * Patterns of `tree` (leaves = the rows of `memberships`, by ascending input index) at `granularity`,
 * summarised with `examples` representatives each. `allowSingleCluster` is the stored clustering's.
 */
export function reselect(
  tree: SingleLinkageTree,
  granularity: Granularity,
  allowSingleCluster: boolean,
  memberships: MembershipTable,
  inputs: InputTable,
  examples: number,
): Reselected {
  const start = performance.now();
  const picked = selectFromLinkage(tree, {
    minClusterSize: granularity.minClusterSize,
    clusterSelectionMethod: granularity.selection,
    clusterSelectionEpsilon: granularity.epsilon,
    allowSingleCluster,
  });
  const selected = performance.now();
  const table: MembershipTable = {
    ...memberships,
    patternId: picked.labels,
    probability: picked.probabilities,
    outlierScore: picked.outlierScores,
  };
  const summaries = summarizePatterns(table, picked.persistence, inputs, examples);
  const noise = summaries.noise.size;
  return {
    granularity,
    memberships: table,
    patterns: summaries.patterns,
    noise: summaries.noise,
    outlierThreshold: summaries.outlierThreshold,
    inPattern: memberships.inputIndex.length - noise,
    inputs: memberships.inputIndex.length,
    selectMs: selected - start,
    summaryMs: performance.now() - selected,
  };
}

export function allowsSingleCluster(clustering: ClusteringSummary): boolean {
  return ((clustering.params ?? {}) as Record<string, unknown>).allowSingleCluster === true;
}
