import { InputError } from '../../errors.js';
import type { TaskControl } from '../../progress.js';
import type { DotKernels } from '../hdbscan/kernels/dot-kernel.js';
import { gatherRows, type Matrix } from '../matrix.js';
import { StageCheckpoint } from './checkpoint.js';
import { fitCurve } from './curve-fit.js';
import { fuzzySimplicialSet } from './fuzzy-simplicial-set.js';
import { initialLayout } from './initial-layout.js';
import { optimizeLayoutInDims } from './layout-nd.js';
import { checkMatrix } from './input-checks.js';
import { KNN_STAGE, nearestNeighbors, unitRows, type KnnMetric, type KnnOptions } from './knn/index.js';
import type { SparseGraph } from './sparse-graph.js';
import { planLayout, runLayout, type LayoutPlan } from './optimize-layout.js';
import type { EpochConstants } from './layout-epochs.js';
import { pca, pcaTransform } from './pca.js';
import { SeededRandom } from './random.js';
import { resolveUmapOptions, type ResolvedUmapOptions, type UmapOptions } from './umap-options.js';

/** Rows the optional PCA step is fitted on (a seeded sample when there are more); all rows are then projected. */
const PCA_FIT_ROWS = 20_000;

/**
 * Vertex blocks of the layout with parallelLayout (see layout-epochs.ts): blocks run on separate
 * threads and see each other's positions once per epoch. Fixed, so results do not depend on threads.
 */
const PARALLEL_LAYOUT_BLOCKS = 4;

export const UMAP_STAGES = {
  pca: 'umap: pca',
  neighbours: KNN_STAGE,
  graph: 'umap: fuzzy graph and initial layout',
  layout: 'umap: layout',
} as const;

/**
 * UMAP (McInnes et al. 2018, following umap-learn 0.5) of the rows of `matrix` into 2-D (or
 * nComponents dimensions): the
 * k-nearest-neighbour graph (exact by the shared blocked kernel of HDBSCAN*, or NN-descent for large inputs), its fuzzy
 * simplicial set, a spectral initial layout and the epochs-per-sample SGD with negative sampling
 * (sequential as in umap-learn, or on threads with parallelLayout). Returns count x nComponents coordinates,
 * row-major. Progress stages are UMAP_STAGES; aborting `control.signal` throws CancelledError.
 * Deterministic: the same matrix, options and seed give bit-identical output, whatever the
 * thread count.
 */
export async function umap(matrix: Matrix, options: UmapOptions = {}, control?: TaskControl): Promise<Float32Array> {
  const settings = resolveUmapOptions(matrix, options);
  checkMatrix(matrix, settings.nNeighbors + 1, `UMAP with nNeighbors = ${settings.nNeighbors}`);
  if (settings.pcaDims > matrix.dim) {
    throw new InputError(`pcaDims is ${settings.pcaDims} but the rows have only ${matrix.dim} values`, {
      hint: `use pcaDims <= ${matrix.dim}, or 0 to search the rows as they are`,
    });
  }
  const random = new SeededRandom(settings.seed);

  const { layout, runEpochs } = await prepareLayout(matrix, settings, options.kernels, random, control);
  await runEpochs();
  return Float32Array.from(layout);
}

/**
 * Everything before the epochs: the rows searched, the fuzzy graph, the starting layout and the arrays
 * the epochs run on. In 2-D the graph (and the PCA projection searched, if any) is garbage once those
 * arrays are made from it (this frame alone holds it), so it is not kept beside them during the epochs.
 */
