import type { DotKernel } from '../hdbscan/kernels/dot-kernel.js';
import type { ScanWorkspace } from '../hdbscan/kernels/tiles.js';
import type { BlockRows } from './block-rows.js';
import type { LeafBalls } from './leaf-balls.js';
import type { LeafPartition } from './leaf-partition.js';
import type { NeighbourLists } from './neighbour-lists.js';
import { scanRectangle } from './tile-scan.js';

export interface DenseRefineOptions {
  /** Share of each leaf's rows (those with the nearest `rank`-th neighbour) whose lists are made exact. */
  share: number;
  /**
   * How far above the share's quantile (relative, in distance) a row's core may be and still count
   * as dense (see densest).
   */
  margin: number;
  /** The list entry that ranks density (minSamples: the core distance). */
  rank: number;
  /** Most rows one leaf's dense rows may be compared with, as a multiple of the leaf size. */
  budget: number;
  tick: () => Promise<void>;
}

/** Most row-by-centre products one leaf's product holds (groups are taken in batches of this / leaf size). */
const DOTS_PER_PRODUCT = 2 ** 20;

/** Relative slack on the float32 ball distances, far above their rounding error where they prune. */
const SLACK = 1e-4;

/** One leaf's group of dense rows, with the ball that bounds them. */
interface DenseGroup {
  leaf: number;
  rows: Int32Array;
  /** |u - c| - radius >= reach rules row u out for every row of the group. */
  reach: number;
  /** The same test on squares, without a root per row: |u - c|^2 >= ruledOut rules u out. */
  ruledOut: number;
  centreSquare: number;
  /** Rows chosen for comparison so far (at most the budget). */
  spent: number;
  /** The group's vectors, gathered once where DENSE_COPY_BYTES allows (else again at every comparison). */
  vectors: Float32Array | undefined;
}

/**
 * Most bytes of dense rows' vectors kept between their comparisons: a group is compared with up to
 * `budget` blocks, and gathering its wide rows again for each one cost more than the products.
 */
const DENSE_COPY_BYTES = 64 * 2 ** 20;

