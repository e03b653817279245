import { test } from 'node:test';
import assert from 'node:assert/strict';
import { divideColumns, poolDivisors, updateMaxAbs } from '../../src/compute/normalize.js';
import { makeMatrix } from '../../src/compute/matrix.js';

test('each column is divided by its own max |value| over all rows, accumulated batch by batch', () => {
  const m = makeMatrix(3, 3, Float32Array.from([2, -4, 0, -1, 2, 0, 1, 1, 0]));
  const maxAbs = new Float64Array(3);
  updateMaxAbs(m, maxAbs, 0, 1);
  updateMaxAbs(m, maxAbs, 1, 3);
  assert.deepEqual(Array.from(maxAbs), [2, 4, 0]);
  divideColumns(m, maxAbs);
  assert.deepEqual(Array.from(m.data), [1, -1, 0, -0.5, 0.5, 0, 0.5, 0.25, 0]);
  for (const v of m.data) assert.ok(v >= -1 && v <= 1);
});

test('pooled divisors share the largest divisor of their group', () => {
  const pooled = poolDivisors(Float64Array.from([1, 3, 2, 5]), Int32Array.from([0, 0, 1, 1]), 2);
  assert.deepEqual(Array.from(pooled), [3, 3, 5, 5]);
});
