/**
 * The results API: every query the app and the CLI make, its parameters, its errors and the type of its
 * answer. createResultsApi (api.ts) answers them from a reader; `nap serve` answers them over HTTP
 * (routes.ts names each route; build URLs with `apiPaths`). Browser-safe: types and a few constants only.
 *
 * Conventions
 * - All routes are GET (HEAD works too; anything else is 405). Responses are JSON unless the path ends in
 *   .png, or the request asks for Arrow: the bulk tables (inputs, memberships, projection) answer
 *   `Accept: application/vnd.apache.arrow.stream` with an Arrow IPC stream of the same columns, scores and
 *   map positions at 16 bits over their range (codec/arrow.ts; the JSON stays exact).
 * - Bulk data is columnar: one array per column, all of one length (row i is the i-th entry of each).
 * - Numbers that are not finite (NaN, Infinity) are sent as null: `probability` of a model that does not
 *   classify, and `lambda` = Infinity in a condensed tree. Columns that can hold them are typed `(number | null)[]`.
 * - Layer names go in the path percent-encoded with encodeURIComponent (ONNX names often contain '/');
 *   use `apiPaths` rather than building URLs by hand.
 * - Ids and numbers are parsed strictly: decimal integers only ("01", "1.0", "1e3", " 1" are refused).
 * - Errors: status 400 (malformed parameter), 404 (well-formed, but no such run/layer/clustering/pattern/
 *   input/unit, or an image that cannot be made), 403 (Host header names another host: DNS-rebinding guard),
 *   405 (method), 500 (server bug only). Body: ApiError. Any other path (not /api) is the app: its files,
 *   else index.html for paths without an extension (SPA routes), 404 for missing files with one, 503 with a
 *   page saying to run `npm run build` when the app is not built.
 * - Images: thumbnails are gray PNGs for gray models and RGB PNGs otherwise; average images likewise.
 * - Caching: every /api response carries ETag = the store version (GET /api/info `storeVersion`; it changes
 *   when the store file changes; with `-arrow` appended for an Arrow answer) and `Cache-Control: no-cache`,
 *   so revalidation answers 304. Append
 *   `?v=<storeVersion>` (or `&v=`) to any /api URL to get `Cache-Control: max-age=31536000, immutable`
 *   instead: do so for thumbnails and average images so that thousands of tiles are not revalidated.
 *   A `v` that differs from the current version is ignored (normal no-cache response).
 * - JSON and Arrow are gzip-compressed when the request accepts it.
 *
 * Routes (R = run id, C = clustering id, P = pattern id (-1 = noise where noted), L = layer name, I = input index)
 *   GET /api/info                                      -> InfoResponse
 *   GET /api/runs                                      -> RunsResponse: every run with its layers and clusterings
 *   GET /api/runs/R                                    -> RunDetail (adds the run's config)
 *   GET /api/runs/R/inputs?offset=0&limit=1000         -> InputsResponse, by ascending input index; limit 1..100000
 *   GET /api/runs/R/inputs?index=4,9,2                 -> InputsResponse in the given order (1..10000 indices);
 *                                                         404 when an index is not an input of the run
 *   GET /api/runs/R/inputs/I/thumbnail.png?size=64     -> PNG, size x size (size 16..512, default 64), made from
 *                                                         the run's dataset; 404 when the dataset is not available
 *   GET /api/runs/R/thumbnails.png?index=4,9&size=64 -> PNG sprite sheet of those inputs' thumbnails in that
 *                                                         order, 1..256 inputs (layout: src/results/sprites.ts)
 *   GET /api/runs/R/input-patterns?index=4,9           -> InputPatternsResponse: the pattern of each input in every
 *                                                         layer clustering of the run (the input's path through
 *                                                         the network); 1..1000 indices
 *   GET /api/runs/R/layers/L/stats                     -> UnitStatsResponse, layer-wide, by unit
 *   GET /api/runs/R/layers/L/max-activations[?unit=U]  -> MaxActivationsResponse; unit -1 = whole layer,
 *                                                         0..dim-1 = one unit; omitted = all, by unit then rank
 *   GET /api/clusterings/C                             -> ClusteringSummary
 *   GET /api/clusterings/C/patterns?examples=5         -> PatternsResponse: every pattern's summary (examples
 *                                                         0..100 = length of the representative id lists)
 *   GET /api/clusterings/C/memberships                 -> MembershipsResponse: every input, by input index
 *   GET /api/clusterings/C/label-counts?by=label       -> LabelCountsResponse; by = label | prediction
 *   GET /api/clusterings/C/words                       -> PatternWordsResponse: each pattern's distinctive words
 *                                                         (runs of texts; none for other runs)
 *   GET /api/clusterings/C/tree                        -> CondensedTreeResponse
 *   GET /api/clusterings/C/linkage                     -> LinkageResponse: the single-linkage tree patterns are
 *                                                         re-selected from (in the browser); 404 for a clustering
 *                                                         of an older nap (the hint says how to store it)
 *   GET /api/clusterings/C/coverage                    -> CoverageResponse: inputs in a pattern, and the strongest
 *                                                         soft membership of every noise input (near members)
 *   GET /api/clusterings/C/patterns/P/near-members?... -> NearMembersResponse: noise inputs whose strongest soft
 *         membership is P, strongest first; minStrength=0 (0..1), offset=0, limit=100 (0..10000)
 *   POST /api/clusterings/C/keep {minClusterSize, selection, epsilon} -> KeptClustering: nap serve --writable
 *         only, from pages of the server itself; stores the app's re-cut as nap recluster does
 *   GET /api/clusterings/C/patterns/P/members?...      -> MembersResponse; P may be -1 (noise). Parameters:
 *         offset=0, limit=100 (0..10000), order = most-stable (default) | least-stable | outlier | input,
 *         label=<input label>, prediction=<prediction label>, misclassified=true|false (filters combine with AND;
 *         `total` counts the members that pass the filters)
 *   GET /api/clusterings/C/patterns/P/stats            -> UnitStatsResponse of one pattern, by unit
 *   GET /api/clusterings/C/patterns/P/average.png[?size=N] -> PNG of the pattern's average image (noise has none:
 *                                                         404); default its stored size, else N x N (16..512)
 *
 * Where a pattern lives in the image (convolutional layers; made by `nap heatmaps`, read from the store)
 *   GET /api/clusterings/C/patterns/P/heatmaps         -> HeatmapsResponse: which heatmaps are stored for pattern P
 *                                                         (an empty list when `nap heatmaps` was not run for it)
 *   GET /api/clusterings/C/patterns/P/heatmap.png      -> PNG, RGBA, at the model's input size (height x width of
 *                                                         the input the model takes): the pattern's mean heatmap,
 *                                                         bilinearly upsampled, colour-mapped, with alpha rising with
 *                                                         the value, so that it can be laid over the input image or
 *                                                         the pattern's average image (scale it with CSS)
 *   GET /api/clusterings/C/patterns/P/heatmap.png?input=I -> the same for member I's own heatmap
 *         404 when the heatmap is not stored (the message says to run `nap heatmaps <db> --layer L`), when I is not
 *         a member of P, or for noise (P = -1). Heatmap values are in [0, 1] (see HeatmapsResponse); the colour map
 *         is fixed over [0, 1] (not stretched per image), so overlays of one pattern compare directly.
 *
 * Feature visualizations (images that maximise a unit's or a pattern's objective; made by `nap visualize`)
 *   GET /api/runs/R/layers/L/feature-images            -> FeatureImagesResponse: the layer's stored images (an
 *                                                         empty list when `nap visualize` was not run for it)
 *   GET /api/runs/R/layers/L/feature-images/I/image.png[?size=N] -> PNG of image I (its `row`), at its stored size
 *                                                         or N x N (16..512); 404 for a row that is not stored
 *
 * Flow, comparison and triage (R, A, B = run ids; a layer's patterns are those of its newest layer clustering)
 *   GET /api/runs/R/flow                               -> FlowGraphResponse: the alluvial graph of every layer with
 *                                                         patterns (nodes: patterns and noise; links: consecutive layers)
 *   GET /api/runs/R/layer-flow?from=L&to=L             -> LayerFlowResponse: contingency table and Jaccard matrix of
 *                                                         two layers; one of from/to alone pairs it with the next (or
 *                                                         previous) layer, neither: the first two layers
 *   GET /api/runs/R/layers/L/patterns/P/lineage?minShare=0.05&limit=5 -> LineageResponse: where the members of
 *                                                         pattern P (-1 = noise) are in every other layer
 *   GET /api/runs/R/label-errors?limit=N               -> LabelErrorsResponse: the run's saved triage (`nap triage
 *                                                         --save`), one row per labelled input, best lead first;
 *                                                         404 when none was saved (the hint names the command)
 *   GET /api/runs/R/agreement?index=I,J                -> AgreementResponse: per layer, the share of each input's
 *                                                         neighbours with its given and its predicted label, and the
 *                                                         layer's kNN probe accuracy (saved triage; 404 without)
 *   GET /api/runs/R/outliers?limit=N                   -> OutliersResponse: every input of the saved triage, labelled
 *                                                         or not, most outlying first (kNN distance, GLOSH)
 *   GET /api/runs/R/duplicates                         -> DuplicatesResponse: groups of inputs with the same input or
 *                                                         the same activations, and near-duplicate pairs (saved triage)
 *   GET /api/runs/R/model-errors                       -> ModelErrorsResponse: the confusion matrix of given labels
 *                                                         by predicted labels, with the inputs of every cell (as an
 *                                                         Arrow table of each input's cell when asked for Arrow, as
 *                                                         the app does: results/codec/model-errors.ts)
 *   GET /api/runs/A/compare/B?minJaccard=0             -> RunComparisonResponse: per layer pair (same name) ARI, NMI
 *                                                         and the one-to-one matching of patterns, inputs matched by path
 *
 * Search (the app's search box; the query language is in search.ts)
 *   GET /api/runs/R/search?q=TEXT&limit=20             -> SearchResponse: the patterns (of each layer's newest layer
 *                                                         clustering), inputs and units that match every term of q,
 *                                                         the first `limit` (1..1000) of each kind with totals; terms
 *                                                         it cannot read are listed in `errors`
 *
 * Projection (a 2-D map of a layer's inputs; stored by `nap analyze`, or added to a run by `nap project`)
 *   GET /api/runs/R/layers/L/projection                -> ProjectionResponse: every input of the run with its x, y;
 *                                                         404 when the layer has none (the hint says how to make one).
 *                                                         Colours come from /memberships and /inputs.
 *
 * Definitions
 * - misclassified: the input has a label and the model classifies (prediction >= 0), and label !== predictionLabel.
 * - labelPurity: count of the most frequent label among the members / size (null for an empty pattern or no labels).
 * - outlier: a member whose GLOSH outlier score is above `outlierThreshold`, the 90th percentile (linear
 *   interpolation, as numpy's default) of the outlier scores of ALL inputs of the clustering, noise included.
 *   outlierShare = outliers / size.
 * - mostStable / leastStable: member input indices with the highest / lowest membership probability
 *   (ties: lower input index first); topOutliers: members with the highest outlier score.
 */
