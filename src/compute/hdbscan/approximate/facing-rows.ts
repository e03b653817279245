import { sumRows, type BlockRows } from '../../knn/block-rows.js';
import type { DotKernel } from '../kernels/dot-kernel.js';
import { ScanWorkspace } from '../kernels/tiles.js';
import type { LightestEdges } from './lightest-edges.js';

export interface FacingSearch {
  rows: BlockRows;
  kernel: DotKernel;
  core: Float64Array;
  /** Sets each set is paired with: its nearest by centroid (the relation is made symmetric). */
  neighbourSets: number;
  /** Rows of each set taken towards another: those nearest to the other set's centroid. */
  facing: number;
}

/** Most sets whose centroids are compared all with all (C x C floats). */
const MAX_SETS = 4096;
/** Rows gathered per product when a set's rows are scored. */
const CHUNK = 1024;

/**
 * Offers each set the lightest edges between its rows that face a nearby set and that set's rows
 * that face it back. Between two separated groups of rows the closest pair is made of rows near
 * the other group's centre: |a - c_B|^2 = |a - c_A|^2 + |c_A - c_B|^2 + 2 (a - c_A).(c_A - c_B)
 * holds all of d(a, b)^2 but a cross term that averages out in many dimensions. So for each set
 * and each of its nearest sets (see nearestSets), the `facing` rows nearest the other centroid on each
 * side are multiplied with each other: (|A| + |B|) D + facing^2 D work per pair of sets, where the
 * blocks of the random-projection tree would multiply whole leaves and miss the closest pair as
 * often as not. Returns the row pairs multiplied (0 when there are too many sets for it).
 */
export async function offerFacingRows(
  search: FacingSearch,
  root: Int32Array,
  lightest: LightestEdges,
): Promise<number> {
  const { rows, kernel, core } = search;
  const { dim } = rows;
  const members = groupBySet(root);
  const setCount = members.length;
  if (setCount < 2 || setCount > MAX_SETS) return 0;
  // No more rows than the largest set's are gathered at once: at 2000 x 2048 a scratch of CHUNK rows
  // (8 MiB, zeroed, twice per fit) was a fifth of the fit's allocations, and their external memory
  // brings V8's full collections forward.
  const largestSet = members.reduce((most, ids) => Math.max(most, ids.length), 0);
  const scratch = new Float32Array(Math.min(CHUNK, largestSet) * dim);
  const { centroids, centroidNorms, spreads } = setCentroids(rows, members, scratch);
  const products = new Float32Array(setCount * setCount);
  await kernel.dot(centroids, setCount, centroids, setCount, dim, products);
  const partners = nearestSets(products, centroidNorms, spreads, search.neighbourSets);

  // facing[s] maps each partner of s to the rows of s nearest that partner's centroid.
  const facing: Map<number, Int32Array>[] = [];
  const partnerCentroids = new Float32Array(setCount * dim);
  for (let s = 0; s < setCount; s++) {
    const ids = members[s]!;
    const list = partners[s]!;
    const towards = new Map<number, Int32Array>();
    facing.push(towards);
    if (ids.length <= search.facing) {
      for (const partner of list) towards.set(partner, ids);
      continue;
    }
    list.forEach((partner, p) => partnerCentroids.set(centroids.subarray(partner * dim, (partner + 1) * dim), p * dim));
    const scores = new Float64Array(ids.length * list.length);
    const tile = new Float32Array(CHUNK * list.length);
    for (let first = 0; first < ids.length; first += CHUNK) {
      const end = Math.min(ids.length, first + CHUNK);
      const vectors = rows.rows(ids, first, end, scratch);
      await kernel.dot(vectors, end - first, partnerCentroids, list.length, dim, tile);
      scoreRows(ids, first, end, list.length, rows.norms, tile, scores);
    }
    const sorted = new Float64Array(ids.length);
    list.forEach((partner, p) => {
      const score = scores.subarray(p * ids.length, (p + 1) * ids.length);
      towards.set(partner, lowestScored(ids, score, search.facing, sorted));
    });
  }

  let pairs = 0;
  const left = new Float32Array(search.facing * dim);
  const right = new Float32Array(search.facing * dim);
  const best = new TileMinimum(search.facing);
  for (let s = 0; s < setCount; s++) {
    for (const partner of partners[s]!) {
      if (partner < s) continue;
      const mine = facing[s]!.get(partner)!;
      const theirs = facing[partner]!.get(s)!;
      const a = rows.rows(mine, 0, mine.length, left);
      const b = rows.rows(theirs, 0, theirs.length, right);
      await kernel.dot(a, mine.length, b, theirs.length, dim, best.tile);
      pairs += mine.length * theirs.length;
      // Every pair joins the same two sets: only the tile's lightest edge can matter to either.
      if (best.find(mine, theirs, rows, core)) {
        lightest.offer(root[mine[0]!]!, best.weight, best.low, best.high);
        lightest.offer(root[theirs[0]!]!, best.weight, best.low, best.high);
      }
    }
  }
  return pairs;
}

