/**
 * The app's "Keep this clustering" (POST /api/clusterings/C/keep on nap serve --writable): the re-cut is
 * stored by `recluster`, the code of `nap recluster`, so the result is the one the command stores.
 */
import type { SelectionMethod } from '../compute/hdbscan/selection.js';
import type { NapStore } from '../io/store/index.js';
import type { KeptClustering } from '../results/api-types.js';
import { recluster } from './recluster.js';

/** Stores the re-cut of clustering `clusteringId` with nap recluster's code; the caller serialises writes. */
export async function keepRecut(
  store: NapStore,
  clusteringId: number,
  request: { minClusterSize: number; selection: SelectionMethod; epsilon: number },
): Promise<KeptClustering> {
  const source = await store.getClustering(clusteringId);
  const result = await recluster(store, {
    runId: source.runId,
    layer: source.layer,
    clusteringId,
    minClusterSize: request.minClusterSize,
    selection: request.selection,
    epsilon: request.epsilon,
  });
  return {
    clusteringId: result.clusteringId,
    sourceClusteringId: result.sourceClusteringId,
    runId: result.runId,
    layer: source.layer,
    patterns: result.patterns,
    noise: result.noise,
    existing: result.existing,
  };
}
