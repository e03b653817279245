import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contingencyTable } from '../../src/compute/contingency.js';
import { jaccardMatrix } from '../../src/compute/flow.js';
import { matchPatterns, minimumCostAssignment } from '../../src/compute/matching.js';
import { entropy, mutualInformation, normalizedMutualInformation } from '../../src/compute/mutual-information.js';
import { comparePartitions } from '../../src/compute/partition-agreement.js';
import { InputError } from '../../src/errors.js';
import { mulberry32 as random } from '../../src/io/datasets/sample.js';

/** The smallest total cost over every assignment of min(rows, cols) pairs, by enumeration. */
function bruteForceMinimum(cost: Float64Array, rows: number, cols: number): number {
  const transposed = rows > cols;
  const [n, m] = transposed ? [cols, rows] : [rows, cols];
  const at = (i: number, j: number) => (transposed ? cost[j * cols + i]! : cost[i * cols + j]!);
  const used = new Uint8Array(m);
  let best = Infinity;
  const visit = (i: number, sum: number) => {
    if (i === n) {
      best = Math.min(best, sum);
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = 1;
      visit(i + 1, sum + at(i, j));
      used[j] = 0;
    }
  };
  visit(0, 0);
  return best;
}

function assignmentCost(cost: Float64Array, cols: number, columnOfRow: Int32Array): number {
  let sum = 0;
  columnOfRow.forEach((col, row) => {
    if (col >= 0) sum += cost[row * cols + col]!;
  });
  return sum;
}

describe('Hungarian algorithm', () => {
  it('solves a textbook example', () => {
    const cost = Float64Array.from([4, 1, 3, 2, 0, 5, 3, 2, 2]);
    assert.deepEqual(Array.from(minimumCostAssignment(cost, 3, 3)), [1, 0, 2]);
  });

  it('finds the brute-force optimum on random square and rectangular matrices', () => {
    const next = random(42);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(next() * 6);
      const cols = 1 + Math.floor(next() * 6);
      // Small integers give many ties; reals and negative values the general case.
      const integers = trial % 2 === 0;
      const cost = Float64Array.from({ length: rows * cols }, () =>
        integers ? Math.floor(next() * 4) : next() * 20 - 10,
      );
      const assigned = minimumCostAssignment(cost, rows, cols);
      assert.equal(assigned.length, rows);
      const columns = Array.from(assigned).filter((col) => col >= 0);
      assert.equal(columns.length, Math.min(rows, cols), 'assigns min(rows, cols) pairs');
      assert.equal(new Set(columns).size, columns.length, 'each column at most once');
      assert.ok(columns.every((col) => col < cols));
      const expected = bruteForceMinimum(cost, rows, cols);
      const actual = assignmentCost(cost, cols, assigned);
      assert.ok(Math.abs(actual - expected) < 1e-9, `${rows}x${cols} trial ${trial}: ${actual} vs optimum ${expected}`);
    }
  });

  it('handles empty matrices and refuses non-finite costs or a wrong shape', () => {
    assert.deepEqual(Array.from(minimumCostAssignment(new Float64Array(0), 0, 3)), []);
    assert.deepEqual(Array.from(minimumCostAssignment(new Float64Array(0), 2, 0)), [-1, -1]);
    assert.throws(
      () => minimumCostAssignment(Float64Array.from([1, NaN]), 1, 2),
      (e: unknown) => e instanceof InputError && /NaN at row 0, column 1/.test(e.message),
    );
    assert.throws(() => minimumCostAssignment(Float64Array.from([1, 2, 3]), 2, 2), /3 values is not 2 x 2/);
  });
});

describe('pattern matching', () => {
  it('recovers a permutation of the pattern ids', () => {
    const next = random(5);
    const patterns = 9;
    const a = Int32Array.from({ length: 400 }, () => (next() < 0.2 ? -1 : Math.floor(next() * patterns)));
    const permutation = [3, 7, 0, 8, 1, 5, 2, 6, 4];
    const b = a.map((label) => (label < 0 ? -1 : permutation[label]!));
    const table = contingencyTable(a, b, patterns, patterns);
    const matching = matchPatterns(table, jaccardMatrix(table));
    assert.deepEqual(
      matching.pairs.map((p) => [p.patternA, p.patternB]),
      permutation.map((to, from) => [from, to]),
    );
    assert.ok(matching.pairs.every((p) => p.jaccard === 1 && p.shared === table.rowSums[p.patternA]));
    assert.deepEqual(matching.unmatchedA, []);
    assert.deepEqual(matching.unmatchedB, []);
  });

  it('prefers the larger total Jaccard over a greedy choice and lists what stays unmatched', () => {
    // A#0 = {0..4}, A#1 = {5,6}, A noise = {7}; B#0 = {0,1,2,5,6}, B#1 = {3,4}, B#2 = {7}.
    // J(A#0, B#0) = 3/7 is the largest cell, so a greedy choice takes it and is left with J(A#1, B#1) = 0;
    // the optimum pairs A#0-B#1 and A#1-B#0 (2/5 each, 0.8 in all).
    const a = Int32Array.from([0, 0, 0, 0, 0, 1, 1, -1]);
    const b = Int32Array.from([0, 0, 0, 1, 1, 0, 0, 2]);
    const table = contingencyTable(a, b, 2, 3);
    const matching = matchPatterns(table, jaccardMatrix(table));
    assert.deepEqual(matching.pairs, [
      { patternA: 0, patternB: 1, jaccard: 2 / 5, shared: 2 },
      { patternA: 1, patternB: 0, jaccard: 2 / 5, shared: 2 },
    ]);
    assert.deepEqual(matching.unmatchedA, []);
    assert.deepEqual(matching.unmatchedB, [2], 'B#2 only shares members with noise');
    const strict = matchPatterns(table, jaccardMatrix(table), { minJaccard: 0.6 });
    assert.deepEqual(strict.pairs, []);
    assert.deepEqual(strict.unmatchedA, [0, 1]);
    assert.throws(() => matchPatterns(table, jaccardMatrix(table), { minJaccard: -1 }), /minJaccard -1/);
  });
});

