import { AGGREGATIONS, type Aggregation } from '../compute/aggregate.js';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import { InputError } from '../errors.js';
import type { TensorDataOptions } from '../io/datasets/open-tensors.js';
import type { ResizeMode } from '../io/datasets/types.js';
import { DEVICE_OPTIONS, type DeviceOption } from '../io/onnx/device.js';
import type { LayoutOverride } from '../io/onnx/layer-layout.js';
import type { LayoutOption } from '../io/onnx/layout.js';
import { parseClusterSpace, type ClusterSpace } from './cluster-space.js';
import { PROJECTION_CHOICES, type ProjectionChoice } from './projection-options.js';

/** Everything `analyze` accepts; every optional field is documented with its default. */
export interface AnalyzeOptions {
  /** Path of the ONNX model. */
  model: string;
  /** Dataset: 'mnist', 'fashion-mnist', an image folder, a .csv/.json manifest or an IDX images file. */
  data: string;
  /** Results database (DuckDB file); created when missing, runs are added to it. */
  out: string;
  /** Layer tensor names; default: the model's default set (see `nap layers`). */
  layers?: string[];
  /** Spatial aggregation; default 'mean'. */
  aggregation?: Aggregation;
  /** Exactly these dataset items (indices into the dataset's item list), before any --limit sample; default all. */
  indices?: number[];
  /** Use at most this many inputs (seeded sample); default all. */
  limit?: number;
  /** Seed of the sample; default 0. */
  seed?: number;
  /** Keep label proportions in the sample; default false. */
  stratified?: boolean;
  /** Fashion-MNIST split; default 'test'. */
  split?: 'train' | 'test';
  /** Inputs per forward pass; default 32. */
  batchSize?: number;
  /** Inputs gathered per store commit (or 5 s of work); an interruption loses at most that much; default 2048. */
  commitRows?: number;
  /** ONNX Runtime threads; default 0 = all cores. */
  threads?: number;
  /** Execution provider the model runs on: 'cpu' (default), 'cuda', 'webgpu', or 'auto' (the first that starts). */
  device?: DeviceOption;
  /** Channel layout of the model's image input; default 'auto' (detected from its shape). */
  layout?: LayoutOption;
  /** Layouts forced per layer (tensor name -> tokens, channels-first, channels-last or flat); default: traced from the graph. */
  layerLayouts?: Record<string, LayoutOverride>;
  /** Prefix tokens (CLS, distillation, registers) of every token layer; default: detected from the patch grid (0 without one). */
  prefixTokens?: number;
  /** How data that is not images is read (.npy/.npz, raw float32, Parquet/CSV tables, text); default: see TensorDataOptions. */
  tensorData?: TensorDataOptions;
  /** Image size for models that accept any size; default none (required for such models). */
  imageSize?: { width: number; height: number };
  /** How images are resized to the input size; default 'stretch'. */
  resize?: ResizeMode;
  /** Multiplies 8-bit pixel values; default 1/255. */
  scale?: number;
  /** Per-channel mean subtracted after scaling; default none. */
  mean?: number[];
  /** Per-channel std dividing after the mean; default none. */
  std?: number[];
  /** Names of the model's output classes in class-index order; default: `<model>.json`'s labels, else the dataset's labels when they are 0..K-1. */
  classNames?: string[];
  /** HDBSCAN* parameters; defaults minClusterSize 5, minSamples 5, leaf selection, euclidean. */
  clustering?: Omit<HdbscanOptions, 'mst'>;
  /**
   * Where each layer is clustered: 'raw' (default, the NAP paper: the normalized aggregated activations),
   * 'pca:D' (their first D principal components) or 'umap:D' (a D-dimensional UMAP, min dist 0, 30
   * neighbours); see src/engine/cluster-space.ts. Recorded in the clustering's params when not raw.
   */
  clusterSpace?: ClusterSpace;
  /** Unit patterns: for each layer, the units whose raw spatial maps are clustered too; default none. */
  unitPatterns?: Record<string, number[]>;
  /** Unreadable images: 'skip' (default, reported) or 'fail'. */
  onBadImage?: 'skip' | 'fail';
  /** Max-activating inputs kept per unit and per layer; default 16. */
  topK?: number;
  /** Largest side of stored average images; default 96. */
  averageImageSide?: number;
  /** Run name; default `<model file> on <data>`. */
  name?: string;
  /**
   * 2-D map of every layer, stored for the app: 'umap' (default), 'pca' or 'none'; parameters are the
   * defaults of ProjectionOptions (src/engine/projection-options.ts; `nap project` sets others). A layer
   * that already has a projection keeps it.
   */
  projection?: ProjectionChoice;
  /**
   * Whether the model was trained on these inputs; default false. Kept with the run for `nap triage`: a
   * model that has fitted the labels, wrong ones included, gives them high probability, so triage then
   * leans on the hidden layers' neighbour votes (see src/engine/triage-scores.ts).
   */
  inSample?: boolean;
}

