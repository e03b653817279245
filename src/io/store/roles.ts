/**
 * The store seen through narrow interfaces: each stage of an analysis gets the writer of what it makes, and
 * everything that only reads results (the server, the static export, summaries, triage) gets the reader,
 * so the type checker shows what a part of nap may change. NapStore implements all of them.
 */
import type { NapStore } from './index.js';

/** Every read of a store's results; nothing that writes. */
export type StoreReader = Pick<
  NapStore,
  | 'path'
  | 'getRun'
  | 'listRuns'
  | 'readInputs'
  | 'listLayers'
  | 'readActivations'
  | 'getClustering'
  | 'listClusterings'
  | 'readPatterns'
  | 'readMemberships'
  | 'readPatternMembers'
  | 'readPatternLabelCounts'
  | 'readMembershipsOfInputs'
  | 'readCondensedTree'
  | 'readLinkageTree'
  | 'readSoftMemberships'
  | 'readCoverage'
  | 'readNoisePage'
  | 'readNoiseSummary'
  | 'readClusterSpace'
  | 'readUnitStats'
  | 'readMaxActivations'
  | 'readAverageImages'
  | 'listFlows'
  | 'readFlow'
  | 'readLayerDivisors'
  | 'readHeatmapIndex'
  | 'readPatternHeatmaps'
  | 'listProjections'
  | 'readProjection'
  | 'readInputDetails'
  | 'readShiftedProbabilities'
  | 'readFeatureVisualizations'
  | 'readTriage'
  | 'readLayerLayouts'
  | 'readInputContents'
  | 'readInputContentKinds'
>;

/** Extraction: committed batches of inputs and activations (with their contents), each layer made final, the layers' layouts. */
export type ExtractionWriter = Pick<
  NapStore,
  | 'appendStagedBatch'
  | 'stagedBatches'
  | 'readStagedLayer'
  | 'finalizeLayer'
  | 'clearStagedBatches'
  | 'appendInputs'
  | 'appendLayer'
  | 'saveLayerDivisors'
  | 'saveMaxActivations'
  | 'saveUnitStats'
  | 'saveLayerLayouts'
  | 'saveInputContents'
>;

/**
 * Clustering: a layer's (or unit's) patterns, their single-linkage tree and soft memberships, the rows of its
 * cluster space, their statistics and average images.
 */
export type ClusteringWriter = Pick<
  NapStore,
  'saveClustering' | 'saveClusteringHierarchy' | 'saveClusterSpace' | 'saveUnitStats' | 'saveAverageImages'
>;

/** Class probabilities over test-time shifts of the inputs. */
export type ShiftedProbabilityWriter = Pick<
  NapStore,
  'appendShiftedProbabilities' | 'clearShiftedProbabilities' | 'readShiftedProbabilities'
>;

/** Concept flow between a run's clusterings. */
export type FlowWriter = Pick<NapStore, 'saveFlow'>;

/** 2-D maps of layers. */
export type ProjectionWriter = Pick<NapStore, 'saveProjection'>;

/** Mean activation heatmaps of patterns. */
export type HeatmapWriter = Pick<NapStore, 'savePatternHeatmaps'>;

/** Saved triage scores. */
export type TriageWriter = Pick<NapStore, 'saveTriage'>;

/** Feature visualizations. */
export type FeatureVisualizationWriter = Pick<NapStore, 'saveFeatureVisualizations'>;
