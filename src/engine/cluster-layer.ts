import { availableParallelism } from 'node:os';
import { hdbscan, type HdbscanOptions, type SingleLinkageTree, type TreeSelection } from '../compute/hdbscan/index.js';
import type { ResolvedHdbscanParams } from '../compute/hdbscan/options.js';
import type { Metric } from '../compute/hdbscan/types.js';
import { buildSoftTree, strongestMemberships, type StrongestMemberships } from '../compute/hdbscan/soft/index.js';
import type { Matrix } from '../compute/matrix.js';
import { columnStatistics, rowsByGroup, type UnitStatistics } from '../compute/statistics.js';
import type {
  ClusteringToSave,
  ClusteringWriter,
  ClusterSpaceColumns,
  StoreReader,
  UnitStatsColumns,
  UnitStatsToSave,
} from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import { clusteringCoverage, type Coverage } from './coverage.js';
import { spanningTreeOf } from './summary.js';
import { onnxDotKernels } from '../io/onnx/dot-kernel.js';

/** Soft memberships kept per input: its strongest patterns, strongest first. */
export const SOFT_MEMBERSHIP_WIDTH = 3;

/** One layer clustering as it is stored: the selection, its tree and what it was made with. */
export interface LayerClusteringResult {
  selection: TreeSelection;
  linkageTree: SingleLinkageTree;
  /** Min samples of the tree's core distances. */
  minSamples: number;
  metric: Metric;
  /** Stored as the clustering's params (JSON). */
  params: unknown;
}

export interface LayerSummary {
  layer: string;
  clusteringId: number;
  inputs: number;
  patterns: number;
  noise: number;
  /** The spanning tree the clustering was made from ('auto' takes the approximate one from 50,000 rows). */
  spanningTree: 'exact' | 'approximate';
  /** Inputs in a pattern, and with near members (see coverage.ts). */
  coverage: Coverage;
}

/** Clusters one layer's rows (in its cluster space) with HDBSCAN*; `params` is what the store records. */
export async function clusterRows(
  rows: Matrix,
  options: Omit<HdbscanOptions, 'mst'>,
  params: (resolved: ResolvedHdbscanParams) => unknown,
  control: TaskControl,
): Promise<LayerClusteringResult> {
  const fit = await hdbscan(rows, { ...options, kernels: onnxDotKernels }, control);
  return {
    selection: fit,
    linkageTree: fit.singleLinkageTree,
    minSamples: fit.params.minSamples,
    metric: fit.params.metric,
    params: params(fit.params),
  };
}

/**
 * ONNX Runtime threads of the soft memberships' exemplar-distance GEMM, as many as the spanning tree's
 * tile products use by default: the GEMM is most of a re-selection's clustering work at large N.
 */
const SOFT_MEMBERSHIP_THREADS = Math.min(2, availableParallelism());

/** Each row's strongest soft memberships in a clustering of `rows` (the rows it was clustered in). */
export function softMembershipsOf(
  rows: Matrix,
  selection: TreeSelection,
  metric: Metric,
  control: TaskControl,
): Promise<StrongestMemberships> {
  const soft = buildSoftTree(selection.condensedTree, selection.labels, selection.clusterCount);
  const options = { width: SOFT_MEMBERSHIP_WIDTH, metric, threads: SOFT_MEMBERSHIP_THREADS, kernels: onnxDotKernels };
  return strongestMemberships(rows, soft, options, control);
}

/** Milliseconds of the steps of storeLayerClustering. */
export interface StoreStepTimings {
  softMemberships: number;
  statistics: number;
  store: number;
}

/** What is stored beside a layer clustering, computed from its rows before the store sees it. */
export interface ClusteringDetails {
  soft: StrongestMemberships;
  /**
   * Each pattern's statistics per column of its rows: per unit of a layer clustering, per spatial position
   * of a unit clustering (the `unit` column then holds the position); null without patterns.
   */
  statistics: UnitStatsToSave | null;
}

/** A layer clustering ready to store; a queue worker computes it and hands it back through a file. */
export interface ComputedClustering extends ClusteringDetails {
  clustering: LayerClusteringResult;
}

/** A layer clustering computed by another process (a queue worker), in the layer's cluster space. */
export interface ComputedLayerClustering extends ComputedClustering {
  /** The PCA or UMAP rows it was clustered in, stored as a single-process run stores them; none for raw. */
  space?: ClusterSpaceColumns;
}

/**
 * Soft memberships (graded in `space`, the rows the clustering was made in) and each pattern's unit
 * statistics (over `activations`, the layer's normalized rows) of a clustering.
 */
