/**
 * The store's public shapes. Bulk data travels as columns: one typed array (or string array) per
 * column, all of the same length, never as arrays of row objects.
 */
import type { FlowCells } from './flow.js';
import type { LinkageTreeColumns, SoftMembershipsToSave } from './hierarchy.js';
import type { Matrix } from '../../compute/matrix.js';

/** A column of real numbers; stored as DOUBLE. */
export type NumberColumn = Float32Array | Float64Array;

/** A column of optional strings; null is SQL NULL. */
export type TextColumn = readonly (string | null)[];

/** The status a run has in the file. */
export type StoredRunStatus = 'running' | 'complete' | 'failed';

export const RUN_STATUSES: readonly StoredRunStatus[] = ['running', 'complete', 'failed'];

/**
 * The status a reader sees: a run stored as 'running' that this store is not writing is 'interrupted'. No
 * other process can be writing it: a process that writes a store holds DuckDB's exclusive lock on the
 * file, so none can open it meanwhile, and one NapStore per file is open in a process. Its process ended
 * (killed, crashed, out of memory, a full disk) before it could record the outcome.
 */
export type RunStatus = StoredRunStatus | 'interrupted';

/** What `createRun` records about an analysis before it starts. */
export interface NewRun {
  name: string;
  modelPath: string;
  modelSha256: string;
  /** How the model lays out convolution outputs, e.g. 'channels-first'. */
  modelLayout: string;
  /** The dataset as the user named it (a path, 'mnist:test', ...). */
  datasetSpec: string;
  datasetFingerprint: string;
  /** Hash of the configuration parts that determine the activations; reuse matches on it. */
  extractionConfigHash: string;
  /** The full configuration; stored as JSON. */
  config: unknown;
  /** Names of the model's output classes, or null when unknown. */
  predictionLabels: string[] | null;
}

export interface RunRecord extends NewRun {
  runId: number;
  createdAt: Date;
  status: RunStatus;
}

/** One batch of dataset inputs. `prediction` is -1 and `probability` NaN where the model does not classify. */
export interface InputColumns {
  index: Int32Array;
  path: TextColumn;
  label: TextColumn;
  prediction: Int32Array;
  predictionLabel: TextColumn;
  probability: NumberColumn;
}

/** Inputs as read back: probabilities widen to Float64Array. */
export interface StoredInputs extends InputColumns {
  probability: Float64Array;
}

export interface LayerInfo {
  layer: string;
  /** Position of the layer in the model, for display order. */
  order: number;
  opType: string;
  /** The layer output's dimensions per input, before aggregation. */
  rawDims: number[];
  aggregation: string;
  /** Length of each stored activation vector (after aggregation). */
  dim: number;
}

export interface StoredActivations {
  /** Rows ordered by input index. */
  matrix: Matrix;
  /** The input index of each row. */
  inputIndex: Int32Array;
}

/** Condensed HDBSCAN* tree, one row per (parent, child) edge. */
export interface CondensedTreeColumns {
  parent: Int32Array;
  child: Int32Array;
  lambda: NumberColumn;
  childSize: Int32Array;
}

/** One HDBSCAN* result, as `saveClustering` takes it. Row i of the per-input columns is input `inputIndex[i]`. */
export interface ClusteringToSave {
  /** null: patterns of the whole layer; c: patterns of unit c's spatial map. */
  unit: number | null;
  /** The clustering parameters; stored as JSON. */
  params: unknown;
  /** Input of each row; defaults to the run's input indices in ascending order (the order `readActivations` returns). */
  inputIndex?: Int32Array;
  /** Pattern of each row, -1 for noise; patterns are 0..persistence.length-1. */
  labels: Int32Array;
  probabilities: NumberColumn;
  outlierScores: NumberColumn;
  /** Persistence of each pattern, indexed by pattern id. */
  persistence: NumberColumn;
  condensedTree: CondensedTreeColumns;
  /** The single-linkage tree the patterns were selected from (see hierarchy.ts); omitted: none kept. */
  linkageTree?: LinkageTreeColumns;
  /** Each row's strongest soft memberships (see hierarchy.ts); omitted: none kept. */
  softMemberships?: SoftMembershipsToSave;
  /** The patterns' unit statistics (their patternId columns name this clustering's patterns); omitted: none. */
  unitStats?: UnitStatsToSave;
  /** The patterns' average images; omitted: none. */
  averageImages?: AverageImages;
  /** Flows between this clustering and others of its run (whose ids exist already); omitted: none. */
  flows?: FlowToPartner[];
}

