import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adjustedRandIndex } from '../../../src/compute/partition-metrics.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} vs ${expected}`);

describe('adjustedRandIndex', () => {
  it('matches sklearn adjusted_rand_score on its documented examples', () => {
    close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1]), 1);
    close(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1);
    close(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]), 4 / 7);
    close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 4 / 7);
    close(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]), 0);
    close(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5);
  });

  it('is 1 for identical trivial partitions', () => {
    close(adjustedRandIndex([3, 3, 3], [7, 7, 7]), 1);
    close(adjustedRandIndex([0, 1, 2], [5, 4, 3]), 1);
  });

  it('is symmetric, treats -1 as a group, and is near 0 for independent labelings', () => {
    const random = mulberry32(17);
    const a = Int32Array.from({ length: 4000 }, () => Math.floor(random() * 5) - 1);
    const b = Int32Array.from({ length: 4000 }, () => Math.floor(random() * 5) - 1);
    close(adjustedRandIndex(a, b), adjustedRandIndex(b, a));
    assert.ok(Math.abs(adjustedRandIndex(a, b)) < 0.01);
    close(
      adjustedRandIndex(
        a,
        a.map((v) => (v === -1 ? 9 : v)),
      ),
      1,
    );
  });

  it('rejects labelings of different lengths', () => {
    assert.throws(() => adjustedRandIndex([0, 1], [0]), /different lengths: 2 and 1/);
  });
});
