/**
 * 2-D projections of a layer's activations: UMAP (seeded, deterministic) and PCA.
 */
export { umap, UMAP_STAGES } from './umap.js';
export type { UmapOptions } from './umap-options.js';
export type { UmapInit } from './initial-layout.js';
export type { KnnMethod, KnnMetric } from './knn/index.js';
export { pca, pcaTransform, type PcaOptions, type PcaResult } from './pca.js';
export {
  labelAgreement,
  mapQuality,
  neighborPreservation,
  neighborRecall,
  planeNeighbors,
  trustworthiness,
  type MapQuality,
  type TrustworthinessOptions,
} from './quality.js';
