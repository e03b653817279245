/**
 * nap as a library: the same operations as the CLI, typed, with progress callbacks and cancellation
 * (every long-running call takes a TaskControl { onProgress, signal }).
 */
export { analyze, type AnalyzeResult, type LayerSummary } from './engine/analyze.js';
export type { AnalyzeOptions } from './engine/config.js';
export { summarizeRun, formatRunSummary, type LayerPatternSummary, type PatternSummary } from './engine/summary.js';
export { hdbscan, umap, allPointsMembershipVectors, createPredictor, strongestMemberships } from './onnx-compute.js';
export {
  referenceMst,
  linkageFromMerges,
  selectFromLinkage,
  selectionParamsProblem,
  type HdbscanOptions,
  type HdbscanResult,
  type Metric,
  type SelectionParams,
  type SingleLinkageTree,
  type TreeSelection,
  type DotKernel,
  type DotKernels,
  javaScriptDotKernels,
} from './compute/hdbscan/index.js';
export { onnxDotKernels } from './io/onnx/dot-kernel.js';
export {
  approximatePredict,
  buildSoftTree,
  membershipVectors,
  type ApproximatePrediction,
  type ClusteringPredictor,
  type SoftTree,
  type StrongestMemberships,
} from './compute/hdbscan/soft/index.js';
export { recluster, type ReclusterOptions, type ReclusterResult } from './engine/recluster.js';
export { assignToClustering, loadPredictor, assignRows, type AssignOptions, type Assignment } from './engine/assign.js';
export {
  clusteringCoverage,
  coverageRoutes,
  reselections,
  NEAR_MEMBER_STRENGTHS,
  type Coverage,
  type CoverageRoute,
  type Reselection,
} from './engine/coverage.js';
export { parseClusterSpace, type ClusterSpace } from './engine/cluster-space.js';
export { adjustedRandIndex } from './compute/partition-metrics.js';
export {
  aggregateInto,
  aggregatedDim,
  layerGeometry,
  AGGREGATIONS,
  type Aggregation,
  type LayerGeometry,
} from './compute/aggregate.js';
export { columnStatistics, type UnitStatistics } from './compute/statistics.js';
export { makeMatrix, type Matrix } from './compute/matrix.js';
export { listLayers, type LayerInfo } from './io/onnx/inspect.js';
export { openOnnxModel, type ModelRunner, type LayerTensor } from './io/onnx/runner.js';
export { openDataset, sampleIndices, type Dataset, type DatasetItem, type Preprocessing } from './io/datasets/index.js';
export { NapStore } from './io/store/index.js';
export { NapError, InputError, NotFoundError, CancelledError } from './errors.js';
export type { Progress, ProgressCallback, TaskControl } from './progress.js';
export { convertTfjsModelFile } from './io/tfjs/index.js';
export { storeRunFlows } from './engine/flow.js';
export {
  createResultsApi,
  type ResultsApi,
  type ResultsService,
  type QueryName,
  type QueryParams,
  type QueryResult,
} from './results/api.js';
export type { ResultsReader, SourceInfo } from './results/reader.js';
export type * from './results/tables.js';
export { storeReader } from './results/node/duckdb-reader.js';
export { FlowQueries, type LayerFlow, type PatternLineage } from './results/flow.js';
export {
  compareRuns,
  type CompareOptions,
  type RunComparison,
  type LayerComparison,
  type RunRef,
} from './results/compare.js';
export { computePatternHeatmaps, type HeatmapOptions, type HeatmapsResult } from './engine/heatmaps.js';
export { exportStaticSite, type StaticExportOptions, type StaticExportResult } from './engine/export-static.js';
export {
  projectLayer,
  storeRunProjections,
  type LayerProjection,
  type RunProjectionsOptions,
} from './engine/project-layer.js';
export type { ProjectionOptions } from './engine/projection-options.js';
export { pca, type UmapOptions, type PcaOptions } from './compute/projection/index.js';
export { NotesFile, notesPathOf } from './results/node/notes-file.js';
export {
  type NotesDocument,
  type NotesChange,
  type DecisionNote,
  type TagNote,
  type SavedView,
} from './results/notes.js';
export { relabellingCsv } from './results/relabel-csv.js';
