/**
 * ResultsReader: the one small interface between a store of results and everything that reads it. A
 * reader answers the records and tables of tables.ts; every query the app and the CLI make is computed
 * from them by createResultsApi (api.ts). Readers: the DuckDB store (node/duckdb-reader.ts, for the
 * server, the CLI and the static export) and the Arrow files of a static export (static/reader.ts, in the
 * browser).
 *
 * A reader may assume that the ids it is asked about exist (the API checks them against runs(),
 * layers() and clusterings() first) and need not cache: results are immutable while read, and the API
 * keeps what it read. A new kind of result is a new table here, its Arrow schema in codec/arrow.ts and
 * its queries in the API.
 */
import type {
  ClusteringRecord,
  CondensedTreeTable,
  FeatureImagesTable,
  FlowCellsTable,
  HeatmapIndexTable,
  InputsTable,
  LayerRecord,
  LinkageTable,
  MaxActivationsTable,
  MembershipsTable,
  PatternsTable,
  ProjectionRecord,
  ProjectionTable,
  RunRecord,
  SavedTriage,
  SoftMembershipsTable,
  UnitStatsTable,
} from './tables.js';

export interface SourceInfo {
  /** File name (not the full path) of the store the results come from. */
  store: string;
  /** Changes whenever the store file changes; `?v=` of immutable URLs. */
  storeVersion: string;
  schemaVersion: number;
}

export interface ResultsReader {
  source(): Promise<SourceInfo>;
  /** Every run, oldest first. */
  runs(): Promise<RunRecord[]>;
  /** The run's layers in model order. */
  layers(runId: number): Promise<LayerRecord[]>;
  /** The run's clusterings, oldest first. */
  clusterings(runId: number): Promise<ClusteringRecord[]>;
  /** The run's stored projections (without points) in model layer order. */
  projections(runId: number): Promise<ProjectionRecord[]>;
  inputs(runId: number): Promise<InputsTable>;
  patterns(clusteringId: number): Promise<PatternsTable>;
  memberships(clusteringId: number): Promise<MembershipsTable>;
  condensedTree(clusteringId: number): Promise<CondensedTreeTable>;
  /** The clustering's single-linkage tree; null for a clustering of an older nap, which stored none. */
  linkage(clusteringId: number): Promise<LinkageTable | null>;
  /** The inputs' strongest soft memberships; null for a clustering of an older nap, which stored none. */
  softMemberships(clusteringId: number): Promise<SoftMembershipsTable | null>;
  /** A layer's unit statistics over all its inputs (patternId -1). */
  layerStats(runId: number, layer: string): Promise<UnitStatsTable>;
  /** The unit statistics of every pattern of a clustering. */
  patternStats(clusteringId: number): Promise<UnitStatsTable>;
  maxActivations(runId: number, layer: string): Promise<MaxActivationsTable>;
  /** The layer's map; null when none is stored. */
  projection(runId: number, layer: string): Promise<ProjectionTable | null>;
  /** The stored flow from clustering A (rows) to clustering B, whichever way it was stored; null when not stored. */
  flow(clusteringA: number, clusteringB: number): Promise<FlowCellsTable | null>;
  /** The heatmaps stored for the clustering's patterns. */
  heatmapIndex(clusteringId: number): Promise<HeatmapIndexTable>;
  /** The layer's stored feature visualizations (`nap visualize`); an empty table when none is stored. */
  featureImages(runId: number, layer: string): Promise<FeatureImagesTable>;
  /** The run's saved triage scores (`nap triage --save`); null when none was saved. */
  triage(runId: number): Promise<SavedTriage | null>;
}
