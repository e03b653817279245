/** What every view gets: the URL state and the store's runs, with the run, layer and clustering in view. */
import type { ClusteringSummary, LayerSummary, RunSummary } from '../../src/results/api-types.js';
import type { Catalog } from './data/catalog.js';
import { navigate, type Route } from './route.js';

export interface ViewContext {
  route: Route;
  catalog: Catalog;
  run: RunSummary | undefined;
  layer: LayerSummary | undefined;
  /** The clustering the layer shows (route.clustering, else the layer's newest layer clustering). */
  clustering: ClusteringSummary | undefined;
}

/** Most selections that the input-patterns route is asked about (in chunks of 1,000). */
export const MAX_SELECTION = 2000;

export function toggleSelection(route: Route, inputIndex: number): void {
  const selected = route.selection.includes(inputIndex);
  const selection = selected
    ? route.selection.filter((i) => i !== inputIndex)
    : [...route.selection, inputIndex].slice(-MAX_SELECTION);
  navigate({ selection }, { replace: true });
}

export function addToSelection(route: Route, inputIndices: readonly number[]): void {
  const merged = new Set(route.selection);
  for (const index of inputIndices) merged.add(index);
  navigate({ selection: [...merged].slice(0, MAX_SELECTION) }, { replace: true });
}
