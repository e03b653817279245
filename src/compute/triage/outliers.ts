/**
 * Scores that need no label: neighbour-distance outliers and (near-)duplicates, from a layer's
 * neighbour lists (see neighbour-votes.ts).
 */
import { rankOrder } from './combine.js';
import type { NeighbourLists } from './neighbour-votes.js';

/** Mean distance to the k nearest other inputs: high for an input far from everything (kNN outlier score). */
export function neighbourDistanceScore(lists: NeighbourLists): Float64Array {
  const { count, k, distances } = lists;
  const out = new Float64Array(count).fill(Number.NaN);
  if (k === 0) return out;
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += distances[i * k + j]!;
    out[i] = sum / k;
  }
  return out;
}

/** The median of every input's distance to its nearest other input; NaN without neighbours. */
export function medianNearestDistance(lists: NeighbourLists): number {
  const { count, k, distances } = lists;
  if (k === 0 || count === 0) return Number.NaN;
  const nearest = Float64Array.from({ length: count }, (_, i) => distances[i * k]!).sort();
  const middle = count >> 1;
  return count % 2 === 1 ? nearest[middle]! : (nearest[middle - 1]! + nearest[middle]!) / 2;
}

/** Pairs of inputs (a < b), their distance and the threshold they fell under. */
export interface NearDuplicates {
  a: Int32Array;
  b: Int32Array;
  distance: Float32Array;
  /** fraction x the median nearest-neighbour distance. */
  threshold: number;
}

/**
 * Pairs at most `fraction` of the median nearest-neighbour distance (a scale-free cut, so it needs
 * no unit): near-duplicates. Exact duplicates (distance 0) are included; ordered by distance, then a, b.
 * Only pairs within each other's k nearest are found, which holds every pair under the threshold unless
 * more than k inputs crowd that close.
 */
export function nearDuplicatePairs(lists: NeighbourLists, fraction: number): NearDuplicates {
  if (!(fraction >= 0)) throw new RangeError(`near-duplicate fraction ${fraction} must be >= 0`);
  const threshold = fraction * medianNearestDistance(lists);
  const { count, k, ids, distances } = lists;
  const seen = new Set<number>();
  const pairs: { a: number; b: number; d: number }[] = [];
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < k; j++) {
      const d = distances[i * k + j]!;
      if (!(d <= threshold)) break;
      const other = ids[i * k + j]!;
      const a = Math.min(i, other);
      const b = Math.max(i, other);
      const key = a * count + b;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ a, b, d });
    }
  }
  pairs.sort((x, y) => x.d - y.d || x.a - y.a || x.b - y.b);
  return {
    a: Int32Array.from(pairs, (p) => p.a),
    b: Int32Array.from(pairs, (p) => p.b),
    distance: Float32Array.from(pairs, (p) => p.d),
    threshold,
  };
}

/**
 * Groups of inputs with equal keys (a hash of their bytes, or of their activations in a layer), each
 * group ascending and the groups by their first input; inputs without a duplicate are left out.
 * Returned as a group number per input (-1: unique) and the group count.
 */
export function duplicateGroups(keys: readonly (string | null)[]): { group: Int32Array; groupCount: number } {
  const first = new Map<string, number>();
  const size = new Map<string, number>();
  keys.forEach((key, i) => {
    if (key === null) return;
    if (!first.has(key)) first.set(key, i);
    size.set(key, (size.get(key) ?? 0) + 1);
  });
  const group = new Int32Array(keys.length).fill(-1);
  const numberOf = new Map<string, number>();
  keys.forEach((key, i) => {
    if (key === null || size.get(key)! < 2) return;
    if (!numberOf.has(key)) numberOf.set(key, numberOf.size);
    group[i] = numberOf.get(key)!;
  });
  return { group, groupCount: numberOf.size };
}

/** A key per row of a layer's activations: the bytes of its values, so equal rows share a key. */
export function rowKeys(data: Float32Array, count: number, dim: number): string[] {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(bytes.subarray(i * dim * 4, (i + 1) * dim * 4)).toString('base64'),
  );
}

/** Each value's rank among the finite values of `values` as a fraction in (0, 1]; NaN stays NaN. */
export function percentiles(values: Float64Array): Float64Array {
  const finite = Array.from(values.keys()).filter((i) => Number.isFinite(values[i]!));
  finite.sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(values.length).fill(Number.NaN);
  finite.forEach((i, r) => (out[i] = (r + 1) / finite.length));
  return out;
}

export interface OutlierRanking {
  /** Mean over layers of the percentile of the input's mean neighbour distance (scale-free); NaN: none. */
  score: Float64Array;
  /** Highest GLOSH score over the layers that have one; NaN: none. */
  glosh: Float64Array;
  /** Index of the layer where the input's distance percentile is highest (the first of ties); -1: none. */
  farthest: Int32Array;
  /** Rows most outlying first: by score, then GLOSH, then input index. */
  order: Int32Array;
}

/**
 * The neighbour-distance outlier ranking of every input over the layers' mean kNN distances (one array
 * per layer, aligned to `inputIndex`) and their GLOSH scores (null for a layer without a clustering).
 */
export function outlierRanking(
  distances: readonly Float64Array[],
  glosh: readonly (Float64Array | null)[],
  inputIndex: Int32Array,
): OutlierRanking {
  const count = inputIndex.length;
  const ranks = distances.map(percentiles);
  const score = new Float64Array(count).fill(Number.NaN);
  const farthest = new Int32Array(count).fill(-1);
  const highest = new Float64Array(count).fill(Number.NaN);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    let n = 0;
    ranks.forEach((rank, l) => {
      const value = rank[i]!;
      if (Number.isNaN(value)) return;
      sum += value;
      n++;
      if (farthest[i]! < 0 || value > ranks[farthest[i]!]![i]!) farthest[i] = l;
    });
    if (n > 0) score[i] = sum / n;
    for (const layer of glosh) {
      const value = layer?.[i] ?? Number.NaN;
      if (!Number.isNaN(value) && !(value <= highest[i]!)) highest[i] = value;
    }
  }
  return { score, glosh: highest, farthest, order: rankOrder(score, highest, inputIndex) };
}