import type { SearchResults } from './search.js';
import type { IndexedInputs } from './input-index.js';
import type {
  ClusteringRecord,
  InputPictureKind,
  LayerRecord,
  LinkageTable,
  MembershipsTable,
  ProjectionMethod,
  ProjectionTable,
  RunConfig,
  RunStatus,
} from './tables.js';

export type { RunStatus };

/** Body of every error response. */
export interface ApiError {
  /** What was wrong, naming the offending value. */
  error: string;
  /** What to do about it, when known. */
  hint?: string;
  status: number;
}

/** GET /api/info */
export interface InfoResponse {
  /** File name (not the full path) of the store being served. */
  store: string;
  /** Changes whenever the store file changes; use it as `?v=` for immutable caching. */
  storeVersion: string;
  schemaVersion: number;
  runCount: number;
  /** Thumbnail sizes accepted by the thumbnail and average-image routes. */
  imageSize: { min: number; max: number; default: number };
}

/** One HDBSCAN* clustering of a layer (unit null) or of one unit's spatial map, as the reader has it. */
export type ClusteringSummary = ClusteringRecord;

/** A layer (position in the model, op type, raw and aggregated dims) with its clusterings and map. */
export interface LayerSummary extends LayerRecord {
  /** Oldest first; the last layer clustering (unit null) is the one to show by default. */
  clusterings: ClusteringSummary[];
  /** The method of the layer's stored 2-D projection (GET .../projection), null when it has none. */
  projection: ProjectionMethod | null;
}