/**
 * Makes the neighbour lists of the densest rows exact. HDBSCAN*'s finest clusters are the densest
 * groups of rows, and whether such a group splits into two clusters or sheds rows one by one hangs
 * on its rows' core distances and lightest edges, to the last digit: these must not be approximate.
 * For each leaf (of the first tree, which compared its own rows already), its `share` densest rows
 * get bounding balls (centre c, radius r; see tightGroups), and every other row u is compared with
 * a group unless |u - c| - r, a lower bound on its distance to each of its rows, already exceeds all
 * their last neighbours: first whole leaves by their balls, then the rows of the leaves left one by
 * one. Rows of other clusters, and scattered noise, fall to these bounds even in many dimensions,
 * where leaves overlap; what is left is about the dense rows' own cluster. The row bounds of all
 * groups are computed leaf by leaf, each leaf's rows against the centres of every group its ball does
 * not rule out, in one product: each leaf is read once, not once per group. `budget` caps the rows
 * compared per group (the lists then stay approximate, which the result reports).
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
  const limit = options.budget * largest;
  const denseBlock = new Float32Array(largest * dim);
  const apart = (squared: number): number => Math.sqrt(Math.max(0, squared)) * (1 - SLACK);

  const groups: DenseGroup[] = [];
  let copied = 0;
  const centreList: Float32Array[] = [];
  for (let leaf = 0; leaf < leafCount; leaf++) {
    const members = order.subarray(bounds[leaf], bounds[leaf + 1]);
    for (const dense of tightGroups(
      densest(members, lists, options.rank, options.share, options.margin),
      rows,
      lists,
      denseBlock,
    )) {
      const centre = new Float32Array(dim);
      const keep = copied + 4 * dense.length * dim <= DENSE_COPY_BYTES;
      const vectors = rows.rows(dense, 0, dense.length, keep ? new Float32Array(dense.length * dim) : denseBlock);
      if (keep) copied += 4 * vectors.length;
      const radius = enclose(vectors, dense.length, dim, centre);
      let farthest = 0;
      for (const row of dense) farthest = Math.max(farthest, keys[row * width]!);
      // A row u can enter a dense row's list only if |u - c| - r < sqrt(farthest key).
      const reach = (Math.sqrt(farthest) + radius) * (1 + SLACK);
      groups.push({
        leaf,
        rows: dense,
        reach,
        ruledOut: (reach / (1 - SLACK)) ** 2,
        centreSquare: squaredNorm(centre),
        spent: 0,
        vectors: keep ? vectors : undefined,
      });
      centreList.push(centre);
    }
  }
  const groupCount = groups.length;
  if (groupCount === 0) return { pairs: 0, complete: true };
  const centres = new Float32Array(groupCount * dim);
  centreList.forEach((centre, g) => centres.set(centre, g * dim));
  const leafDots = new Float32Array(leafCount * groupCount);
  await kernel.dot(balls.centroids, leafCount, centres, groupCount, dim, leafDots);
  // Rows chosen for each group, compared with it `largest` at a time.
  const chosen = groups.map(() => new Int32Array(largest));
  const filled = new Int32Array(groupCount);
  const candidateBlock = new Float32Array(largest * dim);
  let pairs = 0;
  const compare = async (g: number): Promise<void> => {
    const count = filled[g]!;
    if (count === 0) return;
    const dense = groups[g]!.rows;
    const ids = chosen[g]!.subarray(0, count);
    const denseVectors = groups[g]!.vectors ?? rows.rows(dense, 0, dense.length, denseBlock);
    await kernel.dot(denseVectors, dense.length, rows.rows(ids, 0, count, candidateBlock), count, dim, workspace.tile);
    scanRectangle(workspace, dense, ids, rows.norms, lists);
    pairs += dense.length * count;
    filled[g] = 0;
  };
  let complete = true;

  // Leaf by leaf: the groups its ball does not rule out, then its rows against their centres.
  const batch = Math.max(1, Math.min(groupCount, Math.floor(DOTS_PER_PRODUCT / largest)));
  const passing = new Int32Array(groupCount);
  const passingCentres = new Float32Array(batch * dim);
  const dots = new Float32Array(largest * batch);
  const leafBlock = new Float32Array(largest * dim);
  const choice: RowChoice = { next: 0, taken: 0, spent: 0 };
  for (let other = 0; other < leafCount; other++) {
    const centroidSquare = squaredNorm(balls.centroids.subarray(other * dim, (other + 1) * dim));
    let passed = 0;
    for (let g = 0; g < groupCount; g++) {
      const group = groups[g]!;
      // The group's own leaf was multiplied whole by the first tree; a full group looks no further.
      if (group.leaf === other || group.spent === limit) continue;
      const between = apart(centroidSquare + group.centreSquare - 2 * leafDots[other * groupCount + g]!);
      if (between - balls.radii[other]! < group.reach) passing[passed++] = g;
    }
    const start = bounds[other]!;
    const size = bounds[other + 1]! - start;
    const vectors = passed > 0 ? rows.rows(order, start, start + size, leafBlock) : leafBlock;
    for (let first = 0; first < passed; first += batch) {
      const count = Math.min(batch, passed - first);
      for (let p = 0; p < count; p++) {
        const g = passing[first + p]!;
        passingCentres.set(centres.subarray(g * dim, (g + 1) * dim), p * dim);
      }
      await kernel.dot(vectors, size, passingCentres, count, dim, dots);
      for (let p = 0; p < count; p++) {
        const g = passing[first + p]!;
        const group = groups[g]!;
        const { centreSquare, ruledOut } = group;
        const ids = chosen[g]!;
        // Rows are chosen in a plain function, left only to compare a full batch.
        choice.next = 0;
        while (choice.next < size) {
          choice.taken = filled[g]!;
          choice.spent = group.spent;
          if (chooseRows(order, start, size, squares, dots, count, p, centreSquare, ruledOut, ids, limit, choice)) {
            complete = false;
          }
          group.spent = choice.spent;
          filled[g] = choice.taken;
          if (choice.taken === largest) await compare(g);
        }
      }
    }
    await options.tick();
  }
  for (let g = 0; g < groupCount; g++) await compare(g);
  return { pairs, complete };
}

/** Where one group's choice of a leaf's rows stands: the next row, rows taken into its batch, rows spent of its budget. */
interface RowChoice {
  next: number;
  taken: number;
  spent: number;
}