/**
 * The flow between a clustering being saved (whose id does not exist yet) and `partner`, another clustering
 * of its run: `newIs` says whether the new clustering is side A or B of the cells.
 */
export interface FlowToPartner extends FlowCells {
  partner: number;
  newIs: 'A' | 'B';
}

/** The parts saveClustering writes, in order, all in one transaction. */
export type ClusteringPart = 'clustering' | 'hierarchy' | 'statistics' | 'average images' | 'flows';

export interface ClusteringRecord {
  clusteringId: number;
  runId: number;
  layer: string;
  unit: number | null;
  params: unknown;
  patternCount: number;
  noiseCount: number;
  createdAt: Date;
}

export interface PatternColumns {
  patternId: Int32Array;
  size: Int32Array;
  persistence: Float64Array;
}

export interface MembershipColumns {
  inputIndex: Int32Array;
  patternId: Int32Array;
  probability: Float64Array;
  outlierScore: Float64Array;
}

export type MemberOrder = 'most-stable' | 'least-stable' | 'input';

export interface MemberPageOptions {
  /** Rows to skip; default 0. */
  offset?: number;
  /** Rows to return; default 100. */
  limit?: number;
  /** 'most-stable' (default): probability descending; 'least-stable': ascending; 'input': by input index. */
  order?: MemberOrder;
}

/** One page of a pattern's members, joined with their inputs. */
export interface MemberPage extends StoredInputs {
  /** Members of the pattern in all pages. */
  total: number;
  membershipProbability: Float64Array;
  outlierScore: Float64Array;
}

/** Members of each (pattern, label) pair; labels are input labels or predicted labels. */
export interface PatternLabelCounts {
  patternId: Int32Array;
  label: TextColumn;
  count: Int32Array;
}

/** The patterns that given inputs belong to, across every clustering of a run. */
export interface InputMemberships {
  clusteringId: Int32Array;
  inputIndex: Int32Array;
  patternId: Int32Array;
  probability: Float64Array;
}

/** Box-plot statistics per unit (and per pattern, for pattern-wide statistics). */
export interface UnitStatsColumns {
  unit: Int32Array;
  min: NumberColumn;
  max: NumberColumn;
  mean: NumberColumn;
  q1: NumberColumn;
  q3: NumberColumn;
  iqr: NumberColumn;
  lower: NumberColumn;
  upper: NumberColumn;
}

/** Whose statistics: a whole layer, or the patterns of one clustering. */
export type StatsScope = { runId: number; layer: string } | { clusteringId: number };

/** Statistics to save; `patternId` gives each row's pattern and is required exactly for a clustering scope. */
export interface UnitStatsToSave extends UnitStatsColumns {
  patternId?: Int32Array;
}

/** Statistics as read back, ordered by pattern then unit; `patternId` is null for a layer scope. */
export interface StoredUnitStats extends UnitStatsColumns {
  patternId: Int32Array | null;
  min: Float64Array;
  max: Float64Array;
  mean: Float64Array;
  q1: Float64Array;
  q3: Float64Array;
  iqr: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
}

/** The top inputs per unit; unit -1 ranks the whole layer. Rank 0 is the strongest. */
export interface MaxActivationColumns {
  unit: Int32Array;
  rank: Int32Array;
  inputIndex: Int32Array;
  value: NumberColumn;
}

export interface StoredMaxActivations extends MaxActivationColumns {
  value: Float64Array;
}

/**
 * Average images of patterns, all of one size: `pixels` holds patternId.length images back to back,
 * each height x width x channels 8-bit values, row-major with interleaved channels.
 */
export interface AverageImages {
  patternId: Int32Array;
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}
