import type { TaskControl } from '../../../progress.js';
import { exactNearestNeighbours } from '../../hdbscan/kernels/exact-knn.js';
import type { DotKernels } from '../../hdbscan/kernels/dot-kernel.js';
import type { Matrix } from '../../matrix.js';
import { availableCores } from '../../threads.js';
import { StageCheckpoint } from '../checkpoint.js';
import { requireInteger } from '../input-checks.js';
import { graphFromSortedRows, searchRows, type KnnMetric, type NeighborGraph } from './neighbor-graph.js';
import { descentIterations, descentNeighbors } from './nn-descent.js';

export type { KnnMetric, NeighborGraph } from './neighbor-graph.js';
export { KNN_METRICS, unitRows } from './neighbor-graph.js';

export type KnnMethod = 'auto' | 'exact' | 'nn-descent';
export const KNN_METHODS: readonly KnnMethod[] = ['auto', 'exact', 'nn-descent'];

/**
 * Largest count^2 * dim / 2 (multiply-adds) 'auto' spends on the exact search. 10,000 rows x 64
 * dims is 3.2e9, 100,000 rows would be 3.2e11 and go to NN-descent.
 */
const EXACT_WORK_LIMIT = 4e9;

export interface KnnOptions {
  /** Neighbours per row, counting the row itself (umap-learn's n_neighbors); 2 <= k <= count. */
  k: number;
  metric: KnnMetric;
  method: KnnMethod;
  seed: number;
  /** Worker threads: of the exact search's tile products, or of NN-descent (they do not change the result). */
  threads: number;
  /** The exact search's tile products (see DotKernels); default: plain JavaScript. */
  kernels?: DotKernels | undefined;
}

export const KNN_STAGE = 'umap: nearest neighbours';

/** Default thread count for the exact search: every core the process may use. */
export function defaultThreads(): number {
  return availableCores();
}

/**
 * The k nearest neighbours of every row: exact for moderate sizes, NN-descent beyond (method 'auto').
 * The exact search is the one HDBSCAN uses for core distances (src/compute/hdbscan/kernels), so its
 * distances are the float64 reference distances and ties go to the smaller index.
 */
export async function nearestNeighbors(
  matrix: Matrix,
  options: KnnOptions,
  control?: TaskControl,
): Promise<NeighborGraph> {
  requireInteger('k', options.k, 2, matrix.count);
  const work = (matrix.count * matrix.count * matrix.dim) / 2;
  const exact = options.method === 'exact' || (options.method === 'auto' && work <= EXACT_WORK_LIMIT);
  if (exact) {
    const lists = await exactNearestNeighbours(
      matrix,
      {
        width: options.k - 1,
        metric: options.metric,
        threads: options.threads,
        stage: KNN_STAGE,
        kernels: options.kernels,
      },
      control,
    );
    return graphFromSortedRows(lists.ids, lists.distances, matrix.count, lists.width);
  }
  const checkpoint = new StageCheckpoint(control, KNN_STAGE, (descentIterations(matrix.count) + 1) * matrix.count);
  const graph = await descentNeighbors(
    searchRows(matrix, options.metric),
    options.k,
    options.seed,
    options.threads,
    checkpoint,
  );
  checkpoint.finish();
  return graph;
}
