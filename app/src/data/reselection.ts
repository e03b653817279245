/**
 * Re-selecting a layer's patterns in the page from its stored single-linkage tree (the code nap recluster
 * runs, src/compute/hdbscan/reselect.ts): another min cluster size, leaf / eom or epsilon, with no distance
 * work and no server round trip. The result is summarised as the server summarises stored patterns.
 */
import type { ClusteringSummary, PatternSummary } from '../../../src/results/api-types.js';
import { linkageFromMerges, TreeReselector, type TreeSelection } from '../../../src/compute/hdbscan/reselect.js';
import { OUTLIER_QUANTILE, quantile, summarizePatternsFirst } from '../../../src/results/pattern-summaries.js';
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
  /** The selection itself: condensed tree and selected clusters (the icicle plot). */
  selection: TreeSelection;
  /** The stored memberships' rows with the re-selected patterns, probabilities and outlier scores. */
  memberships: MembershipTable;
  patterns: PatternSummary[];
  /** Inputs in no pattern, and their summary (made when first asked for: the noise holds most inputs). */
  noiseSize: number;
  noise: () => PatternSummary;
  outlierThreshold: number;
  /** Inputs in a pattern. */
  inPattern: number;
  inputs: number;
  /** Milliseconds of the selection from the tree and of the summaries. */
  selectMs: number;
  summaryMs: number;
}

/** The selection from the tree at `granularity` (what reselect summarises; alone for the icicle plot). */
export function selectAt(
  reselector: TreeReselector,
  granularity: Granularity,
  allowSingleCluster: boolean,
): TreeSelection {
  return reselector.select({
    minClusterSize: granularity.minClusterSize,
    clusterSelectionMethod: granularity.selection,
    clusterSelectionEpsilon: granularity.epsilon,
    allowSingleCluster,
  });
}

/** The granularity `route` asks for (its missing fields as stored). */
export function routeGranularity(
  route: { minClusterSize: number | null; selectionMethod: Selection | null; epsilon: number | null },
  stored: Granularity,
): Granularity {
  return {
    minClusterSize: route.minClusterSize ?? stored.minClusterSize,
    selection: route.selectionMethod ?? stored.selection,
    epsilon: route.epsilon ?? stored.epsilon,
  };
}

/** The route fields of `granularity`: all null when it is the stored one, so the URL stays plain. */
export function granularityRoute(granularity: Granularity, stored: Granularity) {
  if (sameGranularity(granularity, stored)) return { minClusterSize: null, selectionMethod: null, epsilon: null };
  return {
    minClusterSize: granularity.minClusterSize,
    selectionMethod: granularity.selection,
    epsilon: granularity.epsilon,
  };
}

type Merges = { left: Int32Array; right: Int32Array; distance: Float64Array };

/** One reselector per loaded tree, kept while the tree is (the query cache holds it): its condensed trees outlive the view. */
const reselectors = new WeakMap<Merges, TreeReselector>();

/** The reselector of a stored tree (its merges as loaded), made once. */
export function reselectorOf(merges: Merges): TreeReselector {
  let reselector = reselectors.get(merges);
  if (!reselector) reselectors.set(merges, (reselector = new TreeReselector(linkageFromMerges(merges))));
  return reselector;
}

/** The outlier threshold of a condensed tree's scores (shared by every selection at its min cluster size). */
const thresholds = new WeakMap<Float64Array, number>();

function outlierThresholdOf(scores: Float64Array): number {
  let threshold = thresholds.get(scores);
  if (threshold === undefined) thresholds.set(scores, (threshold = quantile(scores, OUTLIER_QUANTILE)));
  return threshold;
}

/**
 * Patterns of the tree (leaves = the rows of `memberships`, by ascending input index) at `granularity`,
 * summarised with `examples` representatives each. `allowSingleCluster` is the stored clustering's.
 */
export function reselect(
  reselector: TreeReselector,
  granularity: Granularity,
  allowSingleCluster: boolean,
  memberships: MembershipTable,
  inputs: InputTable,
  examples: number,
): Reselected {
  const start = performance.now();
  const picked = selectAt(reselector, granularity, allowSingleCluster);
  const selected = performance.now();
  const table: MembershipTable = {
    ...memberships,
    patternId: picked.labels,
    probability: picked.probabilities,
    outlierScore: picked.outlierScores,
  };
  const outlierThreshold = outlierThresholdOf(picked.outlierScores);
  const summaries = summarizePatternsFirst(table, picked.persistence, inputs, examples, outlierThreshold);
  return {
    granularity,
    selection: picked,
    memberships: table,
    patterns: summaries.patterns,
    noiseSize: summaries.noiseSize,
    noise: summaries.noise,
    outlierThreshold: summaries.outlierThreshold,
    inPattern: memberships.inputIndex.length - summaries.noiseSize,
    inputs: memberships.inputIndex.length,
    selectMs: selected - start,
    summaryMs: performance.now() - selected,
  };
}

export function allowsSingleCluster(clustering: ClusteringSummary): boolean {
  return ((clustering.params ?? {}) as Record<string, unknown>).allowSingleCluster === true;
}

export function granularityKey(granularity: Granularity): string {
  return `${granularity.selection}/${granularity.minClusterSize}/${granularity.epsilon}`;
}

/** When the granularity control last asked for a granularity (by key), for the page's own redraw timing. */
let lastChange = { key: '', at: 0 };

export function markChangeTime(key: string): void {
  lastChange = { key, at: performance.now() };
}

/**
 * The control's change time for `key` if it asked for it, else now (back / forward, a loaded URL). A change
 * is taken once: going back to the same granularity later is timed from then.
 */
export function takeChangeTime(key: string): number {
  if (key === '' || lastChange.key !== key) return performance.now();
  const { at } = lastChange;
  lastChange = { key: '', at: 0 };
  return at;
}