export type ResolvedOptions = Required<Omit<AnalyzeOptions, OptionalOption>> & Pick<AnalyzeOptions, OptionalOption>;

/** Options without a default: left out, they change nothing. */
type OptionalOption =
  | 'layers'
  | 'indices'
  | 'limit'
  | 'imageSize'
  | 'mean'
  | 'std'
  | 'classNames'
  | 'name'
  | 'unitPatterns'
  | 'layerLayouts'
  | 'prefixTokens'
  | 'tensorData';

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InputError(`${name} ${value} is not a positive whole number`, {
      hint: `give ${name} as e.g. ${fallback}`,
    });
  }
  return value;
}

export function resolveOptions(options: AnalyzeOptions): ResolvedOptions {
  const aggregation = options.aggregation ?? 'mean';
  if (!AGGREGATIONS.includes(aggregation)) {
    throw new InputError(`aggregation '${aggregation}' is not known`, {
      hint: `use one of ${AGGREGATIONS.join(', ')}`,
    });
  }
  if (options.limit !== undefined) positiveInteger(options.limit, 'limit', 1000);
  if (options.projection !== undefined && !PROJECTION_CHOICES.includes(options.projection)) {
    throw new InputError(`projection '${options.projection}' is not known`, {
      hint: `use one of ${PROJECTION_CHOICES.join(', ')}`,
    });
  }
  if (options.device !== undefined && !DEVICE_OPTIONS.includes(options.device)) {
    throw new InputError(`device '${options.device}' is not known`, {
      hint: `use one of ${DEVICE_OPTIONS.join(', ')}`,
    });
  }
  if (options.scale !== undefined && !Number.isFinite(options.scale)) {
    throw new InputError(`scale ${options.scale} is not a finite number`, {
      hint: 'use e.g. 0.00392156862745098 (1/255)',
    });
  }
  return {
    ...options,
    aggregation,
    seed: options.seed ?? 0,
    stratified: options.stratified ?? false,
    split: options.split ?? 'test',
    batchSize: positiveInteger(options.batchSize, 'batch size', 32),
    commitRows: positiveInteger(options.commitRows, 'commit rows', 2048),
    threads: options.threads === undefined ? 0 : positiveInteger(options.threads, 'threads', 2),
    layout: options.layout ?? 'auto',
    device: options.device ?? 'cpu',
    resize: options.resize ?? 'stretch',
    scale: options.scale ?? 1 / 255,
    clustering: options.clustering ?? {},
    clusterSpace: parseClusterSpace(options.clusterSpace ?? 'raw', 'clusterSpace'),
    onBadImage: options.onBadImage ?? 'skip',
    topK: positiveInteger(options.topK, 'top-k', 16),
    averageImageSide: positiveInteger(options.averageImageSide, 'average image side', 96),
    projection: options.projection ?? 'umap',
    inSample: options.inSample ?? false,
  };
}
