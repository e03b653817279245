/**
 * Mutual information of two labelings of the same items, and its normalization by the arithmetic mean
 * of the two entropies (sklearn's `normalized_mutual_info_score` default). Natural logarithms. Every
 * distinct label is one group; noise (-1) is a group like any other.
 */
import { InputError } from '../errors.js';

/** Group sizes of a labeling and, for the pair, the sizes of the non-empty joint groups. */
interface JointCounts {
  sizesA: number[];
  sizesB: number[];
  /** Joint group sizes with their groups in A and B. */
  joint: { a: number; b: number; count: number }[];
}

function jointCounts(a: ArrayLike<number>, b: ArrayLike<number>): JointCounts {
  if (a.length !== b.length) {
    throw new InputError(`labelings have ${a.length} and ${b.length} items`, {
      hint: 'pass two labelings of the same items',
    });
  }
  const groupOfA = new Map<number, number>();
  const groupOfB = new Map<number, number>();
  const sizesA: number[] = [];
  const sizesB: number[] = [];
  const cells = new Map<number, { a: number; b: number; count: number }>();
  const groupOf = (groups: Map<number, number>, sizes: number[], label: number): number => {
    let group = groups.get(label);
    if (group === undefined) {
      group = sizes.length;
      groups.set(label, group);
      sizes.push(0);
    }
    sizes[group]!++;
    return group;
  };
  for (let k = 0; k < a.length; k++) {
    const ga = groupOf(groupOfA, sizesA, a[k]!);
    const gb = groupOf(groupOfB, sizesB, b[k]!);
    // Group indices stay below the item count, so this key is unique and exact.
    const key = ga * a.length + gb;
    const cell = cells.get(key);
    if (cell) cell.count++;
    else cells.set(key, { a: ga, b: gb, count: 1 });
  }
  return { sizesA, sizesB, joint: [...cells.values()] };
}

function entropyOf(sizes: readonly number[], total: number): number {
  let h = 0;
  for (const size of sizes) if (size > 0) h -= (size / total) * (Math.log(size) - Math.log(total));
  return h;
}

function mutualInformationOf({ sizesA, sizesB, joint }: JointCounts, total: number): number {
  let mi = 0;
  for (const { a, b, count } of joint) {
    mi += (count / total) * (Math.log(count) + Math.log(total) - Math.log(sizesA[a]!) - Math.log(sizesB[b]!));
  }
  return Math.max(0, mi);
}

/** Shannon entropy (nats) of a labeling; 0 for no items. */
export function entropy(labels: ArrayLike<number>): number {
  const { sizesA } = jointCounts(labels, labels);
  return labels.length === 0 ? 0 : entropyOf(sizesA, labels.length);
}

/** Mutual information (nats) of two labelings of the same items; 0 for no items. */
export function mutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const counts = jointCounts(a, b);
  return a.length === 0 ? 0 : mutualInformationOf(counts, a.length);
}

/**
 * MI / ((H(a) + H(b)) / 2): 1 for identical partitions up to renaming, 0 for independent ones. As in
 * sklearn, two labelings that each put everything in one group (or have no items) score 1, and any other
 * pair with zero mutual information scores 0.
 */
export function normalizedMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const counts = jointCounts(a, b);
  const groupsA = counts.sizesA.length;
  const groupsB = counts.sizesB.length;
  if (groupsA === groupsB && groupsA <= 1) return 1;
  const total = a.length;
  const mi = mutualInformationOf(counts, total);
  if (mi === 0) return 0;
  const mean = (entropyOf(counts.sizesA, total) + entropyOf(counts.sizesB, total)) / 2;
  return mi / mean;
}
