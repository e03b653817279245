import { AGGREGATIONS, type Aggregation } from '../../compute/aggregate.js';
import { analyzeActivations, type ActivationsOptions } from '../../engine/analyze-activations.js';
import { AUTO_APPROXIMATE_ROWS } from '../../compute/hdbscan/index.js';
import { analyzeOnQueue } from '../../distributed/coordinator.js';
import { analyze, type AnalyzeResult } from '../../engine/analyze.js';
import type { AnalyzeOptions } from '../../engine/config.js';
import { parseClusterSpace } from '../../engine/cluster-space.js';
import { PROJECTION_CHOICES } from '../../engine/projection-options.js';
import { CancelledError, InputError } from '../../errors.js';
import {
  choiceOption,
  numberListOption,
  numberOption,
  parseCommandArgs,
  spanningTreeOption,
  wholeNumberListOption,
  wholeNumberOption,
} from '../args.js';
import type { TensorDataOptions } from '../../io/datasets/open-tensors.js';
import { DEVICE_OPTIONS } from '../../io/onnx/device.js';
import { parseLayoutOptions } from '../layout-options.js';
import { formatCoverage, percent } from '../../engine/coverage.js';
import { createReporter } from '../progress-reporter.js';

const HELP = `Usage: nap analyze --model m.onnx --data <dir|manifest|idx|mnist|fashion-mnist|file.npy|.npz|.parquet|.csv> --out results.duckdb [options]
       nap analyze --activations acts.npy [--activations more.npz] [--labels labels.csv] --out results.duckdb

  --activations FILE        activations computed elsewhere, no model: an .npy matrix [inputs, units] per layer,
                            or an .npz / Parquet file with a layer per array / list column (repeatable)

  --layers a,b              layer tensor names (default: the model's default set, see 'nap layers')
  --aggregation mean        mean | mean_std | max | min_max | none
  --limit N --seed 0        analyze a seeded sample of N inputs (--stratified keeps label proportions)
  --split test              train | test (fashion-mnist)
  --batch-size 32 --threads N
  --device cpu              cpu | cuda | webgpu | auto (ONNX Runtime execution provider; auto: first that starts)
  --commit-every 2048       inputs per store commit (an interruption loses at most this many)
  --layout auto             auto | NCHW | NHWC (model input channel layout)
  --layout LAYER=LAYOUT     force a layer's layout: tokens | spatial | NHWC | flat (repeatable; default: from the graph)
  --aggregation cls|absmax  token layers: cls = the first token; mean, max, absmax (max |x|) over patch tokens
  --prefix-tokens N         prefix tokens (CLS, distillation, registers) of token layers (default: from the patch grid)
  --shape N,D               raw little-endian float32 data: its dims, items first
  --columns a,b,c           table columns of numbers fed as the model's input (default: every numeric column)
  --label-column label      table column / npz key of the labels (default: 'label' or 'labels' when present)
  --labels FILE             labels from a file, one per input (.txt, .csv, .npy, .json)
  --text-column text --tokenizer tokenizer.json [--max-length N]
                            tokenize a text column into input_ids, attention_mask and token_type_ids
  --image-column image      table column of image paths shown for each row in the app
  --image-size W,H          for models that accept any image size
  --resize stretch          stretch | fit | crop
  --scale 0.00392 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
  --class-names a,b,...     names of the model's output classes (default: <model>.json labels)
  --min-cluster-size 5 --min-samples 5 --selection leaf|eom --epsilon 0 --metric euclidean|cosine|manhattan
  --cluster-space raw       where layers are clustered: raw (default, the paper: the activations as they are),
                            pca:D (their first D principal components) or umap:D (a D-dim UMAP, min dist 0)
  --approximate / --exact   force / forbid the approximate spanning tree (default: approximate from ${AUTO_APPROXIMATE_ROWS} inputs)
  --unit-patterns conv1:0,3-5   also cluster these units' spatial maps (repeatable)
  --projection umap         2-D map of every layer for the app: umap | pca | none (other parameters: nap project)
  --fail-on-bad-image       stop at the first unreadable image (default: skip and report it)
  --in-sample               the model was trained on these inputs (nap triage then trusts its probabilities less)
  --queue redis://HOST:PORT coordinate: shards and layers become jobs for 'nap worker redis://HOST:PORT'
  --shards N                shards of the inputs on the queue (default one per 4,096 inputs)
  --shared DIR              folder of the shard files, the same path on every worker (default <out>.shards)
  --json                    print the result as JSON on stdout
  --quiet                   no progress output`;

