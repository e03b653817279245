import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnQuartiles, columnStatistics, quantileSorted, rowsByGroup } from '../../src/compute/statistics.js';
import { makeMatrix } from '../../src/compute/matrix.js';

test('quantiles interpolate linearly between ranks like numpy', () => {
  const values = [1, 2, 3, 4];
  assert.equal(quantileSorted(values, 0.25), 1.75);
  assert.equal(quantileSorted(values, 0.75), 3.25);
  assert.equal(quantileSorted([7], 0.25), 7);
});

test('column statistics are exact, with whiskers clamped to min and max', () => {
  // Column 0: 1..8 and an outlier 100; column 1: constant 0.5.
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 100];
  const m = makeMatrix(9, 2, Float32Array.from(values.flatMap((v) => [v, 0.5])));
  const s = columnStatistics(m);
  assert.equal(s.min[0], 1);
  assert.equal(s.max[0], 100);
  assert.equal(s.q1[0], 3);
  assert.equal(s.q3[0], 7);
  assert.equal(s.iqr[0], 4);
  assert.equal(s.lower[0], 1); // q1 - 6 = -3, clamped to min
  assert.equal(s.upper[0], 13); // q3 + 6 < max
  assert.ok(Math.abs(s.mean[0]! - 136 / 9) < 1e-12);
  assert.equal(s.iqr[1], 0);
  assert.equal(s.lower[1], 0.5);
});

test('statistics of a subset of rows use only those rows', () => {
  const m = makeMatrix(4, 1, Float32Array.from([10, 1, 20, 3]));
  const s = columnStatistics(m, Int32Array.from([1, 3]));
  assert.equal(s.min[0], 1);
  assert.equal(s.max[0], 3);
  assert.equal(s.mean[0], 2);
});

test('rowsByGroup skips noise and keeps row order', () => {
  const groups = rowsByGroup(Int32Array.from([1, -1, 0, 1, 0]), 2);
  assert.deepEqual(
    groups.map((g) => Array.from(g)),
    [
      [2, 4],
      [0, 3],
    ],
  );
});

test('quartiles by selection equal those of a full sort, bit for bit (ties, signed zeros, NaN)', () => {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const kinds: ((i: number) => number)[] = [
    () => next() * 10 - 5,
    () => Math.floor(next() * 4) - 2,
    () => (next() < 0.5 ? -0 : 0),
    () => [0, -0, 1, -1][Math.floor(next() * 4)]!,
    () => (next() < 0.7 ? 0 : next()),
    (i) => (i % 7 === 3 ? NaN : next()),
    (i) => i,
    (i) => -i,
  ];
  for (const [k, kind] of kinds.entries()) {
    for (const n of [1, 2, 3, 4, 5, 8, 9, 10, 17, 100, 1001]) {
      const column = Float32Array.from({ length: n }, (_, i) => kind(i));
      const sorted = column.slice().sort();
      const expected = {
        q1: quantileSorted(sorted, 0.25),
        q3: quantileSorted(sorted, 0.75),
        min: sorted[0]!,
        max: sorted[n - 1]!,
      };
      const actual = columnQuartiles(Float64Array.from(column));
      for (const key of ['q1', 'q3', 'min', 'max'] as const) {
        assert.ok(
          Object.is(actual[key], expected[key]),
          `kind ${k}, n ${n}, ${key}: ${actual[key]} vs ${expected[key]}`,
        );
      }
    }
  }
});
