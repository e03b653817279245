import type { Matrix } from '../matrix.js';
import type { TaskControl } from '../../progress.js';
import type { DotKernels } from './kernels/dot-kernel.js';

/** Distance between two rows: euclidean (L2), cosine (1 - cosine similarity, as sklearn) or manhattan (L1). */
export type Metric = 'euclidean' | 'cosine' | 'manhattan';

/**
 * The mutual-reachability minimum spanning tree as hdbscan's `mst_linkage_core` records it:
 * N-1 edges in the order Prim's algorithm added them. `from[k]` is the node added at step k
 * (not necessarily the true MST parent of `to[k]`), `to[k]` the node added at step k+1.
 */
export interface PrimTree {
  from: Int32Array;
  to: Int32Array;
  weight: Float64Array;
}

/** Where hdbscan() keeps its spanning tree between runs (see HdbscanOptions.treeCheckpoint). */
export interface TreeCheckpoint {
  /** The tree kept by an earlier run of the same rows and parameters, if any. */
  load(): Promise<PrimTree | undefined>;
  save(tree: PrimTree): Promise<void>;
}

export interface MstResult {
  tree: PrimTree;
  /** Distance of each point to its minSamples-th nearest neighbour, excluding itself. */
  coreDistances: Float64Array;
}

/**
 * Builds the exact mutual-reachability MST of `matrix`; pluggable so a faster exact builder can
 * replace the reference. `hdbscan()` passes `minSamples` already clamped to [1, N-1]. Distances are
 * float64 computed from the float32 input; mrd(a, b) = max(core_a, core_b, d(a, b)).
 */
export type MstBuilder = (matrix: Matrix, options: MstOptions, control?: TaskControl) => Promise<MstResult>;

export interface MstOptions {
  minSamples: number;
  metric: Metric;
  /** The tile products' kernels (see DotKernels); default: plain JavaScript. */
  kernels?: DotKernels | undefined;
}

/**
 * scipy-style single-linkage dendrogram: row k merges nodes `left[k]` and `right[k]` at
 * `distance[k]` into a node of `size[k]` points whose id is N + k (points are 0 .. N-1).
 */
export interface SingleLinkageTree {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
  size: Int32Array;
}

/**
 * hdbscan's condensed tree: each row says `child` (a point < N, or a cluster id >= N) leaves
 * cluster `parent` at density `lambda` (1 / distance; Infinity at distance 0). The root cluster is N.
 */
export interface CondensedTree {
  parent: Int32Array;
  child: Int32Array;
  lambda: Float64Array;
  childSize: Int32Array;
}
