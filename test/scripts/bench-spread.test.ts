import { test } from 'node:test';
import assert from 'node:assert/strict';
import { difference, formatSpread, spread } from '../../scripts/bench/spread.js';

test('spread is the mean and the standard error of the mean', () => {
  const s = spread([0.978, 0.98, 0.982]);
  assert.ok(Math.abs(s.mean - 0.98) < 1e-12);
  // sample standard deviation 0.002, over sqrt(3)
  assert.ok(Math.abs(s.error - 0.002 / Math.sqrt(3)) < 1e-12);
  assert.equal(s.count, 3);
  assert.ok(Number.isNaN(spread([1]).error));
});

test('difference of means carries the standard errors in quadrature', () => {
  const d = difference({ mean: 0.98, error: 0.0003, count: 3 }, { mean: 0.9806, error: 0.0004, count: 3 });
  assert.ok(Math.abs(d.mean + 0.0006) < 1e-12);
  assert.ok(Math.abs(d.error - 0.0005) < 1e-12);
  assert.equal(formatSpread(d, 4, true), '-0.0006 ± 0.0005');
  assert.equal(formatSpread({ mean: 0.0002, error: 0.0001, count: 3 }, 4, true), '+0.0002 ± 0.0001');
});
