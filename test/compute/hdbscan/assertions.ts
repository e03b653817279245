import assert from 'node:assert/strict';

/** Same partition with the same noise points; cluster ids may be renamed (a bijection). */
export function assertSameLabelsUpToRenaming(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  assert.equal(actual.length, expected.length, 'label count');
  const forward = new Map<number, number>();
  const backward = new Map<number, number>();
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.equal(a === -1, e === -1, `row ${i}: noise in one labeling only (${a} vs ${e})`);
    if (a === -1) continue;
    if (!forward.has(a)) forward.set(a, e);
    if (!backward.has(e)) backward.set(e, a);
    assert.equal(forward.get(a), e, `row ${i}: cluster ${a} maps to both ${forward.get(a)} and ${e}`);
    assert.equal(backward.get(e), a, `row ${i}: cluster ${e} maps back to both ${backward.get(e)} and ${a}`);
  }
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Infinity;
    if (d > max) max = d;
  }
  return max;
}