export interface RunSummary {
  runId: number;
  name: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  status: RunStatus;
  modelPath: string;
  datasetSpec: string;
  inputCount: number;
  /** Distinct input labels, sorted naturally ("2" before "10"). */
  labels: string[];
  /** Class names of the model's outputs in class order, or null when unknown. */
  predictionLabels: string[] | null;
  /** True when the inputs are not images (tensor datasets, activations computed elsewhere): galleries show their content. */
  inputContents: boolean;
  /** What galleries draw for each input: its image ('dataset', 'images'), its numbers ('series'), or nothing: its text ('text') or name ('none'). */
  inputPictures: InputPictureKind;
  /** In model order. */
  layers: LayerSummary[];
}

/** GET /api/runs/R/layers/L/projection: columnar, one row per input of the run, by ascending input index. */
export interface ProjectionResponse {
  runId: number;
  layer: string;
  /** 'umap' (UMAP of the layer's normalized aggregated activations) or 'pca' (first two principal components). */
  method: ProjectionMethod;
  /** The parameters it was made with as stored (seed, neighbours, minDist, epochs, pcaDims, ...). */
  params: unknown;
  inputIndex: number[];
  x: number[];
  y: number[];
}

/** GET /api/runs */
export interface RunsResponse {
  runs: RunSummary[];
}

