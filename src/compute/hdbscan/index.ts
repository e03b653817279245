import type { TaskControl } from '../../progress.js';
import type { Matrix } from '../matrix.js';
import { Checkpoint } from './checkpoint.js';
import { clampMinSamples } from './core-distances.js';
import { resolveParams, validateMatrix, type HdbscanOptions, type ResolvedHdbscanParams } from './options.js';
import { approximateMst } from './approximate/approximate-mst.js';
import { fastMst } from './fast-mst.js';
import { selectFromLinkage } from './reselect.js';
import { singleLinkage, sortEdgesByWeight } from './single-linkage.js';
import type { CondensedTree, MstResult, PrimTree, SingleLinkageTree } from './types.js';

export type { HdbscanOptions, SpanningTreeChoice } from './options.js';
export { AUTO_APPROXIMATE_ROWS, AUTO_EXACT_LIMIT_ROWS } from './options.js';
export type {
  CondensedTree,
  Metric,
  MstBuilder,
  MstOptions,
  MstResult,
  PrimTree,
  SingleLinkageTree,
  TreeCheckpoint,
} from './types.js';
export type { DotKernel, DotKernels } from './kernels/dot-kernel.js';
export { javaScriptDotKernels } from './kernels/javascript-dot.js';
export { referenceMst } from './reference-mst.js';
export { fastMst } from './fast-mst.js';
export {
  condenseAtSize,
  linkageFromMerges,
  selectFromCondensed,
  selectFromLinkage,
  TreeReselector,
  type CondensedAtSize,
  selectionParamsProblem,
  type SelectionParams,
  type TreeSelection,
} from './reselect.js';
export { approximateMst } from './approximate/approximate-mst.js';

export interface HdbscanResult {
  /** Cluster of each row, 0 .. clusterCount-1 in order of condensed-tree id; -1 = noise. */
  labels: Int32Array;
  /** Membership strength in [0, 1]; 0 for noise. */
  probabilities: Float64Array;
  /** GLOSH outlier score per row (see glosh.ts for hdbscan's quirks, kept for parity). */
  outlierScores: Float64Array;
  /** hdbscan's cluster_persistence_, one per cluster in label order. */
  persistence: Float64Array;
  clusterCount: number;
  condensedTree: CondensedTree;
  singleLinkageTree: SingleLinkageTree;
  params: ResolvedHdbscanParams;
}

const CONDENSING_STEPS = 2;

/**
 * HDBSCAN* with the semantics of the Python `hdbscan` 0.8.43 library's 'generic' algorithm
 * (exact MST, stable edge sort). All rows identical: every distance is 0 and every lambda infinite,
 * so the tree never splits: 'eom' gives one cluster (probabilities 1, outlier scores 0) when
 * allowSingleCluster is set and all noise otherwise; 'leaf' gives all noise (hdbscan does the same).
 * With the approximate spanning tree (options.spanningTree; 'auto' takes it for big inputs) the same
 * condensing, selection and scores run on a tree that is approximate, and params say so.
 */
export async function hdbscan(
  matrix: Matrix,
  options: HdbscanOptions = {},
  control?: TaskControl,
): Promise<HdbscanResult> {
  const params = resolveParams(options, matrix.count);
  validateMatrix(matrix, params.minClusterSize);
  const build = options.mst ?? (params.spanningTree === 'approximate' ? approximateMst : fastMst);
  const minSamples = clampMinSamples(matrix.count, params.minSamples);
  const kernels = options.kernels ? { kernels: options.kernels } : {};
  const tree = await spanningTree(
    () => build(matrix, { minSamples, metric: params.metric, ...kernels }, control),
    options,
  );

  const checkpoint = new Checkpoint(control, 'condensing', CONDENSING_STEPS);
  const singleLinkageTree = singleLinkage(sortEdgesByWeight(tree));
  await checkpoint.tick(1);
  const result: HdbscanResult = { ...selectFromLinkage(singleLinkageTree, params), singleLinkageTree, params };
  checkpoint.finish();
  return result;
}

async function spanningTree(
  build: () => Promise<MstResult>,
  { treeCheckpoint }: Pick<HdbscanOptions, 'treeCheckpoint'>,
): Promise<PrimTree> {
  const kept = await treeCheckpoint?.load();
  if (kept) return kept;
  const { tree } = await build();
  await treeCheckpoint?.save(tree);
  return tree;
}
