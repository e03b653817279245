/**
 * Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985, as sklearn's
 * `adjusted_rand_score`): 1 for identical partitions up to renaming, about 0 for chance agreement.
 * Every distinct label is one group; noise (-1) is a group like any other. When both labelings
 * put everything in one group, or each item in its own group, the index is 1 (sklearn's convention).
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`labelings have different lengths: ${a.length} and ${b.length}`);
  }
  const n = a.length;
  const codesA = denseCodes(a);
  const codesB = denseCodes(b);
  const contingency = new Map<number, number>();
  const rowSums = new Float64Array(codesA.groups);
  const colSums = new Float64Array(codesB.groups);
  for (let i = 0; i < n; i++) {
    const key = codesA.codes[i]! * codesB.groups + codesB.codes[i]!;
    contingency.set(key, (contingency.get(key) ?? 0) + 1);
    rowSums[codesA.codes[i]!]!++;
    colSums[codesB.codes[i]!]!++;
  }
  const pairs = (k: number): number => (k * (k - 1)) / 2;
  let index = 0;
  for (const count of contingency.values()) index += pairs(count);
  let sumA = 0;
  for (const count of rowSums) sumA += pairs(count);
  let sumB = 0;
  for (const count of colSums) sumB += pairs(count);
  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const maximum = (sumA + sumB) / 2;
  if (maximum === expected) return 1;
  return (index - expected) / (maximum - expected);
}

function denseCodes(labels: ArrayLike<number>): { codes: Int32Array; groups: number } {
  const codeOf = new Map<number, number>();
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let code = codeOf.get(labels[i]!);
    if (code === undefined) {
      code = codeOf.size;
      codeOf.set(labels[i]!, code);
    }
    codes[i] = code;
  }
  return { codes, groups: codeOf.size };
}
