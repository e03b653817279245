import { InputError } from '../../../errors.js';
import type { TaskControl } from '../../../progress.js';
import { blockRows } from '../../knn/block-rows.js';
import { leafNeighbours } from '../../knn/leaf-knn.js';
import type { Matrix } from '../../matrix.js';
import { SeededRandom } from '../../projection/random.js';
import { Checkpoint } from '../checkpoint.js';
import { clampMinSamples } from '../core-distances.js';
import { APPROXIMATE_METRICS } from '../options.js';
import { rowDistance } from '../distance.js';
import { javaScriptDotKernels } from '../kernels/javascript-dot.js';
import type { MstBuilder, MstOptions, MstResult } from '../types.js';
import { joinComponents, type JoinStats } from './join-components.js';
import { neighbourForest } from './knn-forest.js';
import { TreeEdges } from './lightest-edges.js';
import { primOrder } from './prim-order.js';
import { UnionFind } from './union-find.js';

/** Tuning knobs of {@link approximateMstWith}; the defaults are what {@link approximateMst} uses. */
export interface ApproximateMstTuning {
  /** Neighbours listed per row (at least minSamples). Default max(16, 2 minSamples). */
  width?: number;
  /** Random-projection trees whose leaves are compared. Default: {@link defaultTrees} of the row count. */
  trees?: number;
  /** Leaves each leaf of the first tree is also compared with (see leafNeighbours). Default 3 (2 above 128 dimensions). */
  leafProbes?: number;
  /** Share of each leaf's densest rows whose lists are made exact (see refineDenseRows); 0: none. Default 0.1. */
  denseShare?: number;
  /**
   * How far above the dense share's quantile (relative, in distance) a row's core may be and still
   * count as dense (see refineDenseRows). Default 0 (see DENSE_MARGIN).
   */
  denseMargin?: number;
  /** Most work of the dense refinement per leaf, in leaf-by-leaf products. Default 16. */
  denseBudget?: number;
  /** Largest second copy of the rows kept to spare gathering them, in bytes. Default 256 MiB. */
  copyBytes?: number;
  /** Largest leaf (rows per tile product). Default 512 (256 above 128 dimensions). */
  leafSize?: number;
  /**
   * Block pairs each set searches per joining round (at least 1: the round takes the lightest found).
   * Default 1: 3 changed no label of scripts/bench-hdbscan.ts's rows nor of the 70,000-row Fashion-MNIST
   * layers of scripts/bench-hdbscan-layers.ts (the same ARI to the fourth digit) and searched 2-3x as
   * many block pairs.
   */
  probes?: number;
  /** Nearby sets each set's facing rows are compared with when joining (see offerFacingRows). Default 5. */
  neighbourSets?: number;
  /**
   * Rows per set and direction in that comparison. Default 128 (32 above 128 dimensions, where each
   * product costs more: 32 changed no label of scripts/bench-hdbscan.ts's wide rows and took 15-40% of
   * the join's CPU time off at 2000 x 2048, measured under load).
   */
  facing?: number;
  /** Seed of the trees' random choices. Default 42. */
  seed?: number;
  /** Threads of the dot kernel's tile products. Default 2. */
  threads?: number;
  /**
   * Whether a helper thread multiplies half of the trees' leaves (see LeafHelper). Default: for rows
   * up to WIDE_DIMS wide whose leaves offer at least HELPER_PAIRS pairs (e.g. 50,000 x 64, not 10,000 x 64).
   */
  helper?: boolean;
  /** The clock of `stats.stages`, in milliseconds (e.g. CPU time under load). Default: performance.now. */
  clock?: () => number;
  /** Receives what the run did (for benchmarks). */
  stats?: (stats: ApproximateMstStats) => void;
}

export interface ApproximateMstStats extends JoinStats {
  /** Sets the certified neighbour forest left for joining. */
  forestSets: number;
  /** Row pairs the dense refinement multiplied, and whether it finished within its budget. */
  densePairs: number;
  denseComplete: boolean;
  /** Seconds of each stage by `tuning.clock`, in the order they ran (for benchmarks). */
  stages: Record<string, number>;
}

/**
 * Rows wider than this get smaller leaves and fewer probes: each comparison costs more,
 * and distances between wide rows concentrate, so that a row's nearest neighbours matter less.
 */
const WIDE_DIMS = 128;

