/**
 * What a results reader serves: the records of a store (runs, layers, clusterings, projections) and its
 * tables as typed columns, one typed array (or string array) per column, all of one length; row i is the
 * i-th entry of each. The same shapes travel as Arrow record batches (codec/arrow.ts) between the server,
 * the static files of an export and the browser.
 */

import type {
  ClusteringRecord as StoredClustering,
  CondensedTreeColumns,
  LayerInfo,
  MembershipColumns,
  PatternColumns,
  RunStatus,
  StoredMaxActivations,
  StoredUnitStats,
  TextColumn,
} from '../io/store/types.js';

export type { RunStatus, TextColumn };

/** How inputs were prepared for the model, as analyze stored it. */
export interface StoredPreprocessing {
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * The analysis configuration a run stored. The fields the read side relies on are typed and checked when
 * read (runConfigOf); the rest is kept as stored for display. Runs of older versions may lack any field.
 */
export interface RunConfig {
  readonly [key: string]: unknown;
  /** The model's input size and channels; absent in runs written before it was stored. */
  preprocessing?: StoredPreprocessing;
  /** The Fashion-MNIST file set the inputs came from. */
  split?: 'train' | 'test' | 'all';
}

export interface RunRecord {
  runId: number;
  name: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  status: RunStatus;
  modelPath: string;
  modelSha256: string;
  /** How the model lays out convolution outputs, e.g. 'channels-first'. */
  modelLayout: string;
  /** The dataset as the user named it (a path, 'mnist', ...). */
  datasetSpec: string;
  /** Identifies the dataset's content (files, labels, split). */
  datasetFingerprint: string;
  config: RunConfig;
  /** Names of the model's output classes in class order, or null when unknown. */
  predictionLabels: string[] | null;
  /** What a gallery draws for each input (input-content.ts); absent in exports of an older nap. */
  inputPictures?: InputPictureKind;
}

/**
 * What a gallery draws for the run's inputs: 'dataset' its images (a run of images), 'series' its numbers
 * (a sparkline over a heat strip), 'images' the image the dataset names for each row (--image-column);
 * 'text' nothing: its texts show as text (and a pattern's words stand for its average image); 'none'
 * nothing: each input shows its name (activations computed elsewhere, rows too long to store).
 */
export type InputPictureKind = 'dataset' | 'series' | 'images' | 'text' | 'none';

/** A layer: position in the model, op type, raw dims per input, aggregation, units. */
export type LayerRecord = LayerInfo;

/** One HDBSCAN* clustering of a layer (unit null) or of one unit's spatial map; params as stored. */
export interface ClusteringRecord extends Omit<StoredClustering, 'createdAt'> {
  /** ISO 8601, UTC. */
  createdAt: string;
}

export type ProjectionMethod = 'umap' | 'pca';

/** A stored 2-D map of a layer, without its points. */
export interface ProjectionRecord {
  layer: string;
  method: ProjectionMethod;
  /** The parameters it was made with, as stored. */
  params: unknown;
  pointCount: number;
}

/** A run's inputs by ascending input index. `prediction` is -1 and `probability` NaN where the model does not classify. */
export interface InputsTable {
  inputIndex: Int32Array;
  path: TextColumn;
  label: TextColumn;
  prediction: Int32Array;
  predictionLabel: TextColumn;
  probability: Float64Array;
  /** What a gallery shows for an input that is not an image (input-content.ts); null for an image input. */
  content: TextColumn;
}

/** A clustering's memberships by ascending input index; patternId -1 is noise. */
export type MembershipsTable = MembershipColumns;

/** A clustering's patterns by pattern id. */
export type PatternsTable = PatternColumns;

/** The condensed HDBSCAN* tree, one row per edge, by parent then child. */
export interface CondensedTreeTable extends CondensedTreeColumns {
  /** Infinity where a child leaves at infinite density. */
  lambda: Float64Array;
}

/**
 * A clustering's single-linkage tree (the mutual-reachability spanning tree as merges): merge k joins nodes
 * left[k] and right[k] at distance[k] into node N + k. Patterns are re-selected from it without distance work.
 */
export interface LinkageTable {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
}

/** Each input's strongest soft memberships (a few per input), by ascending input then rank (0 strongest). */
export interface SoftMembershipsTable {
  inputIndex: Int32Array;
  rank: Int32Array;
  patternId: Int32Array;
  strength: Float32Array;
}

/** Box-plot statistics per unit, by pattern then unit; patternId -1 for a layer's statistics over all inputs. */
export interface UnitStatsTable extends Omit<StoredUnitStats, 'patternId'> {
  patternId: Int32Array;
}

/** The top inputs per unit (unit -1: the whole layer), by unit then rank (0 strongest). */
export type MaxActivationsTable = StoredMaxActivations;

/** A layer's 2-D map: input `inputIndex[i]` at (x[i], y[i]), by ascending input index. */
export interface ProjectionTable {
  inputIndex: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

/** The non-zero cells of the contingency table of two clusterings of a run; pattern -1 is noise. */
export interface FlowCellsTable {
  patternA: Int32Array;
  patternB: Int32Array;
  count: Int32Array;
}

/** Which heatmaps `nap heatmaps` stored for the patterns of a clustering: one row per heatmap. */
export interface HeatmapIndexTable {
  patternId: Int32Array;
  /** The member's input index, or -1 for the pattern's mean heatmap. */
  inputIndex: Int32Array;
  /** Layer grid of the heatmap (positions). */
  height: Int32Array;
  width: Int32Array;
}

/**
 * The feature visualizations `nap visualize` stored for a layer (images that maximise a unit's or a
 * pattern's objective): one row per image, without its pixels, in the store's order (objective,
 * clustering, target, position, image index); a row's position is its image's id in the image route and
 * the static export's sheets.
 */
export interface FeatureImagesTable {
  /** 'unit', 'channel' (a unit at one position), 'pattern' or 'pattern_contrast'. */
  objective: readonly (string | null)[];
  /** The unit, or the pattern id. */
  target: Int32Array;
  /** The channel objective's position (row-major); -1 for the others. */
  position: Int32Array;
  /** The clustering of a pattern objective; -1 for unit objectives. */
  clusteringId: Int32Array;
  imageIndex: Int32Array;
  /** pattern_contrast: the pattern whose cosine is subtracted; -1 otherwise. */
  contrastPattern: Int32Array;
  /** The objective the stored image reaches. */
  value: Float64Array;
  /** The highest objective over the run's inputs; NaN when the store cannot tell. */
  datasetMax: Float64Array;
  width: Int32Array;
  height: Int32Array;
  channels: Int32Array;
}

export function emptyFeatureImages(): FeatureImagesTable {
  const ints = () => new Int32Array(0);
  return {
    objective: [],
    target: ints(),
    position: ints(),
    clusteringId: ints(),
    imageIndex: ints(),
    contrastPattern: ints(),
    value: new Float64Array(0),
    datasetMax: new Float64Array(0),
    width: ints(),
    height: ints(),
    channels: ints(),
  };
}

/** The input index under which a pattern's mean heatmap is listed. */
export const MEAN_HEATMAP = -1;

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** The stored configuration with its known fields checked: a field of the wrong shape reads as absent. */
export function runConfigOf(stored: unknown): RunConfig {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return {};
  const { preprocessing, split, ...rest } = stored as Record<string, unknown>;
  const config: { -readonly [K in keyof RunConfig]: RunConfig[K] } = { ...rest };
  if (typeof preprocessing === 'object' && preprocessing !== null) {
    const { width, height, channels } = preprocessing as Record<string, unknown>;
    if (positiveInteger(width) && positiveInteger(height) && (channels === 1 || channels === 3))
      config.preprocessing = { ...preprocessing, width, height, channels };
  }
  if (split === 'train' || split === 'test' || split === 'all') config.split = split;
  return config;
}

/** A run's saved triage per input (`nap triage --save`), best lead first (rank 0), unranked (-1) last. */
export interface TriageInputsTable {
  inputIndex: Int32Array;
  rank: Int32Array;
  /** Combined suspicion; NaN without a label. */
  score: Float64Array;
  /** The model's probability of the given label; NaN without a classifier or a label. */
  selfConfidence: Float64Array;
  margin: Float64Array;
  /** The linear probe's out-of-fold probability of the given label; NaN without a probe or a label. */
  probe: Float64Array;
  suggestedLabel: TextColumn;
  strongestLayer: TextColumn;
  reason: TextColumn;
}

/** Per layer in model order: the kNN probe accuracy of the labels (NaN: none) and whether it enters the score. */
export interface TriageLayersTable {
  layer: TextColumn;
  probeAccuracy: Float64Array;
  combined: Int32Array;
  /** How the scores were made (k, metric, probability source...), as saved. */
  settings: unknown;
}

/** Per layer (model order) and input (ascending): shares of its neighbours with its given / predicted label. */
export interface TriageAgreementTable {
  layer: TextColumn;
  inputIndex: Int32Array;
  givenShare: Float64Array;
  predictedShare: Float64Array;
}

/** Every input (labelled or not), most outlying first (rank 0): its outlier scores and exact-duplicate groups. */
export interface TriageOutliersTable {
  inputIndex: Int32Array;
  rank: Int32Array;
  /** Mean over layers of the percentile of its mean kNN distance; NaN: none. */
  score: Float64Array;
  /** Highest GLOSH score over the clustered layers; NaN: none. */
  glosh: Float64Array;
  farthestLayer: TextColumn;
  /** Group number of the inputs with the same input tensor, -1: none. */
  sameInputGroup: Int32Array;
  /** Group number of the inputs with the same activations in every layer, -1: none. */
  sameActivationsGroup: Int32Array;
}

/** Near-duplicate pairs (inputA < inputB), closest first. */
export interface TriageNearDuplicatesTable {
  inputA: Int32Array;
  inputB: Int32Array;
  layer: TextColumn;
  distance: Float64Array;
  /** The cut: a fraction of the layer's median nearest-neighbour distance. */
  threshold: Float64Array;
}

export interface SavedTriage {
  inputs: TriageInputsTable;
  layers: TriageLayersTable;
  agreement: TriageAgreementTable;
  /** Null for a triage saved before outliers were kept (schema version 10). */
  outliers: TriageOutliersTable | null;
  nearDuplicates: TriageNearDuplicatesTable;
}