/** GET /api/runs/R */
export interface RunDetail extends RunSummary {
  modelSha256: string;
  modelLayout: string;
  /** The analysis configuration as stored (preprocessing, split, clustering options, ...). */
  config: RunConfig;
}

/** Columns of dataset inputs. */
export interface InputColumns {
  inputIndex: number[];
  /** Dataset path of the input (a file, or e.g. 'mnist#123'), null when unknown. */
  path: (string | null)[];
  label: (string | null)[];
  /** Predicted class index, -1 when the model does not classify. */
  prediction: number[];
  predictionLabel: (string | null)[];
  /** Probability of the predicted class; null when the model does not classify. */
  probability: (number | null)[];
  misclassified: boolean[];
  /** What a gallery shows for an input that is not an image: its text, or its numbers; null for an image. */
  content: (string | null)[];
}

/** GET /api/runs/R/inputs */
export interface InputsResponse extends InputColumns {
  runId: number;
  /** Inputs of the run in all pages. */
  total: number;
  /** The page's offset, or null when the inputs were requested by index. */
  offset: number | null;
}

/** GET /api/runs/R/input-patterns?index=... */
export interface InputPatternsResponse {
  runId: number;
  /** The requested inputs, in request order. */
  inputIndex: number[];
  /** The run's layer clusterings (unit null) in model layer order: the steps of the path. */
  clusterings: { clusteringId: number; layer: string; layerOrder: number }[];
  /**
   * Columnar, one row per (clustering, input): by clustering in the order above, then by request order.
   * patternId -1 = noise.
   */
  rows: { clusteringId: number[]; inputIndex: number[]; patternId: number[]; probability: number[] };
}

/** Box-plot statistics per unit on the normalized aggregated activations. */
export interface UnitStatsResponse {
  unit: number[];
  min: number[];
  max: number[];
  mean: number[];
  q1: number[];
  q3: number[];
  iqr: number[];
  /** max(q1 - 1.5 IQR, min) */
  lower: number[];
  /** min(q3 + 1.5 IQR, max) */
  upper: number[];
}

/** GET /api/runs/R/layers/L/max-activations */
export interface MaxActivationsResponse {
  runId: number;
  layer: string;
  /** -1 = the whole layer's strongest inputs; u = unit u's. */
  unit: number[];
  /** 0 = strongest. */
  rank: number[];
  inputIndex: number[];
  value: number[];
}

/** Counts of labels (or predicted labels), largest first, ties by label. */
export interface LabelMix {
  label: (string | null)[];
  count: number[];
}

export interface PatternSummary {
  /** -1 for the noise summary. */
  patternId: number;
  size: number;
  /** 0 for noise. */
  persistence: number;
  labels: LabelMix;
  predictions: LabelMix;
  /** Most frequent label, null when none. */
  dominantLabel: string | null;
  labelPurity: number | null;
  misclassifiedCount: number;
  outlierCount: number;
  outlierShare: number;
  meanProbability: number;
  /** Input indices; see the definitions at the top of this file. */
  mostStable: number[];
  leastStable: number[];
  topOutliers: number[];
}

