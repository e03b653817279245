import type { Matrix } from '../matrix.js';
import { lanczosTopEigenvectors } from './lanczos.js';
import { pca } from './pca.js';
import type { SeededRandom } from './random.js';
import { connectedComponents, inducedSubgraph, type SparseGraph } from './sparse-graph.js';

/** umap-learn's eigsh tolerance for the spectral layout. */
const TOLERANCE = 1e-4;
/** Lanczos basis entries kept (float32): 1e7 is 40 MB, so 100 steps at 100,000 rows. */
const BASIS_BUDGET = 1e7;
/**
 * Multiply-adds the full reorthogonalisation may cost, about steps^2 * rows: it dominates the solve
 * once the rows number in the tens of thousands. Enough for the solve to converge at 60,000 rows (on
 * Fashion-MNIST's training images 135 steps, 3 s): starting the epochs from the Ritz vectors of 64
 * steps instead (the earlier budget, 2.5e8) left conv1's map clearly less trustworthy than
 * umap-learn's (0.9756 against 0.9812 at k = 15; converged: 0.9808). Above about 100,000 rows the
 * budget cuts the solve short again.
 */
const REORTHOGONALIZATION_BUDGET = 1.5e9;
const MAX_STEPS = 300;
const MIN_STEPS = 30;

/**
 * umap-learn's spectral initialisation in 2-D: the eigenvectors of the normalised Laplacian
 * I - D^-1/2 W D^-1/2 with the 2nd and 3rd smallest eigenvalues. A disconnected graph is laid out
 * as umap-learn's multi_component_layout does: components are placed at the corners of a "meta"
 * layout and each is laid out spectrally within half the gap to its nearest neighbour. Null when
 * the eigen-solve fails (callers then fall back to a random layout, as umap-learn does).
 */
export async function spectralLayout(
  graph: SparseGraph,
  data: Matrix,
  random: SeededRandom,
  pause: () => Promise<void>,
): Promise<Float64Array | null> {
  const components = connectedComponents(graph);
  if (components.count === 1) return componentSpectral(graph, random, pause);

  const meta = metaLayout(data, components.labels, components.count);
  const layout = new Float64Array(graph.count * 2);
  for (let c = 0; c < components.count; c++) {
    const vertices = Int32Array.from(indicesOf(components.labels, c));
    const range = halfGapToNearest(meta, c, components.count);
    const sub = vertices.length > 3 ? await componentSpectral(inducedSubgraph(graph, vertices), random, pause) : null;
    let largest = 0;
    if (sub) for (const value of sub) largest = Math.max(largest, Math.abs(value));
    vertices.forEach((vertex, i) => {
      for (let d = 0; d < 2; d++) {
        const local = sub && largest > 0 ? (sub[i * 2 + d]! * range) / largest : random.next() * 2 * range - range;
        layout[vertex * 2 + d] = meta[c * 2 + d]! + local;
      }
    });
  }
  return layout;
}

async function componentSpectral(
  graph: SparseGraph,
  random: SeededRandom,
  pause: () => Promise<void>,
): Promise<Float64Array | null> {
  const { count, rowStart, columns, weights } = graph;
  const inverseSqrtDegree = new Float64Array(count);
  const trivial = new Float64Array(count);
  let norm = 0;
  for (let row = 0; row < count; row++) {
    let degree = 0;
    for (let e = rowStart[row]!; e < rowStart[row + 1]!; e++) degree += weights[e]!;
    inverseSqrtDegree[row] = degree > 0 ? 1 / Math.sqrt(degree) : 0;
    trivial[row] = Math.sqrt(degree);
    norm += degree;
  }
  if (!(norm > 0)) return null;
  for (let row = 0; row < count; row++) trivial[row]! /= Math.sqrt(norm);
  // The largest eigenvectors of D^-1/2 W D^-1/2 are the smallest of the normalised Laplacian.
  // map, not Float64Array.from(weights, fn): from goes through an iterator and a list of boxed numbers.
  const scaledWeights = weights.map((weight, e) => weight * inverseSqrtDegree[columns[e]!]!);
  const apply = (x: Float64Array, y: Float64Array): void => {
    for (let row = 0; row < count; row++) {
      let sum = 0;
      for (let e = rowStart[row]!; e < rowStart[row + 1]!; e++) sum += scaledWeights[e]! * x[columns[e]!]!;
      y[row] = sum * inverseSqrtDegree[row]!;
    }
  };
  const maxSteps = Math.max(
    MIN_STEPS,
    Math.min(MAX_STEPS, Math.floor(BASIS_BUDGET / count), Math.floor(Math.sqrt(REORTHOGONALIZATION_BUDGET / count))),
  );
  const result = await lanczosTopEigenvectors(
    apply,
    count,
    { want: 2, deflate: trivial, maxSteps, tolerance: TOLERANCE },
    random,
    pause,
  );
  if (!result) return null;
  const layout = new Float64Array(count * 2);
  for (let row = 0; row < count; row++) {
    layout[row * 2] = result.vectors[row]!;
    layout[row * 2 + 1] = result.vectors[count + row]!;
  }
  for (const value of layout) if (!Number.isFinite(value)) return null;
  return layout;
}

/**
 * Where each component goes, scaled to max |coordinate| 1. Up to 4 components take umap-learn's
 * fixed corners (+-e1, +-e2); more are placed by PCA of their centroids (umap-learn uses a spectral
 * embedding of the centroids' affinities there; PCA is the simpler stand-in for this rough placement).
 */
function metaLayout(data: Matrix, labels: Int32Array, components: number): Float64Array {
  const meta = new Float64Array(components * 2);
  if (components <= 4) {
    const corners = [1, 0, 0, 1, -1, 0, 0, -1];
    meta.set(corners.slice(0, components * 2));
    return meta;
  }
  const { dim } = data;
  const centroids = new Float32Array(components * dim);
  const sizes = new Float64Array(components);
  for (let row = 0; row < data.count; row++) {
    const c = labels[row]!;
    sizes[c]!++;
    for (let k = 0; k < dim; k++) centroids[c * dim + k]! += data.data[row * dim + k]!;
  }
  for (let c = 0; c < components; c++) for (let k = 0; k < dim; k++) centroids[c * dim + k]! /= sizes[c]!;
  const projected = dim >= 2 ? pca({ count: components, dim, data: centroids }, 2).projection : null;
  let largest = 0;
  if (projected) for (const value of projected) largest = Math.max(largest, Math.abs(value));
  for (let i = 0; i < components * 2; i++)
    meta[i] = projected && largest > 0 ? projected[i]! / largest : Math.cos(i * 2.399963);
  return meta;
}

function halfGapToNearest(meta: Float64Array, component: number, components: number): number {
  let nearest = Infinity;
  for (let other = 0; other < components; other++) {
    const distance = Math.hypot(
      meta[other * 2]! - meta[component * 2]!,
      meta[other * 2 + 1]! - meta[component * 2 + 1]!,
    );
    if (distance > 0 && distance < nearest) nearest = distance;
  }
  return Number.isFinite(nearest) ? nearest / 2 : 1;
}

function* indicesOf(labels: Int32Array, label: number): Generator<number> {
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) yield i;
}