/**
 * Pairs the leaves' scans offer (trees x rows x leaf size) from which a helper thread takes half of
 * the leaves, for rows up to WIDE_DIMS wide, where the single-threaded scan, not the two-threaded
 * GEMM, is most of the leaves' time. Measured on a nearly idle machine (load 1.7-2): at 50,000 x 64 the
 * helper took the leaf stage from 0.55 to 0.34 s and the fit from 1.92 to 1.70 s; at 10,000 x 2048 and
 * 10,000 x 512 it made the fit 0.04-0.16 s slower (and costs 11-29% more CPU time at 10,000 x 64,
 * 10,000 x 512 and 2000 x 2048: its thread and kernel start).
 */
const HELPER_PAIRS = 2 ** 25;

/**
 * The dense refinement's margin (see ApproximateMstTuning.denseMargin): 0, only each leaf's densest
 * share. 0.05 took in the rows the lists ranked just too low, but above WIDE_DIMS distances
 * concentrate so much that it took in 80-90% of all rows (scripts/bench-hdbscan.ts's blobs: 8,714 of
 * 10,000 at 10,000 x 2048), whose lists it made exact at 6.3 million products of 2048 dimensions, a
 * third of the fit's CPU time; 0 took 0.76 million there and changed no label at 10,000 x 2048,
 * 2000 x 2048, 10,000 x 64 or 50,000 x 64 (ARI 0.9998 against the exact path at 10,000 x 512). On the
 * 70,000-row Fashion-MNIST layers (scripts/bench-hdbscan-layers.ts) it took 6-24% off the fit's CPU
 * time for ARI 0.970-0.997 against 0.975-0.997 (measured under load).
 */
const DENSE_MARGIN = 0;

/** Rows up to which two random-projection trees are used; see {@link defaultTrees}. */
const TWO_TREE_ROWS = 16_384;

/**
 * Random-projection trees for `count` rows: 2 up to TWO_TREE_ROWS, one more per doubling beyond
 * (4 at 50,000 and 70,000 rows, 5 at 100,000, 8 at a million). The leaves keep their size while
 * the trees grow deeper, and every level of splits may cut a row's neighbours off its leaf: on
 * all 70,000 Fashion-MNIST images (scripts/bench-hdbscan-layers.ts, 7 layers) two trees left 16-37%
 * of the rows with a too-high core distance and the labels at ARI 0.927-0.978 against the exact path,
 * four 4.5-22% and ARI 0.975-0.997, for about 10% more CPU time. Two trees suffice for
 * scripts/bench-hdbscan.ts's blobs up to 10,000 rows (a third changed no label there).
 */
export function defaultTrees(count: number): number {
  return 2 + Math.max(0, Math.round(Math.log2(count / TWO_TREE_ROWS)));
}

/** Largest second copy of the rows the builder keeps to spare gathering (see BlockRows). */
const COPY_BYTES = 256 * 2 ** 20;

/**
 * An approximate mutual-reachability spanning tree:
 * 1. approximate k nearest neighbours from the leaves of a few balanced random-projection trees,
 *    one float32 tile product per leaf (see src/compute/knn/leaf-knn.ts); core distances are the
 *    minSamples-th of them, recomputed in float64;
 * 2. the minimum spanning forest of that neighbour graph under mutual reachability (Borůvka);
 * 3. its trees joined by Borůvka rounds between them over the nearest block pairs, so that the
 *    result is one spanning tree with true edges (no infinite bridges).
 * Every edge's weight is then recomputed exactly (float64, as the exact builders). The tree is
 * deterministic for a given seed, and works in O(N (D + k)) memory with no copy of the rows.
 */
export const approximateMst: MstBuilder = (matrix, options, control) =>
  approximateMstWith(matrix, options, {}, control);

