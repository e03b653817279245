import { AGGREGATIONS, type Aggregation } from '../compute/aggregate.js';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import { hdbscanFields } from '../compute/hdbscan/options.js';
import { InputError, option } from '../errors.js';
import { FASHION_MNIST_SPLITS, type FashionMnistSplit } from '../io/datasets/open.js';
import type { TensorDataOptions } from '../io/datasets/open-tensors.js';
import {
  choice,
  libraryOption,
  list,
  type OptionField,
  OptionSchema,
  realNumber,
  seedNumber,
  switchedChoice,
  switchOption,
  text,
  valueOption,
  wholeNumber,
} from '../options/schema.js';
import type { ResizeMode } from '../io/datasets/types.js';
import { DEVICE_OPTIONS, type DeviceOption } from '../io/onnx/device.js';
import type { LayoutOverride } from '../io/onnx/layer-layout.js';
import type { LayoutOption } from '../io/onnx/layout.js';
import { inputLayoutField, layerLayoutsField, prefixTokensField } from '../io/onnx/layout-fields.js';
import { CLUSTER_SPACE_RULE, type ClusterSpace } from './cluster-space.js';
import { PROJECTION_CHOICES, type ProjectionChoice } from './projection-options.js';

/** Everything `analyze` accepts; every optional field is documented with its default. */
export interface AnalyzeOptions {
  /** Path of the ONNX model. */
  model: string;
  /** Dataset: 'mnist', 'fashion-mnist', 'fashion-mnist-augmented:N', an image folder, a .csv/.json manifest or an IDX images file. */
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
  /** Fashion-MNIST split; default 'test'; 'all': the 60,000 training then the 10,000 test images. */
  split?: FashionMnistSplit;
  /**
   * The labels file of the dataset: of an IDX images file (default: found beside it, images -> labels in the
   * name), or one label per input of data that is not images (.txt, .csv, .npy, .json).
   */
  labelsPath?: string;
  /** Inputs per forward pass; default 32. */
  batchSize?: number;
  /** Inputs gathered per store commit (or 5 s of work); an interruption loses at most that much; default 2048. */
  commitRows?: number;
  /** ONNX Runtime threads; default 0 = all cores. */
  threads?: number;
  /** Execution provider the model runs on: 'cpu' (default), 'cuda', 'webgpu', or 'auto' (the first that starts). */
  device?: DeviceOption;
  /**
   * Most values of the input that the layer probe runs the model on (one input at the model's size, or its
   * fixed batch): a bound against running out of memory on a huge size; default 2^24 (64 MiB of float32).
   */
  maxProbeValues?: number;
  /** Channel layout of the model's image input; default 'auto' (detected from its shape). */
  layout?: LayoutOption;
  /** Layouts forced per layer (tensor name -> tokens, channels-first, channels-last or flat); default: traced from the graph. */
  layerLayouts?: Record<string, LayoutOverride>;
  /** Prefix tokens (CLS, distillation, registers) of every token layer; default: detected from the patch grid (0 without one). */
  prefixTokens?: number;
  /**
   * How data that is not images is read (.npy/.npz, raw float32, Parquet/CSV tables, text); default: see
   * TensorDataOptions. Its labels file is `labelsPath`.
   */
  tensorData?: Omit<TensorDataOptions, 'labels'>;
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
  /**
   * Test-time shifts for triage, in pixels; default 0 (none). With N > 0, after the extraction the model's
   * class output is computed again on every copy of each preprocessed image moved by -N..N pixels along each
   * axis ((2N + 1)^2 passes, the unshifted one included; the pixels moved in are the input tensor's zero,
   * i.e. zero after preprocessing), and per input the renormalized geometric mean of those passes'
   * probabilities is stored beside the plain ones (src/engine/test-time-shifts.ts). Image inputs only: images,
   * or a tensor dataset's one array of images feeding the model's only input.
   */
  testTimeShifts?: number;
}

type WithoutDefault =
  | 'layers'
  | 'indices'
  | 'limit'
  | 'imageSize'
  | 'mean'
  | 'std'
  | 'classNames'
  | 'name'
  | 'unitPatterns'
  | 'labelsPath'
  | 'layerLayouts'
  | 'prefixTokens'
  | 'tensorData';

export type ResolvedOptions = Required<Omit<AnalyzeOptions, WithoutDefault>> & Pick<AnalyzeOptions, WithoutDefault>;

/** Largest side of an image the model is fed: far beyond any image model, far below what breaks memory. */
const MAX_IMAGE_SIDE = 16384;