/** GET /api/clusterings/C/patterns */
export interface PatternsResponse {
  clustering: ClusteringSummary;
  /** The 90th percentile of the clustering's outlier scores. */
  outlierThreshold: number;
  outlierQuantile: number;
  /** By pattern id (0..patternCount-1). */
  patterns: PatternSummary[];
  /** The noise inputs summarised the same way (patternId -1). */
  noise: PatternSummary;
}

/** GET /api/clusterings/C/memberships */
export interface MembershipsResponse {
  clusteringId: number;
  inputIndex: number[];
  /** -1 = noise. */
  patternId: number[];
  probability: number[];
  outlierScore: number[];
}

/** GET /api/clusterings/C/label-counts */
export interface LabelCountsResponse {
  clusteringId: number;
  by: 'label' | 'prediction';
  /** By pattern id (noise -1 first), then count descending. */
  patternId: number[];
  label: (string | null)[];
  count: number[];
}

/** GET /api/clusterings/C/words: what stands for the average image of a run of texts (pattern-words.ts). */
export interface PatternWordsResponse {
  clusteringId: number;
  /** By pattern id; empty when the run's inputs are not texts (RunSummary.inputPictures 'text'). */
  patterns: {
    patternId: number;
    /** Most distinctive first. */
    word: string[];
    /** The share of the pattern's texts that have the word. */
    share: number[];
  }[];
}

/** GET /api/clusterings/C/tree: one row per condensed-tree edge, by parent then child. */
export interface CondensedTreeResponse {
  clusteringId: number;
  /** Input count N: children below N are points (row positions in input-index order), the rest clusters. */
  pointCount: number;
  parent: number[];
  child: number[];
  /** null = Infinity. */
  lambda: (number | null)[];
  childSize: number[];
}

/** GET /api/clusterings/C/linkage (a table): merge k joins nodes left[k] and right[k] at distance[k] into N + k. */
export interface LinkageResponse {
  clusteringId: number;
  /** Leaves 0..N-1 are the clustering's inputs in ascending input index (the rows of .../memberships). */
  left: number[];
  right: number[];
  distance: number[];
}

/** GET /api/clusterings/C/coverage */
export interface CoverageResponse {
  clusteringId: number;
  inputs: number;
  /** Inputs in a pattern (the rest is noise). */
  inPattern: number;
  /** False for a clustering of an older nap, which stored no soft memberships (nearStrength is then empty). */
  soft: boolean;
  /**
   * The strongest soft membership of each noise input, strongest first: the inputs covered at strength s
   * are inPattern plus the entries >= s.
   */
  nearStrength: number[];
  /** The noise input of each nearStrength entry, and the pattern it is nearest to (its strongest membership). */
  nearInputIndex: number[];
  nearPatternId: number[];
}

/**
 * POST /api/clusterings/C/keep {minClusterSize, selection, epsilon} (nap serve --writable, pages of the
 * server only): the re-cut stored as a new clustering of C's layer, as nap recluster stores it; 201, or
 * 200 with `existing` when one with these parameters was stored already (nothing is written).
 */
export interface KeptClustering {
  clusteringId: number;
  sourceClusteringId: number;
  runId: number;
  layer: string;
  patterns: number;
  noise: number;
  existing: boolean;
}

/** GET /api/clusterings/C/patterns/P/near-members */
export interface NearMembersResponse {
  clusteringId: number;
  patternId: number;
  minStrength: number;
  /** Near members of P at least minStrength strong, in all pages. */
  total: number;
  /** Strongest first, then by input index. */
  inputIndex: number[];
  strength: number[];
}

export type MemberOrder = 'most-stable' | 'least-stable' | 'outlier' | 'input';
export const MEMBER_ORDERS: readonly MemberOrder[] = ['most-stable', 'least-stable', 'outlier', 'input'];

/** GET /api/clusterings/C/patterns/P/members */
export interface MembersResponse extends InputColumns {
  clusteringId: number;
  patternId: number;
  order: MemberOrder;
  offset: number;
  limit: number;
  /** Members that pass the filters, over all pages. */
  total: number;
  membershipProbability: number[];
  outlierScore: number[];
}

