import type { TaskControl } from '../../../progress.js';
import type { Matrix } from '../../matrix.js';
import { StageCheckpoint } from '../checkpoint.js';
import { SeededRandom } from '../random.js';
import { exactNeighbors } from './exact-knn.js';
import { searchRows, type KnnMetric, type NeighborGraph } from './neighbor-graph.js';
import { descentIterations, descentNeighbors } from './nn-descent.js';
import { tileCount } from './exact-tiles.js';

export type { KnnMetric, NeighborGraph } from './neighbor-graph.js';
export { KNN_METRICS, unitRows } from './neighbor-graph.js';
export { defaultThreads } from './exact-knn.js';

export type KnnMethod = 'auto' | 'exact' | 'nn-descent';
export const KNN_METHODS: readonly KnnMethod[] = ['auto', 'exact', 'nn-descent'];

/**
 * Largest count^2 * dim / 2 (multiply-adds) 'auto' spends on the exact search: about a second on
 * two cores. 10,000 rows x 64 dims is 3.2e9, 100,000 rows would be 3.2e11 and go to NN-descent.
 */
const EXACT_WORK_LIMIT = 4e9;

export interface KnnOptions {
  /** Neighbours per row, counting the row itself (umap-learn's n_neighbors). */
  k: number;
  metric: KnnMetric;
  method: KnnMethod;
  seed: number;
  /** Worker threads of the exact search. */
  threads: number;
}

export const KNN_STAGE = 'umap: nearest neighbours';

/** The k nearest neighbours of every row: exact for moderate sizes, NN-descent beyond (method 'auto'). */
export async function nearestNeighbors(matrix: Matrix, options: KnnOptions, control?: TaskControl): Promise<NeighborGraph> {
  const rows = searchRows(matrix, options.metric);
  const work = (matrix.count * matrix.count * matrix.dim) / 2;
  const exact = options.method === 'exact' || (options.method === 'auto' && work <= EXACT_WORK_LIMIT);
  if (exact) {
    const checkpoint = new StageCheckpoint(control, KNN_STAGE, tileCount(matrix.count));
    const graph = await exactNeighbors(rows, options.k, options.threads, checkpoint);
    checkpoint.finish();
    return graph;
  }
  const checkpoint = new StageCheckpoint(control, KNN_STAGE, (descentIterations(matrix.count) + 1) * matrix.count);
  const graph = await descentNeighbors(rows, options.k, new SeededRandom(options.seed), checkpoint);
  checkpoint.finish();
  return graph;
}