/** `--image-size W,H` on the CLI, { width, height } in the library. */
const imageSizeField: OptionField<{ width: number; height: number }> = (() => {
  const side = wholeNumber({ example: 224, min: 1, max: MAX_IMAGE_SIDE });
  const cli = valueOption(list(side, { example: [224, 224], length: 2, placeholder: 'W,H' }), {
    flag: 'image-size',
    help: 'the input size for models that accept any image size',
  });
  const valid = (value: unknown): boolean => {
    const { width, height } = (value ?? {}) as { width?: unknown; height?: unknown };
    return typeof value === 'object' && value !== null && side.valid(width) && side.valid(height);
  };
  return {
    ...cli,
    default: undefined,
    fromCli: (raw, key) => {
      const size = cli.fromCli(raw, key);
      return size === undefined ? undefined : { width: size[0]!, height: size[1]! };
    },
    check: (value, key) => {
      if (!valid(value)) {
        throw new InputError(`${option(key)} ${JSON.stringify(value)} is not { width, height } of ${side.what.many}`, {
          hint: `write it like ${option(key, '224,224')}`,
        });
      }
      return value as { width: number; height: number };
    },
    toCli: (value) => cli.toCli([value.width, value.height]),
  };
})();

/** `--unit-patterns conv1:0,3-5` (repeatable) on the CLI, { conv1: [0, 3, 4, 5] } in the library. */
const unitPatternsField: OptionField<Record<string, number[]>> = {
  flag: 'unit-patterns',
  help: "also cluster these units' spatial maps, e.g. conv1:0,3-5 (repeatable)",
  default: undefined,
  example: 'conv1:0,3-5',
  parseAs: { type: 'string', multiple: true },
  usage: '--unit-patterns LAYER:UNITS',
  fromCli: (raw, key) =>
    raw === undefined ? undefined : parseUnitPatterns((Array.isArray(raw) ? raw : [raw]).map(String), key),
  check: (value, key) => {
    const valid =
      typeof value === 'object' &&
      value !== null &&
      Object.entries(value).every(
        ([layer, units]) =>
          layer !== '' && Array.isArray(units) && units.every((unit) => Number.isSafeInteger(unit) && unit >= 0),
      );
    if (!valid) {
      throw new InputError(`${option(key)} ${JSON.stringify(value)} is not layer -> unit numbers`, {
        hint: `write it like ${option(key, 'conv1:0,3-5')}`,
      });
    }
    return value as Record<string, number[]>;
  },
  toCli: (value) =>
    Object.entries(value).flatMap(([layer, units]) => ['--unit-patterns', `${layer}:${units.join(',')}`]),
  cliName: (value) => (value === undefined ? '--unit-patterns' : `--unit-patterns ${String(value)}`),
};

/** `layer:0,3-5` entries into layer -> units; a layer may be named more than once. */
export function parseUnitPatterns(entries: string[], key = 'unitPatterns'): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const entry of entries) {
    const at = entry.lastIndexOf(':');
    const layer = entry.slice(0, at);
    const units = entry
      .slice(at + 1)
      .split(',')
      .flatMap((part) => {
        const [from, to] = part.split('-').map((v) => (/^\s*\d+\s*$/.test(v) ? Number(v) : NaN));
        const last = to ?? from;
        if (at <= 0 || from === undefined || !Number.isInteger(from) || !Number.isInteger(last) || last! < from) {
          throw new InputError(`${option(key)} '${entry}' is not layer:units`, {
            hint: `write it like ${option(key, 'conv1:0,3-5')}`,
          });
        }
        return Array.from({ length: last! - from + 1 }, (_, i) => from + i);
      });
    out[layer] = [...(out[layer] ?? []), ...units];
  }
  return out;
}

/** The options of `analyze` and `nap analyze`: flags, rules, defaults (see src/options/schema.ts). */
/** The model-running fields every command that runs the model shares (analyze, heatmaps). */
export const BATCH_SIZE_FIELD = valueOption(wholeNumber({ example: 32, min: 1 }), {
  flag: 'batch-size',
  help: 'inputs per forward pass',
  default: 32,
});

export const THREADS_FIELD = valueOption(wholeNumber({ example: 2, min: 0, max: 1024 }), {
  flag: 'threads',
  help: 'ONNX Runtime threads; 0: all cores',
  default: 0,
});

/**
 * The largest test-time shift in pixels: 3 already runs the model's class output 49 times per input, and a
 * shift is meant to be a small jitter of the image (the built-in model was trained with shifts of 1).
 */
export const MAX_TEST_TIME_SHIFT = 3;

