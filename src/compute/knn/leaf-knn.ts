import type { DotKernel, DotKernels } from '../hdbscan/kernels/dot-kernel.js';
import { ScanWorkspace } from '../hdbscan/kernels/tiles.js';
import { unitScale, type Matrix } from '../matrix.js';
import type { SeededRandom } from '../projection/random.js';
import type { BlockRows } from './block-rows.js';
import { partitionLeaves, type LeafPartition, type SplitRows } from './leaf-partition.js';
import { refineDenseRows } from './dense-refine.js';
import { leafBalls, type LeafBalls } from './leaf-balls.js';
import { LeafHelper } from './leaf-helper.js';
import { LeafTiles } from './leaf-tile.js';
import { NeighbourLists } from './neighbour-lists.js';
import { scanRectangle } from './tile-scan.js';

export interface LeafKnnOptions {
  /** Neighbours kept per row (not counting the row itself). */
  width: number;
  /** Random-projection trees; each row meets the other rows of its leaf in every tree. */
  trees: number;
  /** Largest leaf: the rows one tile product compares (leaves hold leafSize / 2 to leafSize). */
  leafSize: number;
  random: SeededRandom;
  /**
   * Leaves of the first tree each leaf is then compared with: those that hold most of its rows'
   * neighbours so far (where its rows' missing neighbours most likely are).
   */
  probes: number;
  /**
   * Kernels of a helper thread that multiplies half of every tree's leaves (see LeafHelper); none
   * when left out (this thread multiplies them all).
   */
  helper?: DotKernels;
  /** Exact lists for the densest rows (see refineDenseRows); none when left out. */
  dense?: { share: number; margin: number; rank: number; budget: number };
  /** Largest copy of the rows (in the first tree's order) kept to spare gathering blocks, in bytes. */
  copyBytes: number;
  /** Runs between leaves (progress and cancellation). */
  tick: (leavesDone: number) => Promise<void>;
  /** Called at the end of each stage with its name (timings for benchmarks). */
  lap?: (stage: string) => void;
}

export interface LeafNeighbours {
  lists: NeighbourLists;
  /** The leaves of every tree, the first tree's first. */
  leaves: LeafPartition[];
  /** The bounding balls of the first tree's leaves. */
  balls: LeafBalls;
  /** Row pairs the dense refinement multiplied, and whether it finished within its budget. */
  dense: { pairs: number; complete: boolean };
}

/** Dimensions the trees split on: wider rows are first projected down to this many. */
const SPLIT_DIMS = 24;

/**
 * Approximate k nearest neighbours from dense tile products: a forest of balanced random-projection
 * trees (split on a random projection of the rows when they are wide) and, for each leaf, one float32
 * product of the leaf with itself, whose pairs the SIMD scan offers to both rows' lists. Big leaves
 * make this mostly GEMM work, which is where the CPU is fastest; the leaves are returned, since they
 * are also the blocks the spanning tree's component search works on.
 */
export async function leafNeighbours(
  matrix: Matrix,
  rows: BlockRows,
  kernel: DotKernel,
  options: LeafKnnOptions,
): Promise<LeafNeighbours> {
  const { count, dim } = matrix;
  const width = Math.min(options.width, count - 1);
  const helperKernels = options.helper;
  const lists = new NeighbourLists(count, width, helperKernels !== undefined);
  const lap = options.lap ?? (() => {});
  const split = await splitRows(matrix, kernel, options.random, rows.metric === 'euclidean' ? rows.unit : undefined);
  lap('split rows');
  const leafSize = Math.min(options.leafSize, count);
  const block = new Float32Array(leafSize * dim);
  const workspace = new ScanWorkspace(leafSize, leafSize);
  const tiles = new LeafTiles(rows, kernel, lists, leafSize);
  const leaves: LeafPartition[] = [];
  let done = 0;
  let helper: LeafHelper | undefined;
  try {
    let next = partitionLeaves(split, leafSize, options.random);
    // The first tree's leaves are the blocks every later pass multiplies: keep its order when memory
    // allows, with their sums (their balls' centres: see leafBalls).
    rows.keepOrderedCopy(next.order, options.copyBytes, helperKernels !== undefined, next.bounds);
    if (helperKernels) helper = LeafHelper.start(rows, lists, helperKernels, leafSize, options.trees);
    lap('tree partition');
    for (let tree = 0; tree < options.trees; tree++) {
      const partition = next;
      leaves.push(partition);
      const unseen = tree === 0;
      // The helper starts on this tree's leaves while this thread partitions the next tree.
      const share = helper?.begin(partition, unseen);
      if (tree + 1 < options.trees) {
        next = partitionLeaves(split, leafSize, options.random);
        lap('tree partition');
      }
      const { order, bounds } = partition;
      if (helper && share) {
        const before = done;
        await helper.finish(share, tiles, () => options.tick(++done));
        done = before + bounds.length - 1;
      } else {
        for (let leaf = 0; leaf + 1 < bounds.length; leaf++) {
          await tiles.multiply(order, bounds[leaf]!, bounds[leaf + 1]!, unseen);
          await options.tick(++done);
        }
      }
      lap('leaf tiles');
    }
  } catch (error) {
    await helper?.close();
    throw error;
  }
  // The helper stops (after making its kernel, if it is still at it) while this thread goes on.
  const closing = helper?.close();
  try {
    if (options.probes > 0 && leaves[0]) {
      await probeNeighbourLeaves(leaves[0], rows, kernel, lists, options.probes, block, workspace, () =>
        options.tick(done),
      );
    }
    lap('probes');
    const first = leaves[0]!;
    const balls = await leafBalls(first, rows, kernel);
    lap('leaf balls');
    const dense = options.dense
      ? await refineDenseRows(first, balls, rows, kernel, lists, workspace, {
          ...options.dense,
          tick: () => options.tick(done),
        })
      : { pairs: 0, complete: true };
    lap('dense refinement');
    return { lists, leaves, balls, dense };
  } finally {
    await closing;
  }
}

