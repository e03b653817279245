import { InputError, option } from '../../errors.js';
import {
  choice,
  OptionSchema,
  realNumber,
  switchesChoice,
  switchOption,
  valueOption,
  wholeNumber,
  type Fields,
} from '../../options/schema.js';
import type { Matrix } from '../matrix.js';
import { METRICS } from './distance.js';
import type { DotKernels } from './kernels/dot-kernel.js';
import type { SelectionMethod } from './selection.js';
import type { Metric, MstBuilder, TreeCheckpoint } from './types.js';

export interface HdbscanOptions {
  /** Smallest group of points that counts as a cluster; integer >= 2. Default 5. */
  minClusterSize?: number;
  /** Neighbours that define a point's core distance; integer >= 1, clamped to N-1. Default minClusterSize. */
  minSamples?: number;
  /** Clusters born below this distance merge upwards (hdbscan's cluster_selection_epsilon); >= 0. Default 0. */
  clusterSelectionEpsilon?: number;
  /** 'leaf' (finest clusters) or 'eom' (excess of mass). Default 'leaf'. */
  clusterSelectionMethod?: SelectionMethod;
  /** Whether the root may be selected as the only cluster. Default false. */
  allowSingleCluster?: boolean;
  /** Default 'euclidean'. */
  metric?: Metric;
  /**
   * Which mutual-reachability spanning tree: 'exact' (fastMst), 'approximate' (approximateMst:
   * neighbour graph, its forest joined exactly; euclidean and cosine) or 'auto' (default): exact
   * below AUTO_APPROXIMATE_ROWS rows, where it takes seconds, approximate from there on (exact for a metric
   * the approximate tree lacks, up to AUTO_EXACT_LIMIT_ROWS rows).
   */
  spanningTree?: SpanningTreeChoice;
  /** Spanning-tree builder; overrides spanningTree. Default: the one spanningTree names. */
  mst?: MstBuilder;
  /**
   * Tile products of the spanning tree's screens (see DotKernels); they never change the result.
   * Default: plain JavaScript; the library's hdbscan() (src/index.ts) and the engine pass ONNX Runtime's.
   */
  kernels?: DotKernels | undefined;
  /**
   * Keeps the spanning tree, the long stage, across runs: a tree it gives back is used instead of
   * building one (the caller vouches that it was built from the same rows, minSamples, metric and
   * tree path), and a built tree is handed to it before condensing.
   */
  treeCheckpoint?: TreeCheckpoint | undefined;
}

export type SpanningTreeChoice = 'auto' | 'exact' | 'approximate';

/**
 * The resolved parameters, as results and stored runs record them. `spanningTree` is present,
 * 'approximate', only where the approximate tree was used: results without it are exact (as every
 * run made before the approximate tree existed).
 */
export type ResolvedHdbscanParams = Required<
  Omit<HdbscanOptions, 'mst' | 'spanningTree' | 'kernels' | 'treeCheckpoint'>
> & {
  spanningTree?: 'approximate';
};

/**
 * From this many rows on, 'auto' takes the approximate tree (for the metrics it supports): on the 60,000
 * Fashion-MNIST training images the exact tree takes 3.4-11 s per layer of the built-in CNN (78 CPU s for
 * its 7 layers, most of a two-minute analysis) and the approximate one 1.2-2.2 s (19.9 CPU s), with the same
 * patterns within ARI 0.970-0.994 (`bench-hdbscan-layers`). Below it the exact tree takes a few seconds.
 */
export const AUTO_APPROXIMATE_ROWS = 50_000;

/**
 * From this many rows on, 'auto' refuses a metric the approximate tree lacks instead of running the exact
 * tree, whose N^2 distance work grows past minutes there.
 */
export const AUTO_EXACT_LIMIT_ROWS = 200_000;

export const SPANNING_TREES: readonly SpanningTreeChoice[] = ['auto', 'exact', 'approximate'];
export const APPROXIMATE_METRICS: readonly Metric[] = ['euclidean', 'cosine'];

const SELECTION_METHODS: readonly SelectionMethod[] = ['leaf', 'eom'];

/**
 * The HDBSCAN* parameters as options of a command: `nap cluster` and `hdbscan()` take them at the top level,
 * `nap analyze` and `analyze()` under `prefix` 'clustering.'. The one place their rules and defaults live.
 */
export function hdbscanFields(prefix = ''): Fields {
  return {
    [`${prefix}minClusterSize`]: valueOption(wholeNumber({ example: 5, min: 2 }), {
      flag: 'min-cluster-size',
      help: 'smallest group of inputs that is a pattern',
      default: 5,
    }),
    [`${prefix}minSamples`]: valueOption(wholeNumber({ example: 5, min: 1 }), {
      flag: 'min-samples',
      help: "neighbours that define an input's core distance (default: the min cluster size)",
    }),
    [`${prefix}clusterSelectionEpsilon`]: valueOption(realNumber({ example: 0, min: 0 }), {
      flag: 'epsilon',
      help: 'clusters born below this distance merge upwards; 0 turns it off',
      default: 0,
    }),
    [`${prefix}clusterSelectionMethod`]: valueOption(choice(SELECTION_METHODS), {
      flag: 'selection',
      help: 'leaf: the finest clusters; eom: excess of mass',
      default: 'leaf',
    }),
    [`${prefix}metric`]: valueOption(choice(METRICS), { flag: 'metric', help: 'distance', default: 'euclidean' }),
    [`${prefix}allowSingleCluster`]: switchOption({
      flag: 'allow-single-cluster',
      help: 'let the whole data set be one cluster',
      default: false,
    }),
    [`${prefix}spanningTree`]: switchesChoice(
      { approximate: 'approximate', exact: 'exact' },
      {
        help: `force / forbid the approximate spanning tree (euclidean, cosine; default: approximate from ${AUTO_APPROXIMATE_ROWS} rows)`,
        default: 'auto',
      },
    ),
  };
}