/**
 * Scores rows `ids[first, end)` towards each of `partners` centroids (|a|^2 - 2 a.c, the squared
 * distance less |c|^2) from their products in `tile`, into `scores` (partner-major). A plain
 * function: the async loop that calls it runs unoptimised for long, boxing every score it computes.
 */
function scoreRows(
  ids: Int32Array,
  first: number,
  end: number,
  partners: number,
  norms: Float64Array,
  tile: Float32Array,
  scores: Float64Array,
): void {
  const rowCount = ids.length;
  for (let i = first; i < end; i++) {
    const norm = norms[ids[i]!]!;
    for (let p = 0; p < partners; p++) scores[p * rowCount + i] = norm - 2 * tile[(i - first) * partners + p]!;
  }
}

/**
 * Each set's centroid (float32, summed in float64 in row order), its squared norm and its spread:
 * the mean squared distance of its rows to the centroid (from the rows' squared norms).
 */
function setCentroids(
  rows: BlockRows,
  members: Int32Array[],
  scratch: Float32Array,
): { centroids: Float32Array; centroidNorms: Float64Array; spreads: Float64Array } {
  const { dim, squares } = rows;
  const setCount = members.length;
  const centroids = new Float32Array(setCount * dim);
  const centroidNorms = new Float64Array(setCount);
  const spreads = new Float64Array(setCount);
  const sums = new Float64Array(dim);
  for (let s = 0; s < setCount; s++) {
    const ids = members[s]!;
    sums.fill(0);
    let squareSum = 0;
    for (const row of ids) squareSum += squares[row]!;
    sumRows(rows, ids, sums, scratch);
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const value = Math.fround(sums[k]! / ids.length);
      centroids[s * dim + k] = value;
      norm += value * value;
    }
    centroidNorms[s] = norm;
    spreads[s] = Math.max(0, squareSum / ids.length - norm);
  }
  return { centroids, centroidNorms, spreads };
}

/**
 * The `kept` rows of `ids` with the lowest scores, ties to the earlier row (the first `kept` of a
 * stable sort by score), in their order in `ids`; `sorted` is scratch of ids.length values.
 */
export function lowestScored(ids: Int32Array, score: Float64Array, kept: number, sorted: Float64Array): Int32Array {
  sorted.set(score);
  sorted.sort();
  const bar = sorted[kept - 1]!;
  let below = 0;
  for (let i = 0; i < ids.length; i++) if (score[i]! < bar) below++;
  let ties = kept - below;
  const chosen = new Int32Array(kept);
  for (let i = 0, at = 0; i < ids.length; i++) {
    if (score[i]! < bar || (score[i] === bar && ties-- > 0)) chosen[at++] = ids[i]!;
  }
  return chosen;
}

/**
 * The lightest mutual-reachability edge of a rows x columns tile of products, in the total order
 * of LightestEdges (weight, then lower row, then higher row), so that offering it alone is the same
 * as offering every pair of the tile. The products go in `tile` (a SIMD scan workspace's): each row
 * is first screened by its key against the lightest weight so far, so that only pairs that may
 * match it are weighed (the join runs once per fit, often before its code is optimised).
 */
export class TileMinimum {
  weight = Infinity;
  low = -1;
  high = -1;
  private readonly workspace: ScanWorkspace;
  private readonly columnCores: Float64Array;