/** Where a distributed analysis runs (see src/distributed/): the queue, or one shard of an indexed job. */
export interface DistributedArgs {
  queue?: string;
  shards?: number;
  shared?: string;
  /** `i/N` (nap worker only). */
  shard?: string;
}

export function parseAnalyzeArgs(
  argv: string[],
  command: 'analyze' | 'worker' = 'analyze',
):
  | {
      options: AnalyzeOptions;
      json: boolean;
      quiet: boolean;
      distributed: DistributedArgs;
      activations?: ActivationsOptions;
    }
  | 'help' {
  const { values, positionals } = parseCommandArgs(command, {
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      layers: { type: 'string' },
      aggregation: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      stratified: { type: 'boolean' },
      split: { type: 'string' },
      'batch-size': { type: 'string' },
      'commit-every': { type: 'string' },
      threads: { type: 'string' },
      device: { type: 'string' },
      layout: { type: 'string', multiple: true },
      'prefix-tokens': { type: 'string' },
      activations: { type: 'string', multiple: true },
      shape: { type: 'string' },
      columns: { type: 'string' },
      'label-column': { type: 'string' },
      labels: { type: 'string' },
      'text-column': { type: 'string' },
      tokenizer: { type: 'string' },
      'max-length': { type: 'string' },
      'image-column': { type: 'string' },
      'image-size': { type: 'string' },
      resize: { type: 'string' },
      scale: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      'class-names': { type: 'string' },
      'min-cluster-size': { type: 'string' },
      'min-samples': { type: 'string' },
      selection: { type: 'string' },
      epsilon: { type: 'string' },
      metric: { type: 'string' },
      'cluster-space': { type: 'string' },
      approximate: { type: 'boolean' },
      exact: { type: 'boolean' },
      'fail-on-bad-image': { type: 'boolean' },
      'in-sample': { type: 'boolean' },
      'unit-patterns': { type: 'string', multiple: true },
      projection: { type: 'string' },
      name: { type: 'string' },
      queue: { type: 'string' },
      shards: { type: 'string' },
      shared: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}'`, { hint: HELP });
  if (values.activations) {
    if (command === 'worker') {
      throw new InputError("nap worker extracts a model's activations; --activations has none to extract", {
        hint: 'run nap analyze --activations on one machine',
      });
    }
    if (!values.out) throw new InputError('--out is required', { hint: HELP });
    if (values.model || values.data) {
      throw new InputError('--activations replaces --model and --data', {
        hint: 'analyze either a model on a dataset or activations computed elsewhere',
      });
    }
    if (values.queue !== undefined) {
      throw new InputError("--queue distributes a model's extraction; --activations has none to distribute", {
        hint: 'run nap analyze --activations without --queue (its clustering runs in this process)',
      });
    }
  }
  const required = values.activations
    ? []
    : command === 'analyze'
      ? (['model', 'data', 'out'] as const)
      : (['model', 'data'] as const);
  for (const name of required) {
    if (!values[name]) throw new InputError(`--${name} is required`, { hint: HELP });
  }
  const distributed = distributedArgs(command, values);
  const imageSize = wholeNumberListOption(values['image-size'], '--image-size', {
    example: '224,224',
    min: 1,
    length: 2,
  });
  const minClusterSize = wholeNumberOption(values['min-cluster-size'], '--min-cluster-size', { example: '5', min: 1 });
  const minSamples = wholeNumberOption(values['min-samples'], '--min-samples', { example: '5', min: 1 });
  const epsilon = numberOption(values.epsilon, '--epsilon', { example: '0' });
  const selection = choiceOption(values.selection, '--selection', ['leaf', 'eom'] as const);
  const metric = choiceOption(values.metric, '--metric', ['euclidean', 'cosine', 'manhattan'] as const);
  const spanningTree = spanningTreeOption(values.approximate, values.exact);
  const options: AnalyzeOptions = {
    model: values.model ?? '',
    data: values.data ?? '',
    out: values.out ?? '',
    clustering: {
      ...(minClusterSize !== undefined ? { minClusterSize } : {}),
      ...(minSamples !== undefined ? { minSamples } : {}),
      ...(epsilon !== undefined ? { clusterSelectionEpsilon: epsilon } : {}),
      ...(selection ? { clusterSelectionMethod: selection } : {}),
      ...(metric ? { metric } : {}),
      ...(spanningTree ? { spanningTree } : {}),
    },
    onBadImage: values['fail-on-bad-image'] ? 'fail' : 'skip',
  };
  if (values.layers)
    options.layers = values.layers
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean);
  const aggregation = choiceOption<Aggregation>(values.aggregation, '--aggregation', AGGREGATIONS);
  if (aggregation) options.aggregation = aggregation;
  const limit = wholeNumberOption(values.limit, '--limit', { example: '1000', min: 1 });
  if (limit !== undefined) options.limit = limit;
  const seed = numberOption(values.seed, '--seed', { example: '0' });
  if (seed !== undefined) options.seed = seed;
  if (values.stratified) options.stratified = true;
  if (values['in-sample']) options.inSample = true;
  const split = choiceOption(values.split, '--split', ['train', 'test'] as const);
  if (split) options.split = split;
  const batchSize = wholeNumberOption(values['batch-size'], '--batch-size', { example: '32', min: 1 });
  if (batchSize !== undefined) options.batchSize = batchSize;
  const commitRows = wholeNumberOption(values['commit-every'], '--commit-every', { example: '2048', min: 1 });
  if (commitRows !== undefined) options.commitRows = commitRows;
  const threads = wholeNumberOption(values.threads, '--threads', { example: '2', min: 1 });
  if (threads !== undefined) options.threads = threads;
  const device = choiceOption(values.device, '--device', DEVICE_OPTIONS);
  if (device) options.device = device;
  const layouts = parseLayoutOptions(values.layout, values['prefix-tokens']);
  if (layouts.inputLayout) options.layout = layouts.inputLayout;
  if (layouts.layouts) options.layerLayouts = layouts.layouts;
  if (layouts.prefixTokens !== undefined) options.prefixTokens = layouts.prefixTokens;
  const tensorData = parseTensorDataOptions(values);
  if (Object.keys(tensorData).length > 0) options.tensorData = tensorData;
  if (imageSize) options.imageSize = { width: imageSize[0]!, height: imageSize[1]! };
  const resize = choiceOption(values.resize, '--resize', ['stretch', 'fit', 'crop'] as const);
  if (resize) options.resize = resize;
  const scale = numberOption(values.scale, '--scale', { example: '0.00392' });
  if (scale !== undefined) options.scale = scale;
  const mean = numberListOption(values.mean, '--mean', '0.485,0.456,0.406');
  if (mean) options.mean = mean;
  const std = numberListOption(values.std, '--std', '0.229,0.224,0.225');
  if (std) options.std = std;
  if (values['class-names']) options.classNames = values['class-names'].split(',').map((c) => c.trim());
  if (values.name) options.name = values.name;
  if (values['unit-patterns']) options.unitPatterns = parseUnitPatterns(values['unit-patterns']);
  const projection = choiceOption(values.projection, '--projection', PROJECTION_CHOICES);
  if (projection) options.projection = projection;
  if (values['cluster-space'] !== undefined) options.clusterSpace = parseClusterSpace(values['cluster-space']);
  const activations = values.activations
    ? {
        activations: values.activations,
        out: values.out!,
        ...(values.labels !== undefined ? { labels: values.labels } : {}),
        ...(values['label-column'] !== undefined ? { labelColumn: values['label-column'] } : {}),
        clustering: options.clustering ?? {},
        ...(options.projection ? { projection: options.projection } : {}),
        ...(options.clusterSpace ? { clusterSpace: options.clusterSpace } : {}),
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.name ? { name: options.name } : {}),
      }
    : undefined;
  return {
    options,
    json: Boolean(values.json),
    quiet: Boolean(values.quiet),
    distributed,
    ...(activations ? { activations } : {}),
  };
}