/** A layer of a run with the clustering that stands for its patterns (its newest layer clustering). */
export interface FlowLayer {
  layer: string;
  /** Position in the model. */
  order: number;
  clusteringId: number;
  patternCount: number;
}

/** GET /api/runs/R/flow */
export interface FlowGraphResponse {
  runId: number;
  /** Layers with patterns, in model order. */
  layers: FlowLayer[];
  /** One node per pattern and per layer's noise (patternId -1) holding inputs, by layer then pattern, noise last. */
  nodes: { layerIndex: number[]; patternId: number[]; size: number[] };
  /** Inputs shared by two nodes of consecutive layers; source and target index `nodes`. */
  links: { source: number[]; target: number[]; count: number[] };
}

/** GET /api/runs/R/layer-flow */
export interface LayerFlowResponse {
  runId: number;
  /** Layer of the rows. */
  from: FlowLayer;
  /** Layer of the columns. */
  to: FlowLayer;
  /** True when read from the store (analyze stores every pair), false when computed now. */
  stored: boolean;
  /** Row-major (from.patternCount + 1) x (to.patternCount + 1) counts; row/column p is pattern p, noise last. */
  counts: number[];
  rowSums: number[];
  colSums: number[];
  /** Inputs both clusterings hold. */
  total: number;
  /** Jaccard index |A_i ∩ B_j| / |A_i ∪ B_j| of every cell, same shape; 0 where both are empty. */
  jaccard: number[];
}

/** Where a pattern's members are in one other layer. */
export interface LineageStepSummary {
  layer: string;
  clusteringId: number;
  /** Members of the pattern that this layer's clustering holds too. */
  members: number;
  /** Patterns (-1 = noise) holding the largest shares of the members, largest first. */
  shares: { patternId: number; count: number; share: number }[];
  /** Share of the members in patterns not listed. */
  otherShare: number;
}

/** GET /api/runs/R/layers/L/patterns/P/lineage */
export interface LineageResponse {
  runId: number;
  layer: string;
  clusteringId: number;
  /** -1 = the layer's noise. */
  patternId: number;
  size: number;
  /** Every other layer with patterns, in model order. */
  steps: LineageStepSummary[];
}

/** GET /api/runs/R/label-errors: the saved triage's ranked inputs (columns), best lead first. */
export interface LabelErrorsResponse {
  runId: number;
  /** How the scores were made, as saved (k, metric, probabilities, in-sample...). */
  settings: unknown;
  /** Ranked rows before `limit`. */
  total: number;
  inputIndex: number[];
  path: (string | null)[];
  label: (string | null)[];
  predictionLabel: (string | null)[];
  /** The neighbours' majority label; null where none voted. */
  suggestedLabel: (string | null)[];
  /** Combined suspicion, higher first. */
  score: number[];
  /** The model's probability of the given label; null without a classifier. */
  selfConfidence: (number | null)[];
  margin: (number | null)[];
  /** The linear probe's out-of-fold probability of the given label (layer: settings.probeLayer); null without a probe. */
  probe: (number | null)[];
  /** The layer where the neighbours disagree most; null where none voted. */
  strongestLayer: (string | null)[];
  /** e.g. "9 of 10 neighbours in dense are Sneaker; the model gives the label 0.02". */
  reason: string[];
}

/** GET /api/runs/R/outliers: the saved triage's inputs, labelled or not, most outlying first (columns). */
export interface OutliersResponse {
  runId: number;
  /** Inputs ranked (all of the run's) before `limit`. */
  total: number;
  inputIndex: number[];
  path: (string | null)[];
  label: (string | null)[];
  predictionLabel: (string | null)[];
  /** Mean over layers of the percentile of the input's mean distance to its k neighbours (1: farthest). */
  score: (number | null)[];
  /** Its highest GLOSH score over the clustered layers; null: none clustered. */
  glosh: (number | null)[];
  /** The layer where its distance percentile is highest. */
  farthestLayer: (string | null)[];
}

/** An input of a DuplicatesResponse: what its image tile and the CSV need. */
export interface DuplicateInput {
  inputIndex: number;
  path: string | null;
  label: string | null;
  predictionLabel: string | null;
}

