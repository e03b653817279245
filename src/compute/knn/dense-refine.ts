import type { DotKernel } from '../hdbscan/kernels/ort-dot.js';
import type { ScanWorkspace } from '../hdbscan/kernels/tiles.js';
import type { BlockRows } from './block-rows.js';
import type { LeafBalls } from './leaf-balls.js';
import type { LeafPartition } from './leaf-partition.js';
import type { NeighbourLists } from './neighbour-lists.js';
import { scanRectangle } from './tile-scan.js';

export interface DenseRefineOptions {
  /** Share of each leaf's rows (those with the nearest `rank`-th neighbour) whose lists are made exact. */
  share: number;
  /** The list entry that ranks density (minSamples: the core distance). */
  rank: number;
  /** Most rows one leaf's dense rows may be compared with, as a multiple of the leaf size. */
  budget: number;
  tick: () => Promise<void>;
}

/** How far above the share's quantile (relative, in distance) a row's core may be and still count as dense. */
const DENSE_MARGIN = 0.05;

/** Relative slack on the float32 ball distances, far above their rounding error where they prune. */
const SLACK = 1e-4;

/**
 * Makes the neighbour lists of the densest rows exact. HDBSCAN*'s finest clusters are the densest
 * groups of rows, and whether such a group splits into two clusters or sheds rows one by one hangs
 * on its rows' core distances and lightest edges, to the last digit: these must not be approximate.
 * For each leaf (of the first tree, which compared its own rows already), its `share` densest rows
 * get a bounding ball (centre c, radius r), and every other row u is compared with them unless
 * |u - c| - r, a lower bound on its distance to each of them, already exceeds all their current last
 * neighbours: first whole leaves by their balls, then the rows of the leaves left one by one. Rows
 * of other clusters, and scattered noise, fall to these bounds even in many dimensions, where
 * leaves overlap; what is left is about the dense rows' own cluster. `budget` caps the rows compared
 * per leaf (the lists then stay approximate, which the result reports).
 */
export async function refineDenseRows(
  partition: LeafPartition,
  balls: LeafBalls,
  rows: BlockRows,
  kernel: DotKernel,
  lists: NeighbourLists,
  workspace: ScanWorkspace,
  options: DenseRefineOptions,
): Promise<{ pairs: number; complete: boolean }> {
  const { order, bounds } = partition;
  const leafCount = bounds.length - 1;
  const { dim, squares } = rows;
  const { width, keys } = lists;
  let largest = 0;
  for (let leaf = 0; leaf < leafCount; leaf++) largest = Math.max(largest, bounds[leaf + 1]! - bounds[leaf]!);
  const denseBlock = new Float32Array(largest * dim);
  const leafBlock = new Float32Array(largest * dim);
  const candidateBlock = new Float32Array(largest * dim);
  const centre = new Float32Array(dim);
  const leafDots = new Float32Array(leafCount);
  const rowDots = new Float32Array(largest);
  const candidates = new Int32Array(largest);
  const centroidSquares = new Float64Array(leafCount);
  for (let other = 0; other < leafCount; other++) {
    centroidSquares[other] = squaredNorm(balls.centroids.subarray(other * dim, (other + 1) * dim));
  }
  let pairs = 0;
  let complete = true;
  for (let leaf = 0; leaf < leafCount; leaf++) {
    const members = order.subarray(bounds[leaf]!, bounds[leaf + 1]!);
    for (const dense of tightGroups(densest(members, lists, options.rank, options.share), rows, lists, denseBlock)) {
      const denseVectors = rows.rows(dense, 0, dense.length, denseBlock);
      const radius = enclose(denseVectors, dense.length, dim, centre);
      const centreSquare = squaredNorm(centre);
      let farthest = 0;
      for (const row of dense) farthest = Math.max(farthest, keys[row * width]!);
      // A row u can enter a dense row's list only if |u - c| - r < sqrt(farthest key).
      const reach = (Math.sqrt(farthest) + radius) * (1 + SLACK);
      const apart = (squared: number): number => Math.sqrt(Math.max(0, squared)) * (1 - SLACK);
      await kernel.dot(balls.centroids, leafCount, centre, 1, dim, leafDots);
      let filled = 0;
      let spent = 0;
      const flush = async (): Promise<void> => {
        if (filled === 0) return;
        const ids = candidates.subarray(0, filled);
        const vectors = rows.rows(ids, 0, filled, candidateBlock);
        await kernel.dot(denseVectors, dense.length, vectors, filled, dim, workspace.tile);
        scanRectangle(workspace, dense, ids, rows.norms, lists);
        pairs += dense.length * filled;
        filled = 0;
      };
      const limit = options.budget * largest;
      for (let other = 0; other < leafCount && spent < limit; other++) {
        // The leaf itself was multiplied whole by the first tree.
        if (other === leaf) continue;
        const centres = apart(centroidSquares[other]! + centreSquare - 2 * leafDots[other]!);
        if (centres - balls.radii[other]! >= reach) continue;
        const start = bounds[other]!;
        const size = bounds[other + 1]! - start;
        const vectors = rows.rows(order, start, start + size, leafBlock);
        await kernel.dot(vectors, size, centre, 1, dim, rowDots);
        for (let i = 0; i < size; i++) {
          const row = order[start + i]!;
          if (apart(squares[row]! + centreSquare - 2 * rowDots[i]!) >= reach) continue;
          if (spent === limit) {
            complete = false;
            break;
          }
          spent++;
          candidates[filled++] = row;
          if (filled === largest) await flush();
        }
      }
      await flush();
    }
    await options.tick();
  }
  return { pairs, complete };
}

