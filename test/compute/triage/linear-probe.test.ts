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

test('linearProbe: one gradient step of a leave-one-out fold, computed by hand', () => {
  // x = -1, -1, 1, 1 (already mean 0, variance 1), labels 1, 0, 1, 1: input 0 carries a flipped label.
  // Four folds of four inputs leave each one out. Leaving out input 0 or input 1 trains on x = -1, 1, 1:
  // the second moments of (x, 1) are [[1, 1/3], [1/3, 1]], largest eigenvalue 4/3, so the step is
  // 1 / (4/3 / 2) = 1.5. From zero weights every p is (1/2, 1/2), and one step gives
  //   out input 0 (train labels 0, 1, 1): W = -1.5 (1/2, -1/2), b = -1.5 (1/6, -1/6);
  //   out input 1 (train labels 1, 1, 1): W = -1.5 (1/6, -1/6), b = -1.5 (1/2, -1/2);
  // at x = -1 the class scores are (1/2, -1/2) and (-1/2, 1/2): p(class 0) = sigmoid(1) and sigmoid(-1).
  const x = makeMatrix(4, 1, Float32Array.from([-1, -1, 1, 1]));
  const probe = linearProbe(x, Int32Array.from([1, 0, 1, 1]), 2, { folds: 4, iterations: 1, l2: 0 });
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  const expected = [
    [sigmoid(1), sigmoid(-1)],
    [sigmoid(-1), sigmoid(1)],
  ];
  expected.forEach((row, i) => {
    row.forEach((p, c) => assert.ok(Math.abs(probe.probabilities[i * 2 + c]! - p) < 1e-6, `p[${i}][${c}]`));
  });
  // Input 0's given label (1) gets sigmoid(-1) = 0.27; input 1's (0) gets the same, from a fold whose
  // every training label is 1.
  assert.ok(Math.abs(probe.given[0]! - sigmoid(-1)) < 1e-6);
  assert.ok(Math.abs(probe.given[1]! - sigmoid(-1)) < 1e-6);
  assert.equal(probe.suggested[0], 0);
  assert.equal(probe.suggested[1], 1);
});