export async function clusteringDetails(
  rows: { activations: Matrix; space: Matrix },
  selection: TreeSelection,
  metric: Metric,
  control: TaskControl,
  timings?: Omit<StoreStepTimings, 'store'>,
): Promise<ClusteringDetails> {
  const start = performance.now();
  const soft = await softMembershipsOf(rows.space, selection, metric, control);
  const softDone = performance.now();
  // A unit clustering's rows are one unit's spatial maps: its patterns get statistics per position.
  const statistics = selection.clusterCount > 0 ? patternStatisticsColumns(rows.activations, selection) : null;
  if (timings) Object.assign(timings, { softMemberships: softDone - start, statistics: performance.now() - softDone });
  return { soft, statistics };
}

/**
 * Stores a layer clustering with its linkage tree, soft memberships and each pattern's unit statistics
 * (see clusteringDetails). `timings`, when given, receives each step's milliseconds.
 */
export async function storeLayerClustering(
  store: StoreReader & ClusteringWriter,
  target: { runId: number; layer: string; unit: number | null },
  rows: { activations: Matrix; space: Matrix; inputIndex: Int32Array },
  clustering: LayerClusteringResult,
  control: TaskControl,
  timings?: StoreStepTimings,
): Promise<LayerSummary> {
  const details = await clusteringDetails(rows, clustering.selection, clustering.metric, control, timings);
  const start = performance.now();
  const summary = await saveLayerClustering(store, target, rows.inputIndex, { clustering, ...details });
  if (timings) timings.store = performance.now() - start;
  return summary;
}

/**
 * Stores a computed layer clustering in one transaction: the clustering, its tree, soft memberships and
 * pattern statistics, and the average images and flows in `extras` when given.
 */
export async function saveLayerClustering(
  store: StoreReader & ClusteringWriter,
  target: { runId: number; layer: string; unit: number | null },
  inputIndex: Int32Array,
  computed: ComputedClustering,
  extras: Pick<ClusteringToSave, 'averageImages' | 'flows'> = {},
): Promise<LayerSummary> {
  const { clustering, soft, statistics } = computed;
  const { selection } = clustering;
  const clusteringId = await store.saveClustering(target.runId, target.layer, {
    unit: target.unit,
    params: clustering.params,
    inputIndex,
    labels: selection.labels,
    probabilities: selection.probabilities,
    outlierScores: selection.outlierScores,
    persistence: selection.persistence,
    condensedTree: selection.condensedTree,
    linkageTree: {
      minSamples: clustering.minSamples,
      left: clustering.linkageTree.left,
      right: clustering.linkageTree.right,
      distance: clustering.linkageTree.distance,
    },
    softMemberships: { width: soft.width, patternId: soft.labels, strength: soft.strengths },
    ...(statistics ? { unitStats: statistics } : {}),
    ...extras,
  });
  const noise = selection.labels.reduce((n, label) => n + (label < 0 ? 1 : 0), 0);
  return {
    layer: target.layer,
    clusteringId,
    inputs: inputIndex.length,
    patterns: selection.clusterCount,
    noise,
    spanningTree: spanningTreeOf(clustering.params),
    coverage: await clusteringCoverage(store, clusteringId),
  };
}

/** Statistics of every unit over all rows of the layer. */
export function layerStatisticsColumns(activations: Matrix): UnitStatsColumns {
  const stats = columnStatistics(activations);
  return { unit: Int32Array.from({ length: stats.min.length }, (_, u) => u), ...stats };
}

/** Statistics of every unit over each pattern's members, one block of units per pattern. */
function patternStatisticsColumns(activations: Matrix, selection: TreeSelection): UnitStatsToSave {
  const { dim } = activations;
  const patternCount = selection.clusterCount;
  const perPattern: UnitStatistics[] = rowsByGroup(selection.labels, patternCount).map((members) =>
    columnStatistics(activations, members),
  );
  return unitStatsOfPatterns(perPattern, dim);
}

/** Each pattern's unit statistics (one UnitStatistics per pattern, `dim` units each) as the store's columns. */
export function unitStatsOfPatterns(perPattern: readonly UnitStatistics[], dim: number): UnitStatsToSave {
  const patternCount = perPattern.length;
  const unit = new Int32Array(patternCount * dim);
  const patternId = new Int32Array(patternCount * dim);
  const columns = {
    min: new Float64Array(patternCount * dim),
    max: new Float64Array(patternCount * dim),
    mean: new Float64Array(patternCount * dim),
    q1: new Float64Array(patternCount * dim),
    q3: new Float64Array(patternCount * dim),
    iqr: new Float64Array(patternCount * dim),
    lower: new Float64Array(patternCount * dim),
    upper: new Float64Array(patternCount * dim),
  };
  perPattern.forEach((stats, p) => {
    for (let u = 0; u < dim; u++) {
      unit[p * dim + u] = u;
      patternId[p * dim + u] = p;
    }
    for (const key of Object.keys(columns) as (keyof typeof columns)[]) columns[key].set(stats[key], p * dim);
  });
  return { unit, patternId, ...columns };
}