export async function approximateMstWith(
  matrix: Matrix,
  options: MstOptions,
  tuning: ApproximateMstTuning = {},
  control?: TaskControl,
): Promise<MstResult> {
  const { metric } = options;
  if (metric !== 'euclidean' && metric !== 'cosine') {
    throw new InputError(`the approximate spanning tree does not support metric '${metric}'`, {
      hint: `use the exact path for ${metric}, or one of: ${APPROXIMATE_METRICS.join(', ')}`,
    });
  }
  const { count } = matrix;
  const minSamples = clampMinSamples(count, options.minSamples);
  const coreDistances = new Float64Array(count);
  const edges = new TreeEdges(count);
  if (count < 2) return { tree: edges, coreDistances };
  const width = Math.min(count - 1, Math.max(minSamples, tuning.width ?? Math.max(16, 2 * minSamples)));
  // Leaves of at least twice the list width fill every list from the first tree on.
  const wide = matrix.dim > WIDE_DIMS;
  const leafSize = Math.max(tuning.leafSize ?? (wide ? 256 : 512), 2 * (width + 1));
  const trees = tuning.trees ?? defaultTrees(count);
  const stages: Record<string, number> = {};
  const clock = tuning.clock ?? (() => performance.now());
  let lapStart = clock();
  const lap = (stage: string): void => {
    const now = clock();
    stages[stage] = (stages[stage] ?? 0) + (now - lapStart) / 1000;
    lapStart = now;
  };
  const rows = blockRows(matrix, metric);
  const distance = rowDistance(matrix, metric);
  lap('block rows');
  const kernels = options.kernels ?? javaScriptDotKernels;
  const kernel = await kernels.create(tuning.threads ?? 2);
  const helper = tuning.helper ?? (!wide && trees * count * leafSize >= HELPER_PAIRS);
  lap('dot kernel');
  let report: Omit<ApproximateMstStats, 'stages'> | undefined;
  try {
    const random = new SeededRandom(tuning.seed ?? 42);
    const leavesPerTree = Math.ceil(count / Math.max(1, Math.floor(leafSize / 2)));
    const knnCheckpoint = new Checkpoint(control, 'nearest neighbours (approximate)', trees * leavesPerTree);
    const { lists, leaves, balls, dense } = await leafNeighbours(matrix, rows, kernel, {
      width,
      trees,
      leafSize,
      random,
      probes: tuning.leafProbes ?? (wide ? 2 : 3),
      copyBytes: tuning.copyBytes ?? COPY_BYTES,
      ...(helper ? { helper: kernels } : {}),
      ...(tuning.denseShare !== 0
        ? {
            dense: {
              share: tuning.denseShare ?? 0.1,
              margin: tuning.denseMargin ?? DENSE_MARGIN,
              rank: minSamples,
              budget: tuning.denseBudget ?? 16,
            },
          }
        : {}),
      tick: (done) => knnCheckpoint.tick(Math.min(done, trees * leavesPerTree)),
      lap,
    });
    knnCheckpoint.finish();
    lists.sortRows();
    for (let row = 0; row < count; row++) {
      const neighbour = lists.ids[row * lists.width + minSamples - 1]!;
      coreDistances[row] = neighbour >= 0 ? distance(row, neighbour) : Infinity;
    }
    const reach = new Float64Array(count);
    for (let row = 0; row < count; row++) {
      const last = row * lists.width + lists.width - 1;
      const listed = lists.ids[last]! >= 0 ? rows.distance(lists.keys[last]!) : 0;
      reach[row] = Math.max(coreDistances[row]!, listed);
    }
    lap('core distances');
    const exactWeight = (a: number, b: number): number =>
      Math.max(coreDistances[a]!, coreDistances[b]!, distance(a, b));
    const sets = new UnionFind(count);
    const treeCheckpoint = new Checkpoint(control, 'spanning tree (approximate)', count - 1);
    await neighbourForest(lists, rows.distance, coreDistances, reach, sets, edges, exactWeight, treeCheckpoint);
    const forestSets = sets.sets;
    lap('forest');
    const join = await joinComponents(
      {
        rows,
        kernel,
        lists,
        core: coreDistances,
        reach,
        leaves: leaves[0]!,
        balls,
        probes: Math.max(1, tuning.probes ?? 1),
        neighbourSets: tuning.neighbourSets ?? 5,
        facing: tuning.facing ?? (wide ? 32 : 128),
        exactWeight,
      },
      sets,
      edges,
      treeCheckpoint,
    );
    treeCheckpoint.finish();
    lap('join');
    report = { forestSets, densePairs: dense.pairs, denseComplete: dense.complete, ...join };
  } finally {
    await kernel.release();
  }
  const tree = primOrder(edges, count);
  lap('release, prim order');
  if (report) tuning.stats?.({ ...report, stages });
  return { tree, coreDistances };
}
