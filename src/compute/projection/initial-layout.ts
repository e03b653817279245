import type { Matrix } from '../matrix.js';
import { pca } from './pca.js';
import type { SeededRandom } from './random.js';
import type { SparseGraph } from './sparse-graph.js';
import { spectralLayout } from './spectral-layout.js';

export type UmapInit = 'spectral' | 'pca' | 'random';
export const UMAP_INITS: readonly UmapInit[] = ['spectral', 'pca', 'random'];

/**
 * The starting layout in `dims` dimensions (default 2), as umap-learn builds it: spectral or PCA
 * coordinates scaled to max |coordinate| 10 plus N(0, 1e-4) noise (noisy_scale_coords), or uniform on
 * [-10, 10]^dims; then every axis is rescaled to [0, 10]. Returned as float64, count x dims. `pause`
 * is awaited now and then during the spectral eigen-solve. The spectral start exists in 2-D only;
 * more dimensions start from PCA instead.
 */
export async function initialLayout(
  init: UmapInit,
  graph: SparseGraph,
  data: Matrix,
  random: SeededRandom,
  pause: () => Promise<void>,
  dims = 2,
): Promise<Float64Array> {
  let layout: Float64Array | null = null;
  if (init === 'spectral' && dims === 2) layout = await spectralLayout(graph, data, random, pause);
  else if (init !== 'random')
    layout = Float64Array.from(
      pca(data, Math.min(dims, data.dim, data.count), { seed: random.nextUint32() | 0 }).projection,
    );
  if (layout && layout.length === data.count * dims) {
    noisyScale(layout, random);
  } else {
    layout = new Float64Array(data.count * dims);
    for (let i = 0; i < layout.length; i++) layout[i] = random.next() * 20 - 10;
  }
  rescaleToBox(layout, dims);
  return layout;
}

function noisyScale(layout: Float64Array, random: SeededRandom): void {
  let largest = 0;
  for (const value of layout) largest = Math.max(largest, Math.abs(value));
  const expansion = largest > 0 ? 10 / largest : 1;
  for (let i = 0; i < layout.length; i++) layout[i] = layout[i]! * expansion + 1e-4 * random.nextGaussian();
}

function rescaleToBox(layout: Float64Array, dims: number): void {
  for (let d = 0; d < dims; d++) {
    let low = Infinity;
    let high = -Infinity;
    for (let i = d; i < layout.length; i += dims) {
      low = Math.min(low, layout[i]!);
      high = Math.max(high, layout[i]!);
    }
    const scale = high > low ? 10 / (high - low) : 0;
    for (let i = d; i < layout.length; i += dims) layout[i] = scale > 0 ? (layout[i]! - low) * scale : 5;
  }
}