export const HDBSCAN_OPTIONS = new OptionSchema<HdbscanOptions>('cluster', hdbscanFields());

/**
 * Fills defaults and rejects out-of-range options, naming the option and its value; `count` (the
 * rows to cluster) decides what spanningTree 'auto' takes.
 */
export function resolveParams(options: HdbscanOptions, count: number): ResolvedHdbscanParams {
  if (options.mst !== undefined && typeof options.mst !== 'function') {
    throw new InputError(`mst is ${typeof options.mst}`, { hint: 'pass an MstBuilder function or leave it out' });
  }
  const {
    minClusterSize,
    minSamples,
    clusterSelectionEpsilon,
    clusterSelectionMethod,
    allowSingleCluster,
    metric,
    spanningTree,
  } = HDBSCAN_OPTIONS.resolve(options);
  const approximate = options.mst === undefined && usesApproximateTree(spanningTree!, metric!, count);
  return {
    minClusterSize: minClusterSize!,
    minSamples: minSamples ?? minClusterSize!,
    clusterSelectionEpsilon: clusterSelectionEpsilon!,
    clusterSelectionMethod: clusterSelectionMethod!,
    allowSingleCluster: allowSingleCluster!,
    metric: metric!,
    ...(approximate ? { spanningTree: 'approximate' as const } : {}),
  };
}

/**
 * The parameters a stored result records, checked: a result without `spanningTree` was made with the exact
 * tree (whatever its row count), one with 'approximate' with the approximate tree.
 */
export function resolveStoredParams(
  params: Omit<HdbscanOptions, 'mst' | 'spanningTree' | 'kernels' | 'treeCheckpoint'> & { spanningTree?: unknown },
): ResolvedHdbscanParams {
  const { spanningTree, ...rest } = params;
  return resolveParams({ ...rest, spanningTree: spanningTree === 'approximate' ? 'approximate' : 'exact' }, 0);
}

function usesApproximateTree(choice: SpanningTreeChoice, metric: Metric, count: number): boolean {
  if (!SPANNING_TREES.includes(choice)) {
    throw new InputError(`spanningTree is '${String(choice)}'`, { hint: `use one of: ${SPANNING_TREES.join(', ')}` });
  }
  const supported = APPROXIMATE_METRICS.includes(metric);
  if (choice === 'approximate' && !supported) {
    throw new InputError(`the approximate spanning tree does not support metric '${metric}'`, {
      hint: `use the exact tree for ${metric}, or one of the metrics ${APPROXIMATE_METRICS.join(', ')}`,
    });
  }
  if (choice === 'auto' && !supported && count >= AUTO_EXACT_LIMIT_ROWS) {
    // 'auto' never picks the exact tree where it would not finish: its N^2 distance work takes hours at 1M rows.
    throw new InputError(
      `${count} rows with metric '${metric}' would need the exact spanning tree (the approximate one supports ${APPROXIMATE_METRICS.join(', ')}), whose N^2 distance work grows past minutes from ${AUTO_EXACT_LIMIT_ROWS} rows`,
      {
        hint: `use ${option('metric', 'euclidean')} or ${option('metric', 'cosine')}, cluster fewer rows, or pass ${option('spanningTree', 'exact')} to run the exact tree anyway`,
      },
    );
  }
  return choice === 'approximate' || (choice === 'auto' && supported && count >= AUTO_APPROXIMATE_ROWS);
}

/** Rejects empty matrices, inconsistent shapes, too few rows and non-finite values (naming row and column). */
export function validateMatrix(matrix: Matrix, minClusterSize: number): void {
  const { count, dim, data } = matrix;
  if (!Number.isInteger(count) || count < 1) {
    throw new InputError(`matrix has ${String(count)} rows`, {
      hint: `cluster at least ${option('minClusterSize')} rows`,
    });
  }
  if (!Number.isInteger(dim) || dim < 1) {
    throw new InputError(`matrix has ${String(dim)} columns`, { hint: 'each row needs at least one value' });
  }
  if (!(data instanceof Float32Array) || data.length !== count * dim) {
    throw new InputError(`matrix data has ${data?.length ?? 0} values, expected ${count} x ${dim} = ${count * dim}`, {
      hint: 'pass a Float32Array of count * dim values, row-major',
    });
  }
  if (count < minClusterSize) {
    throw new InputError(`matrix has ${count} rows, fewer than ${option('minClusterSize')} ${minClusterSize}`, {
      hint: `lower ${option('minClusterSize')} or cluster more rows`,
    });
  }
  if (allFinite(data)) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / dim);
      throw new InputError(`matrix value at row ${row}, column ${i - row * dim} is ${data[i]}`, {
        hint: 'remove or replace NaN and infinite values before clustering',
      });
    }
  }
}

/**
 * Whether every value is finite: x * 0 is 0 for finite x and NaN for NaN and infinities, and NaN
 * stays in a sum. Two sums without a branch per value take about a third off the time of a
 * Number.isFinite test per value (a few milliseconds at 2000 x 2048); the value at fault is then
 * looked for only when there is one.
 */
function allFinite(data: Float32Array): boolean {
  let even = 0;
  let odd = 0;
  const pairs = data.length - (data.length % 2);
  for (let i = 0; i < pairs; i += 2) {
    even += data[i]! * 0;
    odd += data[i + 1]! * 0;
  }
  if (pairs < data.length) even += data[pairs]! * 0;
  return even + odd === 0;
}
