import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  labelAgreement,
  mapQuality,
  neighborPreservation,
  planeNeighbors,
  trustworthiness,
} from '../../../src/compute/projection/index.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';
import { bruteForceNeighbors, uniformMatrix } from './fixtures.js';

test('plane neighbours through the grid equal brute force, also with clumped and duplicate points', () => {
  const matrix = uniformMatrix(3, 500, 2);
  for (let i = 0; i < 100; i++) matrix.data[i]! *= 0.01; // a dense clump in a corner
  matrix.data.copyWithin(20, 40, 42); // a duplicate
  const neighbours = planeNeighbors(matrix.data, 7);
  const expected = bruteForceNeighbors(matrix, 7);
  for (let i = 0; i < matrix.count; i++)
    assert.deepEqual(Array.from(neighbours.subarray(i * 7, i * 7 + 7)), expected[i], `point ${i}`);
});

test('label agreement: 1 for separated labels, the expected share for interleaved ones', () => {
  // Two rows of points far apart, labelled by row: every neighbour shares the label.
  const points = Float32Array.from({ length: 40 }, (_, i) =>
    i % 2 === 0 ? Math.floor(i / 2) % 10 : Math.floor(i / 20) * 100,
  );
  const labels = Int32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1));
  assert.equal(labelAgreement(points, labels, 3), 1);
  // Alternating labels on a line: each inner point's 2 nearest are the other label.
  const line = Float32Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? i / 2 : 0));
  const alternating = Int32Array.from({ length: 10 }, (_, i) => i % 2);
  assert.ok(labelAgreement(line, alternating, 2) < 0.2);
});

test('trustworthiness is 1 for a layout that keeps every neighbourhood, and matches the sklearn formula on a scrambled one', () => {
  const matrix = uniformMatrix(4, 120, 2);
  assert.equal(trustworthiness(matrix, matrix.data, { k: 5 }), 1);
  // Scramble: point i drawn where point perm[i] was. Reference: direct evaluation of the definition.
  const random = new SeededRandom(1);
  const perm = Array.from({ length: 120 }, (_, i) => i).sort(() => random.next() - 0.5);
  const layout = new Float32Array(240);
  perm.forEach((p, i) => layout.set(matrix.data.subarray(2 * p, 2 * p + 2), 2 * i));
  const k = 5;
  const n = 120;
  const original = bruteForceNeighbors(matrix, n - 1);
  const inLayout = bruteForceNeighbors({ count: n, dim: 2, data: layout }, k);
  let penalty = 0;
  inLayout.forEach((near, i) => {
    for (const j of near) {
      const rank = original[i]!.indexOf(j) + 1;
      if (rank > k) penalty += rank - k;
    }
  });
  const expected = 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
  assert.ok(Math.abs(trustworthiness(matrix, layout, { k }) - expected) < 1e-12);
  assert.ok(expected < 0.7);
  // A sample of rows estimates the same figure.
  assert.ok(Math.abs(trustworthiness(matrix, layout, { k, sample: 60 }) - expected) < 0.08);
});

test('kNN preservation is 1 for a layout that keeps every neighbourhood, and the brute-force share on a scrambled one', () => {
  const matrix = uniformMatrix(6, 150, 3);
  const flat = new Float32Array(300);
  for (let i = 0; i < 150; i++) flat.set(matrix.data.subarray(3 * i, 3 * i + 2), 2 * i);
  const random = new SeededRandom(2);
  const perm = Array.from({ length: 150 }, (_, i) => i).sort(() => random.next() - 0.5);
  const scrambled = new Float32Array(300);
  perm.forEach((p, i) => scrambled.set(flat.subarray(2 * p, 2 * p + 2), 2 * i));
  const k = 6;
  const original = bruteForceNeighbors(matrix, k);
  for (const layout of [flat, scrambled]) {
    const inLayout = bruteForceNeighbors({ count: 150, dim: 2, data: layout }, k);
    let shared = 0;
    inLayout.forEach((near, i) => near.forEach((j) => (shared += original[i]!.includes(j) ? 1 : 0)));
    assert.ok(Math.abs(neighborPreservation(matrix, layout, { k }) - shared / (150 * k)) < 1e-12);
  }
  // The third coordinate is dropped, so the flat layout keeps most neighbourhoods but not all; the scrambled one few.
  assert.ok(neighborPreservation(matrix, flat, { k }) > 0.3);
  assert.ok(neighborPreservation(matrix, scrambled, { k }) < 0.15);
  const twoD = uniformMatrix(4, 120, 2);
  assert.equal(neighborPreservation(twoD, twoD.data, { k: 5 }), 1);
  assert.ok(
    Math.abs(
      neighborPreservation(matrix, scrambled, { k, sample: 75 }) - neighborPreservation(matrix, scrambled, { k }),
    ) < 0.1,
  );
});

test('map quality of several layouts at once equals each layout measured alone', () => {
  const matrix = uniformMatrix(7, 90, 4);
  const first = Float32Array.from({ length: 180 }, (_, i) => matrix.data[4 * (i >> 1) + (i & 1)]!);
  const second = Float32Array.from({ length: 180 }, (_, i) => matrix.data[4 * (i >> 1) + 2 + (i & 1)]!);
  const both = mapQuality(matrix, [first, second], { k: 7, sample: 50 });
  [first, second].forEach((layout, l) => {
    assert.equal(both[l]!.trustworthiness, trustworthiness(matrix, layout, { k: 7, sample: 50 }));
    assert.equal(both[l]!.neighborPreservation, neighborPreservation(matrix, layout, { k: 7, sample: 50 }));
  });
  assert.notEqual(both[0]!.trustworthiness, both[1]!.trustworthiness);
});