  constructor(size: number) {
    this.workspace = new ScanWorkspace(size, size);
    this.columnCores = new Float64Array(size);
  }

  /** Where the caller writes the rows x columns products (row-major) before {@link find}. */
  get tile(): Float32Array {
    return this.workspace.tile;
  }

  find(rowIds: Int32Array, columnIds: Int32Array, rows: BlockRows, core: Float64Array): boolean {
    const n = columnIds.length;
    const { columnCores, workspace } = this;
    const { tile, hits, norms: columnNorms, bars } = workspace;
    for (let j = 0; j < n; j++) {
      columnNorms[j] = rows.norms[columnIds[j]!]!;
      columnCores[j] = core[columnIds[j]!]!;
      bars[j] = -Infinity;
    }
    let weight = Infinity;
    let low = -1;
    let high = -1;
    for (let i = 0; i < rowIds.length; i++) {
      const row = rowIds[i]!;
      const rowCore = core[row]!;
      if (rowCore > weight) continue;
      const rowNorm = rows.norms[row]!;
      // Pairs at or above the bar are farther apart than the lightest weight so far: they cannot match it.
      const found = workspace.scanRow(i * n, n, 0, rowNorm, rows.keyAbove(weight), 0);
      for (let h = 0; h < found; h++) {
        const j = hits[h]!;
        const floor = rowCore > columnCores[j]! ? rowCore : columnCores[j]!;
        if (floor > weight) continue;
        const d = rows.distance(rowNorm + columnNorms[j]! - 2 * tile[i * n + j]!);
        const w = d > floor ? d : floor;
        if (w > weight) continue;
        const column = columnIds[j]!;
        const a = row < column ? row : column;
        const b = row < column ? column : row;
        if (w === weight && low >= 0 && (low < a || (low === a && high <= b))) continue;
        weight = w;
        low = a;
        high = b;
      }
    }
    this.weight = weight;
    this.low = low;
    this.high = high;
    return low >= 0;
  }
}

/** The rows of each set (sets numbered in order of their smallest row), by a counting sort on the roots. */
function groupBySet(root: Int32Array): Int32Array[] {
  const count = root.length;
  // Per root: its set's number (roots are rows, so an array indexed by row holds them all).
  const setOf = new Int32Array(count).fill(-1);
  const sizes: number[] = [];
  for (let row = 0; row < count; row++) {
    const r = root[row]!;
    if (setOf[r]! < 0) {
      setOf[r] = sizes.length;
      sizes.push(0);
    }
    sizes[setOf[r]!]!++;
  }
  const members = sizes.map((size) => new Int32Array(size));
  const fill = new Int32Array(sizes.length);
  for (let row = 0; row < count; row++) {
    const s = setOf[root[row]!]!;
    members[s]![fill[s]!++] = row;
  }
  return members;
}

/**
 * Each set's `k` nearest other sets, made symmetric (b in a's list iff a in b's), by the mean
 * squared distance between their rows, |c_a - c_b|^2 + spread_a + spread_b: in many dimensions two
 * tight sets far apart can be nearer than two loose ones whose centres are closer.
 */
function nearestSets(products: Float32Array, norms: Float64Array, spreads: Float64Array, k: number): number[][] {
  const count = norms.length;
  const partners = Array.from({ length: count }, () => new Set<number>());
  const kept = Math.min(k, count - 1);
  const nearest = new Int32Array(kept);
  const distances = new Float64Array(kept);
  for (let a = 0; a < count; a++) {
    let size = 0;
    for (let b = 0; b < count; b++) {
      if (b === a) continue;
      const apart = norms[a]! + norms[b]! - 2 * products[a * count + b]! + spreads[a]! + spreads[b]!;
      if (size === kept && apart >= distances[kept - 1]!) continue;
      let at = size < kept ? size++ : kept - 1;
      while (at > 0 && distances[at - 1]! > apart) {
        distances[at] = distances[at - 1]!;
        nearest[at] = nearest[at - 1]!;
        at--;
      }
      distances[at] = apart;
      nearest[at] = b;
    }
    for (let i = 0; i < size; i++) {
      partners[a]!.add(nearest[i]!);
      partners[nearest[i]!]!.add(a);
    }
  }
  return partners.map((set) => [...set].sort((x, y) => x - y));
}