describe('normalized mutual information', () => {
  it('matches hand-computed values', () => {
    // a = [0,0,1,1], b = [0,0,0,1]: H(a) = ln 2, H(b) = -(3/4 ln 3/4 + 1/4 ln 1/4),
    // MI = 1/2 ln(4/3) + 1/4 ln(2/3) + 1/4 ln 2.
    const a = [0, 0, 1, 1];
    const b = [0, 0, 0, 1];
    const hA = Math.log(2);
    const hB = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    const mi = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
    assert.ok(Math.abs(entropy(a) - hA) < 1e-12);
    assert.ok(Math.abs(entropy(b) - hB) < 1e-12);
    assert.ok(Math.abs(mutualInformation(a, b) - mi) < 1e-12);
    assert.ok(Math.abs(normalizedMutualInformation(a, b) - mi / ((hA + hB) / 2)) < 1e-12);
    assert.ok(Math.abs(normalizedMutualInformation(a, b) - 0.343712) < 1e-6);
    // b refines a: MI = H(a) = ln 2, H(b) = 3/2 ln 2, so NMI = ln 2 / (5/4 ln 2) = 0.8.
    assert.ok(Math.abs(normalizedMutualInformation([0, 0, 1, 1], [0, 0, 1, 2]) - 0.8) < 1e-12);
  });

  it('is 1 for a labeling with itself or a renaming, 0 for independent labelings, symmetric, in [0, 1]', () => {
    const next = random(9);
    const a = Int32Array.from({ length: 500 }, () => Math.floor(next() * 6) - 1);
    const renamed = a.map((label) => 10 * label + 3);
    assert.ok(Math.abs(normalizedMutualInformation(a, a) - 1) < 1e-12);
    assert.ok(Math.abs(normalizedMutualInformation(a, renamed) - 1) < 1e-12);
    assert.equal(normalizedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1]), 0);
    const b = Int32Array.from({ length: 500 }, () => Math.floor(next() * 4));
    const ab = normalizedMutualInformation(a, b);
    assert.ok(ab >= 0 && ab <= 1);
    assert.ok(Math.abs(ab - normalizedMutualInformation(b, a)) < 1e-12);
  });

  it('follows sklearn on the limit cases', () => {
    assert.equal(normalizedMutualInformation([], []), 1);
    assert.equal(normalizedMutualInformation([3, 3, 3], [1, 1, 1]), 1, 'one group each: perfect match');
    assert.equal(normalizedMutualInformation([3, 3, 3], [0, 1, 2]), 0, 'no information shared');
    assert.throws(() => normalizedMutualInformation([1], [1, 2]), /1 and 2 items/);
  });
});

describe('partition agreement', () => {
  it('reports ARI and NMI with noise as a label and without noisy inputs', () => {
    const a = Int32Array.from([0, 0, 1, 1, -1, -1, 2]);
    const b = Int32Array.from([5, 5, 6, 6, 7, -1, -1]);
    const result = comparePartitions(a, b);
    assert.equal(result.withNoise.inputs, 7);
    assert.equal(result.withoutNoise.inputs, 4);
    assert.equal(result.withoutNoise.adjustedRandIndex, 1, 'the inputs in a pattern in both labelings agree');
    assert.ok(Math.abs(result.withoutNoise.normalizedMutualInformation - 1) < 1e-12);
    assert.ok(result.withNoise.adjustedRandIndex < 1);
    assert.ok(result.withNoise.normalizedMutualInformation < 1);
    const allNoise = comparePartitions(Int32Array.from([-1, 0]), Int32Array.from([0, -1]));
    assert.equal(allNoise.withoutNoise.inputs, 0);
    assert.ok(
      Number.isNaN(allNoise.withoutNoise.adjustedRandIndex) &&
        Number.isNaN(allNoise.withoutNoise.normalizedMutualInformation),
    );
  });
});