async function prepareLayout(
  matrix: Matrix,
  settings: ResolvedUmapOptions,
  kernels: DotKernels | undefined,
  random: SeededRandom,
  control: TaskControl | undefined,
): Promise<{ layout: Float64Array; runEpochs: () => Promise<void> }> {
  const { data, metric } = await searchSpace(matrix, settings.pcaDims, settings.metric, settings.seed, control);
  const search: KnnOptions = {
    k: settings.nNeighbors,
    metric,
    method: settings.knn,
    seed: random.nextUint32(),
    threads: settings.threads,
    kernels,
  };
  const { graph, graphCheckpoint } = await fuzzyGraph(data, search, settings.nEpochs, control);
  await graphCheckpoint.tick(1);
  const dims = settings.nComponents;
  const layout = await initialLayout(settings.init, graph, data, random, () => graphCheckpoint.tick(1), dims);
  graphCheckpoint.finish();

  const { a, b } = fitCurve(settings.minDist, settings.spread);
  const checkpoint = new StageCheckpoint(control, UMAP_STAGES.layout, settings.nEpochs);
  const constants = {
    a,
    b,
    epochs: settings.nEpochs,
    negativeSampleRate: 5,
    repulsionStrength: 1,
    learningRate: 1,
    seed: random.nextUint32(),
  };
  if (dims !== 2) return { layout, runEpochs: epochsInDims(layout, dims, graph, constants, checkpoint) };
  const blocks = settings.parallelLayout ? PARALLEL_LAYOUT_BLOCKS : 1;
  const plan = planLayout(layout, graph, { ...constants, blocks, threads: settings.threads });
  return { layout, runEpochs: epochsOf(plan, layout, checkpoint) };
}

function epochsOf(plan: LayoutPlan, layout: Float64Array, checkpoint: StageCheckpoint): () => Promise<void> {
  return async () => {
    await runLayout(plan, layout, checkpoint);
    checkpoint.finish();
  };
}

function epochsInDims(
  layout: Float64Array,
  dims: number,
  graph: SparseGraph,
  constants: EpochConstants,
  checkpoint: StageCheckpoint,
): () => Promise<void> {
  return async () => {
    await optimizeLayoutInDims(layout, dims, graph, constants, checkpoint);
    checkpoint.finish();
  };
}

/**
 * The neighbour graph's fuzzy simplicial set, its edges too weak to be sampled in `epochs` epochs left
 * out; the neighbour lists are garbage once it is made (this frame is the only one that held them).
 */
async function fuzzyGraph(
  data: Matrix,
  search: KnnOptions,
  epochs: number,
  control: TaskControl | undefined,
): Promise<{ graph: SparseGraph; graphCheckpoint: StageCheckpoint }> {
  const neighbours = await nearestNeighbors(data, search, control);
  const graphCheckpoint = new StageCheckpoint(control, UMAP_STAGES.graph, 2);
  return { graph: fuzzySimplicialSet(neighbours, 1 / epochs), graphCheckpoint };
}

/** The rows the neighbour search sees: as given, or their leading principal components. */
async function searchSpace(
  matrix: Matrix,
  pcaDims: number,
  metric: KnnMetric,
  seed: number,
  control: TaskControl | undefined,
): Promise<{ data: Matrix; metric: KnnMetric }> {
  if (pcaDims === 0 || pcaDims === matrix.dim) return { data: matrix, metric };
  const checkpoint = new StageCheckpoint(control, UMAP_STAGES.pca, 2);
  const source = metric === 'cosine' ? { count: matrix.count, dim: matrix.dim, data: unitRows(matrix) } : matrix;
  const sample = source.count > PCA_FIT_ROWS ? sampleRows(source, PCA_FIT_ROWS, new SeededRandom(seed)) : source;
  const components = Math.min(pcaDims, sample.count);
  const fitted = pca(sample, components, { seed });
  await checkpoint.tick(1);
  const projection = sample === source ? fitted.projection : pcaTransform(source, fitted);
  checkpoint.finish();
  return { data: { count: matrix.count, dim: components, data: projection }, metric: 'euclidean' };
}

/** `size` distinct rows drawn at random (kept in their original order). */
function sampleRows(matrix: Matrix, size: number, random: SeededRandom): Matrix {
  const order = Int32Array.from({ length: matrix.count }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + random.nextInt(matrix.count - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = order.subarray(0, size).sort();
  return { count: size, dim: matrix.dim, data: gatherRows(matrix.data, matrix.dim, chosen) };
}
