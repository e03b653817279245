/** Which clustering stands for a layer's patterns: its newest layer-wide clustering (unit patterns take no part). */

/** A layer of a run and the clustering that stands for its patterns. */
export interface LayerClustering {
  layer: string;
  /** Position of the layer in the model. */
  order: number;
  clusteringId: number;
  patternCount: number;
}

/** The layers (in model order) that have a layer-wide clustering, each with its newest one (clusterings oldest first). */
export function layerClusteringsOf(
  layers: readonly { layer: string; order: number }[],
  clusterings: readonly { clusteringId: number; layer: string; unit: number | null; patternCount: number }[],
): LayerClustering[] {
  return layers.flatMap((info) => {
    const newest = clusterings.filter((c) => c.unit === null && c.layer === info.layer).at(-1);
    return newest
      ? [{ layer: info.layer, order: info.order, clusteringId: newest.clusteringId, patternCount: newest.patternCount }]
      : [];
  });
}
