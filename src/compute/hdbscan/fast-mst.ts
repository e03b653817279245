import { InputError } from '../../errors.js';
import type { TaskControl } from '../../progress.js';
import type { Matrix } from '../matrix.js';
import { clampMinSamples } from './core-distances.js';
import { METRICS, rowDistance } from './distance.js';
import { certifiedPrim } from './kernels/certified-prim.js';
import { nearestNeighbours } from './kernels/neighbours.js';
import type { DotKernel } from './kernels/dot-kernel.js';
import { javaScriptDotKernels } from './kernels/javascript-dot.js';
import { prepareScreen } from './kernels/screen.js';
import { tileFiller } from './kernels/tiles.js';
import { treeNeighbours } from './kernels/tree-neighbours.js';
import { axesHolding, principalAxes, type PrincipalAxes } from '../knn/kd-tree.js';
import { MstWorkerPool } from './kernels/worker-pool.js';
import type { Metric, MstBuilder, MstOptions, MstResult } from './types.js';

/** Tuning knobs of {@link fastMstWith}; the defaults are what {@link fastMst} uses. */
export interface FastMstTuning {
  /**
   * Neighbours kept per row (at least minSamples). More make the lists certify more Prim steps on
   * their own, at the price of a little more work in the first pass. Default max(16, 2 minSamples).
   */
  listWidth?: number;
  /** Threads of the dot kernel's tile products on the calling thread. Default 2. */
  threads?: number;
  /**
   * Worker threads that share both passes (each with a one-thread dot kernel and its own copy of
   * the rows); 0 keeps the work on the calling thread, with `threads` threads for the products.
   * Default 0: on the 2-core target machine, shared with other work, the workers' start-up and
   * extra copies cost more than they gained (see scripts/bench-hdbscan.ts).
   */
  workers?: number;
  /**
   * How the neighbour lists are found: 'tiles' (one blocked pass over all pairs), 'tree' (k-d tree
   * searches; euclidean only) or 'auto' (default: see {@link treeSearchFits}).
   */
  neighbours?: 'auto' | 'tiles' | 'tree';
  /** Receives how the neighbour lists were found (for benchmarks). */
  search?: (search: 'tiles' | 'tree') => void;
  /** Receives what the run did (for benchmarks). */
  stats?: (stats: FastMstStats) => void;
}

export interface FastMstStats {
  /** Rows whose float32 bound could not certify the core distance and were rescanned. */
  rescannedRows: number;
  /** Blocked passes Prim's algorithm needed, and the pairs they multiplied on this thread. */
  flushes: number;
  flushedPairs: number;
}

/**
 * The exact mutual-reachability spanning tree, edge for edge (same order, same ties, same float64
 * weights) as `referenceMst`, in O(N D + N k) memory:
 * 1. one blocked pass of float32 tile products finds each row's nearest neighbours, certified by a
 *    rigorous bound on the float32 error and recomputed in float64, hence exact core distances;
 * 2. Prim's algorithm runs on exact keys from those lists, and flushes blocks of pairs through the
 *    same tile products only when a bound says an unseen pair could change the next step.
 * Euclidean and cosine use the dot kernels of `options.kernels` (the caller's: ONNX Runtime's SGEMM in
 * the engine and library; plain JavaScript when none are given); manhattan uses exact float64 L1 tiles.
 */
export const fastMst: MstBuilder = (matrix, options, control) => fastMstWith(matrix, options, {}, control);