/**
 * Splits a leaf's dense rows into groups whose bounding balls are tight against their neighbour
 * distances (a leaf may hold the dense rows of several clusters, whose one ball would prune
 * nothing): a group wider than its rows' farthest listed neighbour is cut in two around its
 * two most distant rows, again until it is tight or has one row.
 */
function tightGroups(dense: Int32Array, rows: BlockRows, lists: NeighbourLists, scratch: Float32Array): Int32Array[] {
  const { dim } = rows;
  const centre = new Float32Array(dim);
  const groups: Int32Array[] = [];
  const pending = [dense];
  while (pending.length > 0) {
    const group = pending.pop()!;
    const vectors = rows.rows(group, 0, group.length, scratch);
    const radius = enclose(vectors, group.length, dim, centre);
    let farthest = 0;
    for (const row of group) farthest = Math.max(farthest, lists.keys[row * lists.width]!);
    if (group.length < 2 || radius <= Math.sqrt(farthest)) {
      groups.push(group);
      continue;
    }
    const distanceTo = (i: number, point: Float32Array, at: number): number => {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += (vectors[i * dim + k]! - point[at + k]!) ** 2;
      return sum;
    };
    let a = 0;
    for (let i = 1; i < group.length; i++) if (distanceTo(i, centre, 0) > distanceTo(a, centre, 0)) a = i;
    let b = a === 0 ? 1 : 0;
    for (let i = 0; i < group.length; i++) if (distanceTo(i, vectors, a * dim) > distanceTo(b, vectors, a * dim)) b = i;
    const near: number[] = [];
    const far: number[] = [];
    for (let i = 0; i < group.length; i++) {
      (distanceTo(i, vectors, a * dim) <= distanceTo(i, vectors, b * dim) ? near : far).push(group[i]!);
    }
    pending.push(Int32Array.from(near), Int32Array.from(far));
  }
  return groups;
}

/** Writes the centroid of `count` rows to `centre`; returns the largest distance of a row to it. */
function enclose(vectors: Float32Array, count: number, dim: number, centre: Float32Array): number {
  const sums = new Float64Array(dim);
  for (let i = 0, at = 0; i < count; i++) for (let k = 0; k < dim; k++, at++) sums[k]! += vectors[at]!;
  for (let k = 0; k < dim; k++) centre[k] = sums[k]! / count;
  let radius = 0;
  for (let i = 0, at = 0; i < count; i++) {
    let sum = 0;
    for (let k = 0; k < dim; k++, at++) sum += (vectors[at]! - centre[k]!) ** 2;
    radius = Math.max(radius, sum);
  }
  return Math.sqrt(radius);
}

function squaredNorm(vector: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < vector.length; k++) sum += vector[k]! * vector[k]!;
  return sum;
}

/**
 * The rows of `members` whose `rank`-th listed key is within DENSE_MARGIN of the `share` quantile
 * of the leaf: the densest share, plus those the approximate lists may have ranked too low (in
 * many dimensions the cores of one cluster differ by less than their approximation errors).
 */
function densest(members: Int32Array, lists: NeighbourLists, rank: number, share: number): Int32Array {
  const { width, keys } = lists;
  const density = new Float64Array(members.length);
  members.forEach((row, i) => {
    const sorted = Float32Array.from(keys.subarray(row * width, (row + 1) * width)).sort();
    density[i] = sorted[Math.min(width, rank) - 1]!;
  });
  const sorted = Float64Array.from(density).sort();
  const quantile = sorted[Math.min(members.length - 1, Math.max(0, Math.ceil(members.length * share) - 1))]!;
  // Keys are squared distances for euclidean: the margin applies to the distance.
  const threshold = quantile * (1 + DENSE_MARGIN) ** 2;
  return Int32Array.from(members.filter((_, i) => density[i]! <= threshold));
}
