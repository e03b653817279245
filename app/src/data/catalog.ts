/** The store's runs, layers and clusterings, looked up by id and name. */
import type { ClusteringSummary, LayerSummary, RunSummary, RunsResponse } from '../../../src/results/api-types.js';
import { noteInputContents } from './tables.js';

export interface ClusteringPlace {
  run: RunSummary;
  layer: LayerSummary;
  clustering: ClusteringSummary;
}

export class Catalog {
  private readonly places = new Map<number, ClusteringPlace>();

  constructor(readonly runs: RunSummary[]) {
    for (const run of runs) {
      for (const layer of run.layers) {
        for (const clustering of layer.clusterings)
          this.places.set(clustering.clusteringId, { run, layer, clustering });
      }
    }
  }

  static of(response: RunsResponse): Catalog {
    noteInputContents(response.runs);
    return new Catalog(response.runs);
  }

  run(runId: number | null): RunSummary | undefined {
    return runId === null ? undefined : this.runs.find((run) => run.runId === runId);
  }

  layer(run: RunSummary | undefined, name: string | null): LayerSummary | undefined {
    return name === null ? undefined : run?.layers.find((layer) => layer.layer === name);
  }

  place(clusteringId: number): ClusteringPlace | undefined {
    return this.places.get(clusteringId);
  }
}

/** The clustering a layer shows by default: its newest clustering of the whole layer. */
export function defaultClustering(layer: LayerSummary): ClusteringSummary | undefined {
  return layer.clusterings.filter((c) => c.unit === null).at(-1);
}

/** Unit clusterings of a layer, newest per unit, by unit. */
export function unitClusterings(layer: LayerSummary): ClusteringSummary[] {
  const byUnit = new Map<number, ClusteringSummary>();
  for (const c of layer.clusterings) if (c.unit !== null) byUnit.set(c.unit, c);
  return [...byUnit.values()].sort((a, b) => a.unit! - b.unit!);
}

/** The route's `clustering` value that shows this clustering: null for its layer's default one. */
export function clusteringParam(place: ClusteringPlace): number | null {
  return defaultClustering(place.layer) === place.clustering ? null : place.clustering.clusteringId;
}
