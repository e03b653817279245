import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { linearProbe } from '../../../src/compute/triage/linear-probe.js';

// Two separable clusters of 2-D points, 20 each around (-2, 0) (class 0) and (2, 0) (class 1), on a
// small deterministic grid; input 5 (in the class-0 cluster) carries the flipped label 1.
const points: number[] = [];
const labels: number[] = [];
for (let c = 0; c < 2; c++) {
  for (let i = 0; i < 20; i++) {
    points.push((c === 0 ? -2 : 2) + ((i % 5) - 2) * 0.1, (Math.floor(i / 5) - 1.5) * 0.3);
    labels.push(c);
  }
}
labels[5] = 1;
const matrix = makeMatrix(40, 2, Float32Array.from(points));
const given = Int32Array.from(labels);

test('linearProbe: out-of-fold probabilities find the true class and doubt the flipped label', () => {
  const probe = linearProbe(matrix, given, 2, { folds: 5, seed: 7 });
  for (let i = 0; i < 40; i++) {
    const truth = i < 20 ? 0 : 1;
    const row = Array.from(probe.probabilities.subarray(i * 2, i * 2 + 2));
    assert.ok(Math.abs(row[0]! + row[1]! - 1) < 1e-6, `row ${i} sums to ${row[0]! + row[1]!}`);
    // The fold that trains on the flipped point tilts its boundary a little: above 0.8, not 1.
    assert.ok(row[truth]! > 0.8, `input ${i}: p(true class ${truth}) is ${row[truth]}`);
    assert.equal(probe.suggested[i], truth);
    assert.ok(Math.abs(probe.given[i]! - row[labels[i]!]!) < 1e-6);
  }
  assert.ok(probe.given[5]! < 0.1, `the flipped label's p(given) is ${probe.given[5]}`);
});

test('linearProbe: deterministic for a seed, rows without a label are not scored', () => {
  const withMissing = Int32Array.from(given);
  withMissing[30] = -1;
  const a = linearProbe(matrix, withMissing, 2, { seed: 3 });
  const b = linearProbe(matrix, withMissing, 2, { seed: 3 });
  assert.deepEqual(a.probabilities, b.probabilities);
  assert.ok(Number.isNaN(a.given[30]!));
  assert.equal(a.suggested[30], -1);
  assert.ok(Number.isNaN(a.probabilities[60]!));
  assert.throws(() => linearProbe(matrix, given.subarray(0, 10), 2), /10 labels for 40 rows/);
});