/**
 * Takes into `ids` the rows of `order[start, start + size)`, from `choice.next` on, that the
 * group's ball does not rule out (`dots`: the rows' products with its centre, column `p` of
 * `count`), until the batch is full (ids.length rows) or the budget `limit` is spent (then it
 * returns true and ends the leaf). Kept apart from the async loop that calls it, which V8
 * optimises late and deoptimises often: a plain function's loop is optimised once and stays so.
 */
function chooseRows(
  order: Int32Array,
  start: number,
  size: number,
  squares: Float64Array,
  dots: Float32Array,
  count: number,
  p: number,
  centreSquare: number,
  ruledOut: number,
  ids: Int32Array,
  limit: number,
  choice: RowChoice,
): boolean {
  const largest = ids.length;
  let { next: i, taken, spent } = choice;
  let exhausted = false;
  for (; i < size; i++) {
    const row = order[start + i]!;
    // As apart(...) >= reach, on squares (the same bound, without a square root per row).
    if (Math.max(0, squares[row]! + centreSquare - 2 * dots[i * count + p]!) >= ruledOut) continue;
    if (spent === limit) {
      exhausted = true;
      i = size;
      break;
    }
    spent++;
    ids[taken++] = row;
    if (taken === largest) {
      i++;
      break;
    }
  }
  choice.next = i;
  choice.taken = taken;
  choice.spent = spent;
  return exhausted;
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
    // Each distance is computed once (at 2048 dimensions these loops were a third of the refinement).
    let a = 0;
    for (let i = 1, farthestSquare = distanceTo(0, centre, 0); i < group.length; i++) {
      const square = distanceTo(i, centre, 0);
      if (square > farthestSquare) [a, farthestSquare] = [i, square];
    }
    const fromA = new Float64Array(group.length);
    for (let i = 0; i < group.length; i++) fromA[i] = distanceTo(i, vectors, a * dim);
    let b = a === 0 ? 1 : 0;
    for (let i = 0; i < group.length; i++) if (fromA[i]! > fromA[b]!) b = i;
    const near: number[] = [];
    const far: number[] = [];
    for (let i = 0; i < group.length; i++) {
      (fromA[i]! <= distanceTo(i, vectors, b * dim) ? near : far).push(group[i]!);
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
 * The rows of `members` whose `rank`-th listed key is within `margin` of the `share` quantile
 * of the leaf: the densest share, plus those the approximate lists may have ranked too low (in
 * many dimensions the cores of one cluster differ by less than their approximation errors).
 */
function densest(members: Int32Array, lists: NeighbourLists, rank: number, share: number, margin: number): Int32Array {
  const { width, keys } = lists;
  const density = new Float64Array(members.length);
  // The `rank` smallest keys of each list, ascending (a sort of the whole list per row cost more).
  const smallest = new Float64Array(Math.min(width, rank));
  const last = smallest.length - 1;
  for (let i = 0; i < members.length; i++) {
    smallest.fill(Infinity);
    for (let slot = members[i]! * width, end = slot + width; slot < end; slot++) {
      const key = keys[slot]!;
      if (!(key < smallest[last]!)) continue;
      let at = last;
      for (; at > 0 && smallest[at - 1]! > key; at--) smallest[at] = smallest[at - 1]!;
      smallest[at] = key;
    }
    density[i] = smallest[last]!;
  }
  const sorted = Float64Array.from(density).sort();
  const quantile = sorted[Math.min(members.length - 1, Math.max(0, Math.ceil(members.length * share) - 1))]!;
  // Keys are squared distances for euclidean: the margin applies to the distance.
  const threshold = quantile * (1 + margin) ** 2;
  return Int32Array.from(members.filter((_, i) => density[i]! <= threshold));
}