/** GET /api/runs/R/duplicates: exact-duplicate groups and near-duplicate pairs of the saved triage. */
export interface DuplicatesResponse {
  runId: number;
  /** Groups of two or more inputs, 'same input' groups first, each ascending by input index. */
  groups: { kind: 'same input' | 'same activations'; group: number; inputs: DuplicateInput[] }[];
  /** Pairs closer than `threshold` in `layer`, closest first. */
  near: { a: DuplicateInput; b: DuplicateInput; layer: string; distance: number; threshold: number }[];
}

/** GET /api/runs/R/agreement?index=I,J: per layer in model order; shares per input in the asked order (null: none voted). */
export interface AgreementResponse {
  runId: number;
  layers: { layer: string; probeAccuracy: number | null; combined: boolean }[];
  inputs: {
    inputIndex: number;
    label: string | null;
    predictionLabel: string | null;
    given: (number | null)[];
    predicted: (number | null)[];
  }[];
}

/** GET /api/runs/R/model-errors: rows = given labels, columns = predicted labels, both in natural order. */
export interface ModelErrorsResponse {
  runId: number;
  labels: string[];
  predictions: string[];
  /** counts[row][column]. */
  counts: number[][];
  /** inputs[row][column]: the input indices of the cell, ascending. */
  inputs: number[][][];
  /** Inputs with a label and a prediction. */
  total: number;
  misclassified: number;
}

/** ARI and NMI over the compared inputs; null when no inputs are compared. */
export interface AgreementSummary {
  inputs: number;
  adjustedRandIndex: number | null;
  normalizedMutualInformation: number | null;
}

export interface LayerComparisonSummary {
  layerA: string;
  layerB: string;
  clusteringA: number;
  clusteringB: number;
  patternsA: number;
  patternsB: number;
  /** Shared inputs that both clusterings hold. */
  inputs: number;
  /** Noise counted as one more label. */
  withNoise: AgreementSummary;
  /** Only inputs in a pattern in both runs. */
  withoutNoise: AgreementSummary;
  /** Matched pattern pairs (one-to-one, maximal total Jaccard; noise never takes part), by pattern of A. */
  pairs: { patternA: number[]; patternB: number[]; jaccard: number[]; shared: number[] };
  unmatchedA: number[];
  unmatchedB: number[];
}

/** GET /api/runs/A/compare/B */
export interface RunComparisonResponse {
  runA: number;
  runB: number;
  /** Inputs whose path is in both runs (exactly once in each). */
  sharedInputs: number;
  unmatchedA: number;
  unmatchedB: number;
  /** Pairs of layers with the same name, in A's model order. */
  layers: LayerComparisonSummary[];
}

/**
 * GET /api/clusterings/C/patterns/P/heatmaps. A heatmap says, for each spatial position of a convolutional layer,
 * how close the position's unit vector v (the units at that position, divided by the layer's per-unit
 * normalization divisors, as the aggregated activations were) is to the pattern's centroid c (the mean of its
 * members' normalized aggregated vectors), measured from the layer's mean vector b (what all inputs share):
 * value = max(0, cos(v - b, c - b)), in [0, 1]. The mean heatmap is the position-wise mean of the members'
 * heatmaps. See src/compute/heatmap.ts.
 */
export interface HeatmapsResponse {
  clusteringId: number;
  patternId: number;
  layer: string;
  /** Whether the pattern's mean heatmap is stored (false: run `nap heatmaps`). */
  hasMean: boolean;
  /** Layer grid (positions) of the stored heatmaps; 0 when none is stored. */
  height: number;
  width: number;
  /** Size of the PNGs: the model's input height and width. */
  imageHeight: number;
  imageWidth: number;
  /** Members with a stored heatmap, ascending: each can be asked for with ?input=I. */
  inputIndex: number[];
}

/** What a feature visualization maximises (see `nap visualize`). */
export type FeatureObjectiveName = 'unit' | 'channel' | 'pattern' | 'pattern_contrast';