export const ANALYZE_OPTIONS = new OptionSchema<AnalyzeOptions>('analyze', {
  model: valueOption(text({ example: 'model.onnx', placeholder: 'FILE' }), {
    flag: 'model',
    help: 'the ONNX model (or TF.js model.json)',
    required: true,
  }),
  data: valueOption(text({ example: 'mnist', placeholder: 'SPEC' }), {
    flag: 'data',
    help: 'an image folder, a .csv/.json manifest, an IDX images file, mnist, fashion-mnist or fashion-mnist-augmented:N (N inputs: the --split images, then seeded shifts and flips of them); or data that is not images: .npy, .npz, .parquet, a .csv table, raw float32 with --shape',
    required: true,
  }),
  out: valueOption(text({ example: 'results.duckdb', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'the results file; created when missing, runs are added to it',
    required: true,
  }),
  layers: valueOption(list(text({ example: 'conv1' }), { example: ['conv1', 'fc1'], placeholder: 'a,b' }), {
    flag: 'layers',
    help: "layer tensor names (default: the model's default set, see 'nap layers')",
  }),
  aggregation: valueOption(choice(AGGREGATIONS), {
    flag: 'aggregation',
    help: 'over the spatial positions of each unit',
    default: 'mean',
  }),
  indices: libraryOption(list(wholeNumber({ example: 0 }), { example: [0, 1, 2] }), {
    help: 'exactly these dataset items, before any limit',
  }),
  limit: valueOption(wholeNumber({ example: 1000, min: 1 }), {
    flag: 'limit',
    help: 'analyze a seeded sample of N inputs (default: all)',
  }),
  seed: valueOption(seedNumber(0), {
    flag: 'seed',
    help: 'seed of the sample',
    default: 0,
  }),
  stratified: switchOption({ flag: 'stratified', help: 'keep label proportions in the sample', default: false }),
  split: valueOption(choice(FASHION_MNIST_SPLITS), {
    flag: 'split',
    help: 'Fashion-MNIST split (all: the 60,000 training then the 10,000 test images)',
    default: 'test',
  }),
  labelsPath: valueOption(text({ example: 'train-labels-idx1-ubyte.gz', placeholder: 'FILE' }), {
    flag: 'labels',
    help: 'the labels file of the dataset: of IDX images (default: found beside them), or one label per input of other data (.txt, .csv, .npy, .json)',
  }),
  batchSize: BATCH_SIZE_FIELD,
  commitRows: valueOption(wholeNumber({ example: 2048, min: 1 }), {
    flag: 'commit-every',
    help: 'inputs per store commit (an interruption loses at most this many)',
    default: 2048,
  }),
  threads: THREADS_FIELD,
  maxProbeValues: valueOption(wholeNumber({ example: 2 ** 24, min: 1 }), {
    flag: 'max-probe-values',
    help: 'most input values the layer probe may run the model on',
    default: 2 ** 24,
  }),
  device: valueOption(choice(DEVICE_OPTIONS), {
    flag: 'device',
    help: 'ONNX Runtime execution provider; auto: the first that starts',
    default: 'cpu',
  }),
  layout: inputLayoutField({ help: 'channel layout of the model input', default: 'auto' }),
  layerLayouts: layerLayoutsField,
  prefixTokens: prefixTokensField,
  'tensorData.shape': valueOption(
    list(wholeNumber({ example: 1000, min: 1 }), { example: [1000, 64], placeholder: 'N,D' }),
    {
      flag: 'shape',
      help: 'raw little-endian float32 data: its dims, items first',
    },
  ),
  'tensorData.columns': valueOption(list(text({ example: 'x1' }), { example: ['x1', 'x2'], placeholder: 'a,b,c' }), {
    flag: 'columns',
    help: "table columns of numbers fed as the model's input (default: every numeric column)",
  }),
  'tensorData.labelColumn': valueOption(text({ example: 'label', placeholder: 'NAME' }), {
    flag: 'label-column',
    help: "table column / npz key of the labels (default: 'label' or 'labels' when present)",
  }),
  'tensorData.textColumn': valueOption(text({ example: 'text', placeholder: 'NAME' }), {
    flag: 'text-column',
    help: 'table column of text, tokenized with --tokenizer into input_ids, attention_mask and token_type_ids',
  }),
  'tensorData.tokenizer': valueOption(text({ example: 'tokenizer.json', placeholder: 'FILE' }), {
    flag: 'tokenizer',
    help: 'a Hugging Face tokenizer.json (needed with --text-column)',
  }),
  'tensorData.maxLength': valueOption(wholeNumber({ example: 128, min: 1 }), {
    flag: 'max-length',
    help: 'tokens per text (default: the longest text, at most 512)',
  }),
  'tensorData.imageColumn': valueOption(text({ example: 'image', placeholder: 'NAME' }), {
    flag: 'image-column',
    help: 'table column of image paths shown for each row in the app',
  }),
  imageSize: imageSizeField,
  resize: valueOption(choice(['stretch', 'fit', 'crop'] as const), {
    flag: 'resize',
    help: 'how images are brought to the input size',
    default: 'stretch',
  }),
  scale: valueOption(realNumber({ example: 1 / 255 }), {
    flag: 'scale',
    help: 'multiplies 8-bit pixel values',
    default: 1 / 255,
  }),
  mean: valueOption(list(realNumber({ example: 0.5 }), { example: [0.485, 0.456, 0.406] }), {
    flag: 'mean',
    help: 'per-channel mean subtracted after scaling',
  }),
  std: valueOption(list(realNumber({ example: 0.25 }), { example: [0.229, 0.224, 0.225] }), {
    flag: 'std',
    help: 'per-channel std dividing after the mean',
  }),
  classNames: valueOption(list(text({ example: 'cat' }), { example: ['cat', 'dog'], placeholder: 'a,b,...' }), {
    flag: 'class-names',
    help: "names of the model's output classes (default: <model>.json labels)",
  }),
  ...hdbscanFields('clustering.'),
  clusterSpace: valueOption(CLUSTER_SPACE_RULE, {
    flag: 'cluster-space',
    help: 'where layers are clustered: raw (the paper: the activations as they are), pca:D (their first D principal components) or umap:D (a D-dim UMAP, min dist 0)',
    default: 'raw',
  }),
  unitPatterns: unitPatternsField,
  onBadImage: switchedChoice(
    { off: 'skip', on: 'fail' },
    {
      flag: 'fail-on-bad-image',
      help: 'stop at the first unreadable image (default: skip and report it)',
      default: 'skip',
    },
  ),
  topK: libraryOption(wholeNumber({ example: 16, min: 1 }), {
    help: 'max-activating inputs kept per unit and per layer',
    default: 16,
  }),
  averageImageSide: libraryOption(wholeNumber({ example: 96, min: 1, max: 4096 }), {
    help: 'largest side of stored average images',
    default: 96,
  }),
  inSample: switchOption({
    flag: 'in-sample',
    help: 'the model was trained on these inputs (nap triage then trusts its probabilities less)',
    default: false,
  }),
  testTimeShifts: valueOption(wholeNumber({ example: 1, min: 0, max: MAX_TEST_TIME_SHIFT }), {
    flag: 'test-time-shifts',
    help: "for triage: also store the model's class probabilities averaged (geometric mean) over every shift of the preprocessed image by -N..N pixels along each axis, the pixels moved in set to the input tensor's zero; 1 = 9 passes of the model's class output per input (0: off)",
    default: 0,
  }),
  name: valueOption(text({ example: 'my run' }), { flag: 'name', help: 'run name (default: <model> on <data>)' }),
  projection: valueOption(choice(PROJECTION_CHOICES), {
    flag: 'projection',
    help: '2-D map of every layer for the app (other parameters: nap project)',
    default: 'umap',
  }),
});

/**
 * The options every process of a run prepares alike (prepareAnalysis): those of `analyze` with `out` left out
 * where no results file is written (a worker of an indexed job writes shard files; see src/distributed/).
 */
export type RunOptions = Omit<AnalyzeOptions, 'out'> & { out?: string };

export type ResolvedRunOptions = Omit<ResolvedOptions, 'out'> & { out?: string };

/** ANALYZE_OPTIONS with `out` optional (see RunOptions). */
export const RUN_OPTIONS = ANALYZE_OPTIONS.withOptional<RunOptions>('out');

/** The options with their defaults, refused (naming the option) when any is invalid. */
export function resolveOptions(options: AnalyzeOptions): ResolvedOptions {
  const resolved = ANALYZE_OPTIONS.resolve(options) as ResolvedOptions;
  return { ...resolved, clustering: resolved.clustering ?? {} };
}

/** resolveOptions where `out` may be left out (see RunOptions). */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const resolved = RUN_OPTIONS.resolve(options) as ResolvedRunOptions;
  return { ...resolved, clustering: resolved.clustering ?? {} };
}

/** The `nap analyze` command line that gives `options` (resolved ones included: defaults are left out). */
export function analyzeCommandLine(options: AnalyzeOptions): string[] {
  return ['nap', 'analyze', ...ANALYZE_OPTIONS.toCli(withoutDefaults(options))];
}

/** `options` without the values that equal their defaults, so a command line shows what was chosen. */
function withoutDefaults(options: AnalyzeOptions): AnalyzeOptions {
  const copy = JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
  for (const [key, field] of Object.entries(ANALYZE_OPTIONS.fields)) {
    if (field.default === undefined) continue;
    const parts = key.split('.');
    const parent = parts
      .slice(0, -1)
      .reduce<Record<string, unknown> | undefined>(
        (at, part) => at?.[part] as Record<string, unknown> | undefined,
        copy,
      );
    const last = parts[parts.length - 1]!;
    if (parent !== undefined && JSON.stringify(parent[last]) === JSON.stringify(field.default)) delete parent[last];
  }
  return copy as unknown as AnalyzeOptions;
}
