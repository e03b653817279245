/**
 * Picking what a command on a results file works on: the run (default the newest), a layer of it, a
 * layer clustering (default the newest), and the run's dataset with the item of each stored input path.
 */
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { isBuiltInDataset, openDataset, type FashionMnistSplit } from '../io/datasets/open.js';
import type { Dataset } from '../io/datasets/types.js';
import type { ClusteringRecord, LayerInfo, RunRecord, StoreReader } from '../io/store/index.js';

export async function pickRun(store: StoreReader, runId: number | undefined): Promise<RunRecord> {
  if (runId !== undefined) return store.getRun(runId);
  const runs = await store.listRuns();
  const newest = runs[runs.length - 1];
  if (newest === undefined)
    throw new NotFoundError(`store ${store.path} holds no runs`, {
      hint: 'analyze a model into it first (nap analyze)',
    });
  return newest;
}

export async function pickLayer(store: StoreReader, runId: number, layer: string): Promise<LayerInfo> {
  const layers = await store.listLayers(runId);
  const found = layers.find((info) => info.layer === layer);
  if (found === undefined) {
    throw new NotFoundError(`layer ${JSON.stringify(layer)} is not in run ${runId}`, {
      hint: `layers of run ${runId}: ${layers.map((info) => info.layer).join(', ') || 'none'}`,
    });
  }
  return found;
}

export async function pickClustering(
  store: StoreReader,
  runId: number,
  layer: string,
  clusteringId: number | undefined,
): Promise<ClusteringRecord> {
  const clusterings = (await store.listClusterings(runId, layer)).filter((c) => c.unit === null);
  if (clusteringId === undefined) {
    const newest = clusterings[clusterings.length - 1];
    if (newest === undefined)
      throw new NotFoundError(`layer ${JSON.stringify(layer)} of run ${runId} has no patterns yet`, {
        hint: 'cluster it first (nap analyze)',
      });
    return newest;
  }
  const found = clusterings.find((c) => c.clusteringId === clusteringId);
  if (found === undefined) {
    throw new NotFoundError(
      `clustering ${clusteringId} is not a layer clustering of ${JSON.stringify(layer)} in run ${runId}`,
      {
        hint: `its layer clusterings: ${clusterings.map((c) => c.clusteringId).join(', ') || 'none'}`,
      },
    );
  }
  return found;
}

/** The run's dataset with each stored input path's item: the spec as given, then relative to the store's folder. */
export async function openRunDataset(
  spec: string,
  split: FashionMnistSplit | undefined,
  storePath: string,
): Promise<{ dataset: Dataset; itemOfPath: Map<string, number> }> {
  const builtIn = isBuiltInDataset(spec);
  const besideStore = path.resolve(path.dirname(storePath), spec);
  const candidates =
    builtIn || path.isAbsolute(spec) || besideStore === path.resolve(spec) ? [spec] : [spec, besideStore];
  let firstError: unknown;
  for (const candidate of candidates) {
    try {
      const dataset = await openDataset(candidate, split === undefined ? {} : { split });
      return { dataset, itemOfPath: new Map(dataset.items.map((item) => [item.path, item.index])) };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}