/** One stored feature visualization. */
export interface FeatureImage {
  /** Its id in the image route and the static export. */
  row: number;
  /**
   * unit: the unit's mean activation; channel: the unit at `position`; pattern: the cosine between the
   * layer's normalized aggregated activation and the pattern's centroid; pattern_contrast: that minus the
   * cosine with `contrastPattern`'s centroid.
   */
  objective: FeatureObjectiveName;
  /** The unit, or the pattern id. */
  target: number;
  /** The channel objective's position (row-major over the layer's positions); null for the others. */
  position: number | null;
  /** The clustering of a pattern objective; null for unit objectives. */
  clusteringId: number | null;
  /** 0..n-1: the diverse images of one objective. */
  imageIndex: number;
  contrastPattern: number | null;
  /** The objective the image reaches. */
  value: number;
  /** The highest objective over the run's inputs; null when the store cannot tell. */
  datasetMax: number | null;
  width: number;
  height: number;
  channels: number;
}

/** GET /api/runs/R/layers/L/feature-images */
export interface FeatureImagesResponse {
  runId: number;
  layer: string;
  images: FeatureImage[];
}

export const IMAGE_SIZE = { min: 16, max: 512, default: 64 } as const;

export interface MembersQuery {
  offset?: number;
  limit?: number;
  order?: MemberOrder;
  label?: string;
  prediction?: string;
  misclassified?: boolean;
}

/** Query parameters of each API call (the routes' path and query parameters, typed). */
export type NoParams = Record<string, never>;
export interface RunParams {
  runId: number;
}
export interface LayerParams extends RunParams {
  layer: string;
}
export interface ClusteringParams {
  clusteringId: number;
}
export interface PatternParams extends ClusteringParams {
  /** -1 = noise where the query allows it. */
  patternId: number;
}
/** A page of inputs (offset, limit: default 0, 1000) or the inputs at `index`, in that order. */
export interface InputsParams extends RunParams {
  offset?: number;
  limit?: number;
  index?: readonly number[];
}
export interface InputPatternsParams extends RunParams {
  index: readonly number[];
}
export interface MaxActivationsParams extends LayerParams {
  /** -1: the whole layer; omitted: every unit. */
  unit?: number;
}
export interface PatternsParams extends ClusteringParams {
  /** Length of the representative lists; default 5. */
  examples?: number;
}
export interface LabelCountsParams extends ClusteringParams {
  by?: 'label' | 'prediction';
}
export interface MembersParams extends PatternParams, MembersQuery {}
export interface NearMembersParams extends PatternParams {
  /** default 0 */
  minStrength?: number;
  /** default 0 */
  offset?: number;
  /** default 100 */
  limit?: number;
}
export interface LayerFlowParams extends RunParams {
  from?: string;
  to?: string;
}
export interface LineageParams extends LayerParams {
  patternId: number;
  /** Leave out patterns holding less than this share of the members; default 0.05. */
  minShare?: number;
  /** Patterns listed per layer; default 5. */
  limit?: number;
}
export interface LabelErrorsParams extends RunParams {
  limit?: number;
}
export interface OutliersParams extends RunParams {
  limit?: number;
}
export interface AgreementParams extends RunParams {
  index: number[];
}
export interface CompareRunsParams {
  runA: number;
  runB: number;
  /** Matched pairs with a smaller Jaccard index are reported unmatched; default 0. */
  minJaccard?: number;
}

/**
 * The bulk tables as the API returns them: typed columns (InputsResponse, MembershipsResponse and
 * ProjectionResponse are their JSON form).
 */
export interface InputRows extends Omit<IndexedInputs, 'labels' | 'rows'> {
  runId: number;
  /** Inputs of the run in all pages. */
  total: number;
  /** The page's offset, or null when the inputs were asked for by index. */
  offset: number | null;
}
export interface MembershipRows extends MembershipsTable {
  clusteringId: number;
}
export interface LinkageRows extends LinkageTable {
  clusteringId: number;
}
export interface ProjectionPoints extends ProjectionTable {
  runId: number;
  layer: string;
  method: ProjectionMethod;
  params: unknown;
}

/** GET /api/runs/R/search?q=...: parameters (see search.ts for the query language). */
export interface SearchParams {
  runId: number;
  q: string;
  /** Hits kept per kind (patterns, inputs, units); default 20. */
  limit?: number;
}

/** GET /api/runs/R/search: the run's patterns (of each layer's newest clustering), inputs and units that match. */
export interface SearchResponse extends SearchResults {
  runId: number;
  q: string;
}
