import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopK } from '../../src/compute/top-k.js';
import { MaxActivationRanking, rankMaxActivations, unitMaximaInto } from '../../src/compute/max-activations.js';
import { MeanImages } from '../../src/compute/mean-images.js';
import { predict } from '../../src/compute/predictions.js';

test('TopK keeps the k largest values per slot, best first, whatever the arrival order', () => {
  const values = Array.from({ length: 200 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
  const top = new TopK(1, 5);
  values.forEach((v, i) => top.offer(0, v, i));
  const expectedIds = values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 5)
    .map(([, i]) => i);
  assert.deepEqual(Array.from(top.entries(0).ids), expectedIds);
});

test('max activations rank inputs per unit and for the whole layer', () => {
  // 3 inputs, 2 units, 2 positions, channels-first.
  const source = Float32Array.from([
    1,
    5,
    0,
    0, // input 10: unit0 max 5, unit1 max 0
    2,
    2,
    9,
    1, // input 11: unit0 max 2, unit1 max 9
    3,
    0,
    4,
    4, // input 12: unit0 max 3, unit1 max 4
  ]);
  const unitMax = new Float32Array(3 * 2);
  unitMaximaInto(source, 3, { units: 2, positions: 2, order: 'channels-first' }, unitMax, 0);
  assert.deepEqual(Array.from(unitMax), [5, 0, 2, 9, 3, 4]);
  const channelsLast = new Float32Array(6);
  unitMaximaInto(
    Float32Array.from([1, 0, 5, 0, 2, 9, 2, 1, 3, 4, 0, 4]),
    3,
    { units: 2, positions: 2, order: 'channels-last' },
    channelsLast,
    0,
  );
  assert.deepEqual(channelsLast, unitMax);
  const ranked = rankMaxActivations(unitMax, 2, Int32Array.from([10, 11, 12]), 2);
  const of = (unit: number) => Array.from(ranked.inputIndex.filter((_, i) => ranked.unit[i] === unit));
  assert.deepEqual(of(0), [10, 12]);
  assert.deepEqual(of(1), [11, 12]);
  assert.deepEqual(of(-1), [11, 10]);
  assert.deepEqual(Array.from(ranked.value.filter((_, i) => ranked.unit[i] === -1)), [9, 5]);
  assert.deepEqual(Array.from(ranked.rank.filter((_, i) => ranked.unit[i] === -1)), [0, 1]);
});

test('MaxActivationRanking offered rows in parts ranks them as rankMaxActivations does at once', () => {
  const units = 3;
  const rows = 50;
  // Few distinct values, so ties are decided by input index as they are at once.
  const unitMax = Float32Array.from({ length: rows * units }, (_, i) => Math.floor(Math.abs(Math.sin(i * 7.3)) * 6));
  const inputIndex = Int32Array.from({ length: rows }, (_, i) => 100 + i * 2);
  const whole = rankMaxActivations(unitMax, units, inputIndex, 4);
  const ranking = new MaxActivationRanking(units, 4);
  for (const [from, to] of [
    [0, 7],
    [7, 8],
    [8, 50],
  ] as const) {
    ranking.offer(unitMax.subarray(from * units, to * units), inputIndex.subarray(from, to));
  }
  assert.deepEqual(ranking.ranked(), whole);
  assert.equal(whole.unit.length, (units + 1) * 4);
});

test('MeanImages averages members and ignores noise', () => {
  const means = new MeanImages(2, 2);
  means.add(0, Uint8Array.from([0, 255]));
  means.add(0, Uint8Array.from([10, 0]));
  means.add(-1, Uint8Array.from([200, 200]));
  assert.deepEqual(Array.from(means.mean(0)), [5, 128]);
  assert.equal(means.count(1), 0);
  assert.throws(() => means.add(1, new Uint8Array(3)), /expected 2/);
});

test('predict takes probabilities as they are and applies softmax to logits', () => {
  const probs = predict(Float32Array.from([0.1, 0.7, 0.2]), 1, 3);
  assert.equal(probs.classIndex[0], 1);
  assert.ok(Math.abs(probs.probability[0]! - 0.7) < 1e-6);
  const logits = predict(Float32Array.from([0, Math.log(3), -5, 2, 1, 0]), 2, 3);
  assert.deepEqual(Array.from(logits.classIndex), [1, 0]);
  const expected = 3 / (1 + 3 + Math.exp(-5));
  assert.ok(Math.abs(logits.probability[0]! - expected) < 1e-6);
});
