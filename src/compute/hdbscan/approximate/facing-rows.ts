import type { BlockRows } from '../../knn/block-rows.js';
import type { DotKernel } from '../kernels/ort-dot.js';
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
  const scratch = new Float32Array(CHUNK * dim);
  const centroids = new Float32Array(setCount * dim);
  const sums = new Float64Array(dim);
  // Mean squared distance of each set's rows to its centroid: its spread.
  const spreads = new Float64Array(setCount);
  const centroidNorms = new Float64Array(setCount);
  for (let s = 0; s < setCount; s++) {
    const ids = members[s]!;
    sums.fill(0);
    let squares = 0;
    for (let first = 0; first < ids.length; first += CHUNK) {
      const end = Math.min(ids.length, first + CHUNK);
      const vectors = rows.rows(ids, first, end, scratch);
      for (let i = 0, at = 0; i < end - first; i++) {
        for (let k = 0; k < dim; k++, at++) {
          sums[k]! += vectors[at]!;
          squares += vectors[at]! * vectors[at]!;
        }
      }
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const value = Math.fround(sums[k]! / ids.length);
      centroids[s * dim + k] = value;
      norm += value * value;
    }
    centroidNorms[s] = norm;
    spreads[s] = Math.max(0, squares / ids.length - norm);
  }
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
      for (let i = first; i < end; i++) {
        for (let p = 0; p < list.length; p++) {
          scores[p * ids.length + i] = rows.norms[ids[i]!]! - 2 * tile[(i - first) * list.length + p]!;
        }
      }
    }
    list.forEach((partner, p) => {
      const score = scores.subarray(p * ids.length, (p + 1) * ids.length);
      const order = Int32Array.from({ length: ids.length }, (_, i) => i).sort((x, y) => score[x]! - score[y]!);
      towards.set(
        partner,
        Int32Array.from(order.subarray(0, search.facing), (i) => ids[i]!),
      );
    });
  }

  let pairs = 0;
  const left = new Float32Array(search.facing * dim);
  const right = new Float32Array(search.facing * dim);
  const tile = new Float32Array(search.facing * search.facing);
  for (let s = 0; s < setCount; s++) {
    for (const partner of partners[s]!) {
      if (partner < s) continue;
      const mine = facing[s]!.get(partner)!;
      const theirs = facing[partner]!.get(s)!;
      const a = rows.rows(mine, 0, mine.length, left);
      const b = rows.rows(theirs, 0, theirs.length, right);
      await kernel.dot(a, mine.length, b, theirs.length, dim, tile);
      pairs += mine.length * theirs.length;
      for (let i = 0; i < mine.length; i++) {
        const row = mine[i]!;
        for (let j = 0; j < theirs.length; j++) {
          const column = theirs[j]!;
          const d = rows.distance(rows.norms[row]! + rows.norms[column]! - 2 * tile[i * theirs.length + j]!);
          const w = Math.max(core[row]!, core[column]!, d);
          lightest.offer(root[row]!, w, row, column);
          lightest.offer(root[column]!, w, row, column);
        }
      }
    }
  }
  return pairs;
}

/** The rows of each set (sets numbered in order of their smallest row). */
function groupBySet(root: Int32Array): Int32Array[] {
  const index = new Map<number, number>();
  const sizes: number[] = [];
  for (const r of root) {
    const s = index.get(r);
    if (s === undefined) {
      index.set(r, sizes.length);
      sizes.push(1);
    } else {
      sizes[s]!++;
    }
  }
  const members = sizes.map((size) => new Int32Array(size));
  const fill = new Int32Array(sizes.length);
  root.forEach((r, row) => {
    const s = index.get(r)!;
    members[s]![fill[s]!++] = row;
  });
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
