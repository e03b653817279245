import { InputError } from '../../errors.js';
import type { DotKernels } from '../hdbscan/kernels/dot-kernel.js';
import type { Matrix } from '../matrix.js';
import { requireFinite, requireInteger, requireOneOf } from './input-checks.js';
import { UMAP_INITS, type UmapInit } from './initial-layout.js';
import { defaultThreads, KNN_METHODS, KNN_METRICS, type KnnMethod, type KnnMetric } from './knn/index.js';

export interface UmapOptions {
  /**
   * Dimensions of the embedding; integer >= 2. Default 2 (a map). More (e.g. 10, for clustering in the
   * embedding as umap-learn's documentation does) start from PCA and run sequentially (see layout-nd.ts).
   */
  nComponents?: number;
  /** Neighbours that define each point's neighbourhood, counting the point itself (umap-learn's n_neighbors); integer >= 2. Default 15. */
  nNeighbors?: number;
  /** Smallest distance between points in the layout; 0 <= minDist <= spread. Default 0.1. */
  minDist?: number;
  /** Scale of the layout's clusters; > 0. Default 1. */
  spread?: number;
  /** Optimisation epochs; integer >= 1. Default 500 for up to 10,000 rows, 200 above (as umap-learn). */
  nEpochs?: number;
  /** Every random choice derives from it; equal seeds give bit-identical layouts. Integer. Default 42. */
  seed?: number;
  /** Default 'euclidean'. Cosine treats rows by direction only (an all-zero row is at distance 1 from all). */
  metric?: KnnMetric;
  /**
   * Reduce the rows to this many principal components before the neighbour search; 0 = off.
   * Default 50 when dim > 100, else 0. The components are fitted on at most 20,000 rows (a seeded
   * sample) and all rows projected. With cosine the rows are L2-normalised first and the search
   * then uses euclidean distance, which orders neighbours as cosine distance does.
   */
  pcaDims?: number;
  /** Starting layout. Default 'spectral' (falls back to 'random' if the eigen-solve fails). */
  init?: UmapInit;
  /**
   * Neighbour search: 'exact' (all pairs, worker threads), 'nn-descent' (approximate, for large N)
   * or 'auto' (exact while count^2 * dim / 2 <= 4e9, about 10,000 x 80). Default 'auto'.
   */
  knn?: KnnMethod;
  /** Threads of the neighbour search (exact: its ONNX Runtime GEMM and scan workers; NN-descent: its workers) and of the layout with parallelLayout; they never change the result. Integer >= 1. Default: os.availableParallelism(). */
  threads?: number;
  /**
   * Run the layout optimisation on up to 4 worker threads. The vertices are split into 4 fixed
   * blocks that see each other's positions once per epoch instead of after every sample, so the
   * result stays bit-identical for a seed whatever the thread count. About 2x faster with two free
   * cores (they meet once per epoch and share the blocks out as they come, so a thread the machine
   * holds back leaves its blocks to the other), at about the same quality: on Fashion-MNIST's
   * 60,000 training images (conv1, seeds 42, 1, 2) trustworthiness 0.9789 against the sequential
   * layout's 0.9790 (before the blocks read the last epoch's snapshot: 0.9783).
   * Default: true above 10,000 rows (where the layout takes seconds, and umap-learn's default epochs
   * drop to 200), else false: umap-learn's sequential optimisation on one thread.
   */
  parallelLayout?: boolean;
  /** Tile products of the exact neighbour search (see DotKernels); default: plain JavaScript. */
  kernels?: DotKernels | undefined;
}

/** Rows above which the layout runs on worker threads unless told otherwise (see parallelLayout). */
const PARALLEL_LAYOUT_ABOVE = 10_000;

export type ResolvedUmapOptions = Required<Omit<UmapOptions, 'kernels'>>;

/** Fills defaults (which depend on the matrix shape) and rejects bad values, naming them. */
export function resolveUmapOptions(matrix: Matrix, options: UmapOptions): ResolvedUmapOptions {
  const nComponents = options.nComponents ?? 2;
  requireInteger('nComponents', nComponents, 2);
  const nNeighbors = options.nNeighbors ?? 15;
  requireInteger('nNeighbors', nNeighbors, 2);
  const spread = options.spread ?? 1;
  requireFinite('spread', spread, (v) => v > 0, '> 0');
  const minDist = options.minDist ?? 0.1;
  requireFinite('minDist', minDist, (v) => v >= 0 && v <= spread, `in [0, spread = ${spread}]`);
  const nEpochs = options.nEpochs ?? (matrix.count <= 10_000 ? 500 : 200);
  requireInteger('nEpochs', nEpochs, 1);
  const seed = options.seed ?? 42;
  requireInteger('seed', seed, -(2 ** 31), 2 ** 32 - 1);
  const metric = options.metric ?? 'euclidean';
  requireOneOf('metric', metric, KNN_METRICS);
  const pcaDims = options.pcaDims ?? (matrix.dim > 100 ? 50 : 0);
  requireInteger('pcaDims', pcaDims, 0);
  const init = options.init ?? 'spectral';
  requireOneOf('init', init, UMAP_INITS);
  const knn = options.knn ?? 'auto';
  requireOneOf('knn', knn, KNN_METHODS);
  const threads = options.threads ?? defaultThreads();
  requireInteger('threads', threads, 1);
  const parallelLayout = options.parallelLayout ?? matrix.count > PARALLEL_LAYOUT_ABOVE;
  if (typeof parallelLayout !== 'boolean') {
    throw new InputError(`parallelLayout is ${String(parallelLayout)}`, { hint: 'use true or false' });
  }
  return {
    nComponents,
    nNeighbors,
    minDist,
    spread,
    nEpochs,
    seed,
    metric,
    pcaDims,
    init,
    knn,
    threads,
    parallelLayout,
  };
}