export async function fastMstWith(
  matrix: Matrix,
  options: MstOptions,
  tuning: FastMstTuning = {},
  control?: TaskControl,
): Promise<MstResult> {
  validate(matrix, options);
  const { count } = matrix;
  const minSamples = clampMinSamples(count, options.minSamples);
  if (count < 2) {
    return {
      tree: { from: new Int32Array(0), to: new Int32Array(0), weight: new Float64Array(0) },
      coreDistances: new Float64Array(count),
    };
  }
  const width = Math.max(minSamples, tuning.listWidth ?? Math.max(16, 2 * minSamples));
  const workers = tuning.workers ?? 0;
  const screen = prepareScreen(matrix, options.metric, workers > 0);
  const distance = rowDistance(matrix, options.metric);
  const kernels = options.kernels ?? javaScriptDotKernels;
  const pool = workers > 0 ? MstWorkerPool.start(screen, matrix.data, workers, kernels) : undefined;
  // With workers, this thread scans tiles only while they load their kernels, on one thread.
  const kernel: DotKernel | undefined =
    screen.tile === 'dot' ? await kernels.create(pool ? 1 : (tuning.threads ?? 2)) : undefined;
  try {
    const fill = tileFiller(screen, kernel);
    const axes = treeSearchAxes(matrix, options.metric, tuning.neighbours ?? 'auto');
    tuning.search?.(axes ? 'tree' : 'tiles');
    const lists = axes
      ? await treeNeighbours(matrix, { width, minSamples, threads: tuning.threads ?? 2, axes }, control)
      : await nearestNeighbours(screen, fill, { width, minSamples, distance, parallel: pool?.neighbours }, control);
    const { from, to, weight, flushes, flushedPairs } = await certifiedPrim(
      screen,
      fill,
      lists,
      distance,
      control,
      pool?.primWorkers(),
    );
    tuning.stats?.({ rescannedRows: lists.exactRows, flushes, flushedPairs });
    return { tree: { from, to, weight }, coreDistances: lists.coreDistances };
  } finally {
    await Promise.all([pool?.close(), kernel?.release()]);
  }
}

/** Widest rows the k-d tree search is tried on: above, no spread is narrow enough to prune well. */
export const TREE_SEARCH_MAX_DIM = 64;
/**
 * 'auto' searches a k-d tree when at most this many principal axes hold 95% of the rows' variance:
 * measured on the Fashion-MNIST layers at 60,000 rows (scripts/bench-exact-layers.ts, under load), the
 * whole exact fit took 0.38-0.63x the CPU seconds with the tree at 3-6 such axes (conv1, pool1, logits),
 * 0.84-0.88x at 8 (conv2), 1.07-1.09x at 12 (pool2), 1.27x at 14 (dense) and 2.7x at 21 (conv3).
 */
export const TREE_SEARCH_MAX_SPREAD = 8;

/**
 * Fewest rows 'auto' considers the tree for: below, the blocked pass takes well under a second and
 * fitting the principal axes (about 10 ms at 2,000 x 64) would be a noticeable share of the fit.
 */
export const TREE_SEARCH_MIN_ROWS = 20_000;

/**
 * The principal axes to search a k-d tree on for the neighbour lists, or undefined where the
 * blocked pass does it: euclidean only, and for 'auto' at least TREE_SEARCH_MIN_ROWS rows of at most
 * TREE_SEARCH_MAX_DIM columns whose variance lies along at most TREE_SEARCH_MAX_SPREAD axes.
 */
export function treeSearchAxes(
  matrix: Matrix,
  metric: Metric,
  choice: 'auto' | 'tiles' | 'tree',
): PrincipalAxes | undefined {
  if (metric !== 'euclidean' || choice === 'tiles') return undefined;
  if (choice === 'auto' && (matrix.dim > TREE_SEARCH_MAX_DIM || matrix.count < TREE_SEARCH_MIN_ROWS)) return undefined;
  const axes = principalAxes(matrix.count, matrix.dim, matrix.data);
  return choice === 'tree' || axesHolding(axes, 0.95) <= TREE_SEARCH_MAX_SPREAD ? axes : undefined;
}

function validate(matrix: Matrix, options: { minSamples: number; metric: Metric }): void {
  const { count, dim, data } = matrix;
  if (!Number.isInteger(options.minSamples) || options.minSamples < 1) {
    throw new InputError(`minSamples is ${String(options.minSamples)}`, { hint: 'use an integer >= 1' });
  }
  if (!METRICS.includes(options.metric)) {
    throw new InputError(`metric is '${String(options.metric)}'`, { hint: `use one of: ${METRICS.join(', ')}` });
  }
  if (dim < 1 && count > 0)
    throw new InputError(`matrix has ${dim} columns`, { hint: 'give each row at least one value' });
  for (let i = 0; i < count * dim; i++) {
    if (!Number.isFinite(data[i])) {
      throw new InputError(`row ${Math.floor(i / dim)}, column ${i % dim} is ${data[i]}`, {
        hint: 'replace NaN and infinite values before clustering',
      });
    }
  }
}