function parseTensorDataOptions(values: {
  shape?: string | undefined;
  columns?: string | undefined;
  'label-column'?: string | undefined;
  labels?: string | undefined;
  'text-column'?: string | undefined;
  tokenizer?: string | undefined;
  'max-length'?: string | undefined;
  'image-column'?: string | undefined;
}): TensorDataOptions {
  const options: TensorDataOptions = {};
  const shape = wholeNumberListOption(values.shape, '--shape', { example: '1000,64', min: 1 });
  if (shape) options.shape = shape;
  if (values.columns) options.columns = values.columns.split(',').map((c) => c.trim());
  if (values['label-column'] !== undefined) options.labelColumn = values['label-column'];
  if (values.labels !== undefined) options.labels = values.labels;
  if (values['text-column'] !== undefined) options.textColumn = values['text-column'];
  if (values.tokenizer !== undefined) options.tokenizer = values.tokenizer;
  const maxLength = wholeNumberOption(values['max-length'], '--max-length', { example: '128', min: 1 });
  if (maxLength !== undefined) options.maxLength = maxLength;
  if (values['image-column'] !== undefined) options.imageColumn = values['image-column'];
  return options;
}

function distributedArgs(
  command: 'analyze' | 'worker',
  values: { queue?: string; shards?: string; shared?: string; shard?: string },
): DistributedArgs {
  const shards = wholeNumberOption(values.shards, '--shards', { example: '16', min: 1 });
  if (command === 'analyze') {
    if (values.shard !== undefined) {
      throw new InputError('--shard belongs to nap worker', { hint: 'run one shard with nap worker --shard i/N' });
    }
    if (values.queue === undefined && (shards !== undefined || values.shared !== undefined)) {
      throw new InputError(`${shards !== undefined ? '--shards' : '--shared'} needs --queue redis://HOST:PORT`, {
        hint: 'without a queue, run the shards with nap worker --shard i/N and gather them with nap gather',
      });
    }
  } else if (values.queue !== undefined) {
    throw new InputError('nap worker takes the queue as its argument, not --queue', {
      hint: 'write it like nap worker redis://10.0.0.5:6379',
    });
  }
  return {
    ...(values.queue !== undefined ? { queue: values.queue } : {}),
    ...(shards !== undefined ? { shards } : {}),
    ...(values.shared !== undefined ? { shared: values.shared } : {}),
    ...(values.shard !== undefined ? { shard: values.shard } : {}),
  };
}

