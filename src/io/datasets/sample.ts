import { InputError } from '../../errors.js';
import { compareNatural } from './labels.js';
import type { DatasetItem } from './types.js';

export interface SampleOptions {
  /** How many items to keep; all of them when the data set is smaller. */
  limit: number;
  /** PRNG seed; default 0. The same items, seed and options always give the same subset. */
  seed?: number;
  /**
   * Keep label proportions (largest-remainder rounding) and, when limit >= number of labels, at least
   * one item of every label; default false (uniform sample).
   */
  stratified?: boolean;
}

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic subset of the items' `index` values, in ascending order. */
export function sampleIndices(items: readonly DatasetItem[], options: SampleOptions): number[] {
  const { limit } = options;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InputError(`sample limit ${limit} is not a positive whole number`, { hint: 'use e.g. 1000' });
  }
  if (!Number.isInteger(seed)) {
    throw new InputError(`sample seed ${seed} is not a whole number`, { hint: 'use e.g. 0 or 42' });
  }
  const all = items.map((item) => item.index);
  if (limit >= all.length) return all.sort((a, b) => a - b);
  const random = mulberry32(seed);
  const chosen = options.stratified ? stratifiedPick(items, limit, random) : pick(all, limit, random);
  return chosen.sort((a, b) => a - b);
}

/** The first `count` entries of a partial Fisher-Yates shuffle (shuffles `values` in place). */
function pick(values: number[], count: number, random: () => number): number[] {
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (values.length - i));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values.slice(0, count);
}

function stratifiedPick(items: readonly DatasetItem[], limit: number, random: () => number): number[] {
  const groups = new Map<string, number[]>();
  for (const item of items) {
    const group = groups.get(item.label);
    if (group) group.push(item.index);
    else groups.set(item.label, [item.index]);
  }
  const labels = [...groups.keys()].sort(compareNatural);
  const sizes = labels.map((label) => groups.get(label)!.length);
  const quotas = allocate(sizes, limit);
  return labels.flatMap((label, l) => pick(groups.get(label)!, quotas[l]!, random));
}

/**
 * Splits `total` over groups in proportion to their sizes (largest remainder). When total allows,
 * a group left with none takes one from the group whose quota is largest.
 */
export function allocate(sizes: readonly number[], total: number): number[] {
  const population = sizes.reduce((sum, size) => sum + size, 0);
  const exact = sizes.map((size) => (size * total) / population);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((sum, quota) => sum + quota, 0);
  const byRemainder = exact
    .map((value, g) => ({ g, remainder: value - quotas[g]! }))
    .sort((a, b) => b.remainder - a.remainder || a.g - b.g);
  for (const { g } of byRemainder) {
    if (left === 0) break;
    quotas[g]!++;
    left--;
  }
  if (total >= sizes.length) {
    for (let g = 0; g < sizes.length; g++) {
      if (quotas[g] !== 0 || sizes[g] === 0) continue;
      let donor = 0;
      for (let h = 1; h < quotas.length; h++) if (quotas[h]! > quotas[donor]!) donor = h;
      quotas[donor]!--;
      quotas[g] = 1;
    }
  }
  return quotas;
}
