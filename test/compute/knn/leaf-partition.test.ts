import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partitionLeaves, type SplitRows } from '../../../src/compute/knn/leaf-partition.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';

function leaves(rows: SplitRows, leafSize: number, seed = 42): number[][] {
  const { order, bounds } = partitionLeaves(rows, leafSize, new SeededRandom(seed));
  const result: number[][] = [];
  for (let leaf = 0; leaf + 1 < bounds.length; leaf++) {
    result.push([...order.subarray(bounds[leaf], bounds[leaf + 1])].sort((a, b) => a - b));
  }
  return result;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('partitionLeaves', () => {
  it('cuts at the widest gap of the central band, not at the median', () => {
    // 40 rows spaced 1 apart, then 60 spaced 1 apart far away: the band (rows 30 to 70 by rank) holds one wide gap.
    const values = [...range(0, 40), ...range(0, 60).map((i) => 1000 + i)];
    const rows: SplitRows = { count: 100, dim: 1, data: Float32Array.from(values) };
    assert.deepEqual(leaves(rows, 99), [range(0, 40), range(40, 100)]);
  });

  it('takes the widest of several gaps in the band', () => {
    // Gaps of 5 after row 35, 9 after row 55, 3 after row 65 (by value); the rest 1 apart.
    const values: number[] = [];
    let value = 0;
    for (let row = 0; row < 100; row++) {
      values.push(value);
      value += row === 35 ? 5 : row === 55 ? 9 : row === 65 ? 3 : 1;
    }
    const rows: SplitRows = { count: 100, dim: 1, data: Float32Array.from(values).reverse() };
    const split = leaves(rows, 99).map((leaf) => leaf.map((row) => 99 - row).sort((a, b) => a - b));
    split.sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(split, [range(0, 56), range(56, 100)]);
  });

  it('puts every row in exactly one leaf of at most leafSize rows, the same for the same seed', () => {
    const random = new SeededRandom(7);
    const data = Float32Array.from({ length: 3000 * 3 }, () => random.nextGaussian());
    const rows: SplitRows = { count: 3000, dim: 3, data };
    const first = leaves(rows, 64);
    assert.deepEqual(
      first.flat().sort((a, b) => a - b),
      range(0, 3000),
    );
    // A node of leafSize + 1 rows is cut at 30% at the least.
    for (const leaf of first) assert.ok(leaf.length <= 64 && leaf.length >= 19, `leaf of ${leaf.length} rows`);
    assert.deepEqual(leaves(rows, 64), first);
  });

  it('splits rows that all coincide into leaves of bounded size', () => {
    const rows: SplitRows = { count: 500, dim: 2, data: new Float32Array(1000).fill(0.25) };
    const split = leaves(rows, 50);
    assert.deepEqual(
      split.flat().sort((a, b) => a - b),
      range(0, 500),
    );
    for (const leaf of split) assert.ok(leaf.length <= 50 && leaf.length > 0);
  });
});