/** `layer:0,3-5` entries into layer -> units; a layer may be named more than once. */
export function parseUnitPatterns(entries: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const entry of entries) {
    const at = entry.lastIndexOf(':');
    const layer = entry.slice(0, at);
    const units = entry
      .slice(at + 1)
      .split(',')
      .flatMap((part) => {
        const [from, to] = part.split('-').map((v) => Number(v.trim()));
        const last = to ?? from;
        if (
          at <= 0 ||
          from === undefined ||
          last === undefined ||
          !Number.isInteger(from) ||
          !Number.isInteger(last) ||
          last < from
        ) {
          throw new InputError(`--unit-patterns '${entry}' is not layer:units`, {
            hint: 'write it like --unit-patterns conv1:0,3-5',
          });
        }
        return Array.from({ length: last - from + 1 }, (_, i) => from + i);
      });
    out[layer] = [...(out[layer] ?? []), ...units];
  }
  return out;
}

export function formatSummary(result: AnalyzeResult): string {
  const lines = result.layers.map(
    (l) =>
      `  ${l.layer}: ${l.patterns} patterns, ${percent(l.noise, l.inputs)} noise (${l.inputs} inputs); ${formatCoverage(l.coverage)}`,
  );
  const skipped =
    result.skipped.length > 0
      ? `\n${result.skipped.length} unreadable images were skipped, e.g. ${result.skipped[0]!.path}: ${result.skipped[0]!.reason}`
      : '';
  return `run ${result.runId}${result.reusedActivations ? ' (stored activations reused)' : ''}\n${lines.join('\n')}${skipped}`;
}

export async function runAnalyzeCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const parsed = parseAnalyzeArgs(argv);
  if (parsed === 'help') {
    console.log(HELP);
    return 0;
  }
  const reporter = createReporter(process.stderr, { quiet: parsed.quiet || parsed.json });
  const control = { onProgress: reporter.progress, ...(signal ? { signal } : {}) };
  const { queue, shards, shared } = parsed.distributed;
  try {
    const result = parsed.activations
      ? await analyzeActivations(parsed.activations, control)
      : queue === undefined
        ? await analyze(parsed.options, control)
        : await analyzeOnQueue(
            parsed.options,
            {
              address: queue,
              ...(shards !== undefined ? { shards } : {}),
              ...(shared !== undefined ? { folder: shared } : {}),
            },
            control,
          );
    reporter.done();
    console.log(parsed.json ? JSON.stringify(result, null, 2) : formatSummary(result));
    return 0;
  } catch (error) {
    reporter.done();
    if (error instanceof CancelledError) {
      console.error(`Stopped. Finished work is stored in ${parsed.options.out}: run the same command again to resume.`);
      return 130;
    }
    throw error;
  }
}