/**
 * Compares each leaf with the `probes` other leaves of the same tree that hold most of its rows'
 * listed neighbours (a pair of leaves is multiplied once, for both). Where a cluster is cut by the
 * tree's splits, the leaves its pieces fell into are the ones its rows list most, so this completes
 * the neighbour lists across the cuts at the price of `probes` more passes of tile products.
 */
async function probeNeighbourLeaves(
  partition: LeafPartition,
  rows: BlockRows,
  kernel: DotKernel,
  lists: NeighbourLists,
  probes: number,
  block: Float32Array,
  workspace: ScanWorkspace,
  tick: () => Promise<void>,
): Promise<void> {
  const { order, bounds } = partition;
  const leafCount = bounds.length - 1;
  const { count, width, ids } = lists;
  const leafOf = new Int32Array(count);
  for (let leaf = 0; leaf < leafCount; leaf++)
    for (let at = bounds[leaf]!; at < bounds[leaf + 1]!; at++) leafOf[order[at]!] = leaf;
  const votes = new Int32Array(leafCount);
  const chosen = new Set<number>();
  for (let leaf = 0; leaf < leafCount; leaf++) {
    votes.fill(0);
    for (let at = bounds[leaf]!; at < bounds[leaf + 1]!; at++) {
      const row = order[at]!;
      for (let slot = row * width, end = slot + width; slot < end; slot++) {
        if (ids[slot]! >= 0) votes[leafOf[ids[slot]!]!]!++;
      }
    }
    votes[leaf] = 0;
    for (let probe = 0; probe < probes; probe++) {
      let best = -1;
      for (let other = 0; other < leafCount; other++)
        if (votes[other]! > 0 && (best < 0 || votes[other]! > votes[best]!)) best = other;
      if (best < 0) break;
      votes[best] = 0;
      chosen.add(Math.min(leaf, best) * leafCount + Math.max(leaf, best));
    }
  }
  const columnBlock = new Float32Array(block.length);
  const { dim } = rows;
  for (const code of [...chosen].sort((a, b) => a - b)) {
    const a = Math.floor(code / leafCount);
    const b = code % leafCount;
    const rowIds = order.subarray(bounds[a], bounds[a + 1]);
    const columnIds = order.subarray(bounds[b], bounds[b + 1]);
    const rowVectors = rows.rows(order, bounds[a]!, bounds[a + 1]!, block);
    const columnVectors = rows.rows(order, bounds[b]!, bounds[b + 1]!, columnBlock);
    await kernel.dot(rowVectors, rowIds.length, columnVectors, columnIds.length, dim, workspace.tile);
    scanRectangle(workspace, rowIds, columnIds, rows.norms, lists);
    await tick();
  }
}

/**
 * The rows the trees split on: the matrix itself when narrow, else a Gaussian random projection to
 * SPLIT_DIMS dimensions computed block by block with the tile kernel (scaled by a power of two so
 * that no float32 product overflows; `unit`: that power of two when known, else it is computed).
 */
async function splitRows(matrix: Matrix, kernel: DotKernel, random: SeededRandom, unit?: number): Promise<SplitRows> {
  const { count, dim, data } = matrix;
  if (dim <= SPLIT_DIMS) return { count, dim, data };
  unit ??= unitScale(data);
  const basis = new Float32Array(SPLIT_DIMS * dim);
  for (let i = 0; i < basis.length; i++) basis[i] = (random.nextGaussian() * unit) / Math.sqrt(dim);
  const projected = new Float32Array(count * SPLIT_DIMS);
  const rowsPerBlock = Math.max(1, Math.floor((1 << 22) / dim));
  for (let start = 0; start < count; start += rowsPerBlock) {
    const m = Math.min(rowsPerBlock, count - start);
    await kernel.dot(
      data.subarray(start * dim, (start + m) * dim),
      m,
      basis,
      SPLIT_DIMS,
      dim,
      projected.subarray(start * SPLIT_DIMS, (start + m) * SPLIT_DIMS),
    );
  }
  return { count, dim: SPLIT_DIMS, data: projected };
}
