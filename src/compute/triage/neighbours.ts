import type { TaskControl } from '../../progress.js';
import type { DotKernels } from '../hdbscan/kernels/dot-kernel.js';
import { exactNearestNeighbours } from '../hdbscan/kernels/exact-knn.js';
import type { Metric } from '../hdbscan/types.js';
import type { Matrix } from '../matrix.js';
import { nearestNeighbors, type KnnMethod } from '../projection/knn/index.js';
import type { NeighbourLists } from './neighbour-votes.js';

export interface NeighbourOptions {
  /** Neighbours per input, the input itself not counted; lowered to count - 1 for tiny layers. */
  k: number;
  metric: Metric;
  /** 'exact' or 'nn-descent' (approximate; euclidean and cosine only: manhattan is always exact). */
  method: Exclude<KnnMethod, 'auto'>;
  /** Seed of NN-descent. */
  seed: number;
  threads: number;
  /** Progress stage of the exact search. */
  stage: string;
  /** The exact search's tile products (see DotKernels); default: plain JavaScript. */
  kernels?: DotKernels | undefined;
}

/**
 * Every input's k nearest other inputs: the exact search HDBSCAN* uses for core distances, or the maps'
 * NN-descent. Ties in distance go to the smaller index (exact), so the lists never depend on input order
 * beyond that.
 */
export async function layerNeighbours(
  matrix: Matrix,
  options: NeighbourOptions,
  control?: TaskControl,
): Promise<NeighbourLists> {
  const k = Math.max(0, Math.min(options.k, matrix.count - 1));
  if (k === 0) return { count: matrix.count, k, ids: new Int32Array(0), distances: new Float32Array(0) };
  if (options.method === 'exact' || options.metric === 'manhattan') {
    const exact = await exactNearestNeighbours(
      matrix,
      { width: k, metric: options.metric, threads: options.threads, stage: options.stage, kernels: options.kernels },
      control,
    );
    return { count: matrix.count, k, ids: exact.ids, distances: Float32Array.from(exact.distances) };
  }
  const graph = await nearestNeighbors(
    matrix,
    { k: k + 1, metric: options.metric, method: 'nn-descent', seed: options.seed, threads: options.threads },
    control,
  );
  return withoutSelf(graph.indices, graph.distances, matrix.count, k + 1);
}

/** Drops each row's own entry from lists that include it (the first, or the last when it is missing). */
function withoutSelf(indices: Int32Array, distances: Float32Array, count: number, width: number): NeighbourLists {
  const k = width - 1;
  const ids = new Int32Array(count * k);
  const kept = new Float32Array(count * k);
  for (let r = 0; r < count; r++) {
    let out = r * k;
    for (let j = 0; j < width && out < (r + 1) * k; j++) {
      if (indices[r * width + j] === r) continue;
      ids[out] = indices[r * width + j]!;
      kept[out++] = distances[r * width + j]!;
    }
  }
  return { count, k, ids, distances: kept };
}
