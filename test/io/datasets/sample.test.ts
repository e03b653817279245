import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { allocate, mulberry32, sampleIndices } from '../../../src/io/datasets/sample.js';
import type { DatasetItem } from '../../../src/io/datasets/types.js';

/** 1000 items: 600 "a", 300 "b", 99 "c", 1 "rare", interleaved. */
const ITEMS: DatasetItem[] = Array.from({ length: 1000 }, (_, index) => ({
  index,
  path: `x#${index}`,
  label: index === 500 ? 'rare' : index % 10 < 6 ? 'a' : index % 10 < 9 ? 'b' : 'c',
}));
const count = (indices: number[], label: string): number => indices.filter((i) => ITEMS[i]!.label === label).length;

function assertValidSubset(indices: number[], limit: number): void {
  assert.equal(indices.length, limit);
  assert.equal(new Set(indices).size, limit, 'no duplicates');
  for (let i = 1; i < indices.length; i++) assert.ok(indices[i - 1]! < indices[i]!, 'ascending');
  assert.ok(indices.every((index) => Number.isInteger(index) && index >= 0 && index < ITEMS.length));
}

test('mulberry32 is deterministic and uniform enough', () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  const values = Array.from({ length: 10_000 }, () => a());
  assert.deepEqual(
    values.slice(0, 5),
    Array.from({ length: 5 }, () => b()),
  );
  assert.ok(values.every((value) => value >= 0 && value < 1));
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.notEqual(mulberry32(8)(), mulberry32(7)());
});

test('uniform sample: same seed same subset, other seed other subset', () => {
  const first = sampleIndices(ITEMS, { limit: 100, seed: 3 });
  assertValidSubset(first, 100);
  assert.deepEqual(sampleIndices(ITEMS, { limit: 100, seed: 3 }), first);
  assert.notDeepEqual(sampleIndices(ITEMS, { limit: 100, seed: 4 }), first);
  assert.deepEqual(sampleIndices(ITEMS, { limit: 100 }), sampleIndices(ITEMS, { limit: 100, seed: 0 }));
});

test('a limit at or above the size keeps everything', () => {
  assert.deepEqual(
    sampleIndices(ITEMS, { limit: 1000 }),
    ITEMS.map((item) => item.index),
  );
  assert.deepEqual(sampleIndices(ITEMS.slice(0, 3).reverse(), { limit: 50, stratified: true }), [0, 1, 2]);
});

test('stratified sample keeps proportions and every label', () => {
  const indices = sampleIndices(ITEMS, { limit: 100, seed: 1, stratified: true });
  assertValidSubset(indices, 100);
  assert.equal(count(indices, 'rare'), 1);
  // 599 a, 300 b, 100 c, 1 rare: exact shares 59.9 / 30 / 10 / 0.1; "rare" takes its one from the largest group
  assert.deepEqual(
    ['a', 'b', 'c'].map((label) => count(indices, label)),
    [59, 30, 10],
  );
  assert.deepEqual(sampleIndices(ITEMS, { limit: 100, seed: 1, stratified: true }), indices);
  assert.notDeepEqual(sampleIndices(ITEMS, { limit: 100, seed: 2, stratified: true }), indices);
});

test('stratified with fewer slots than labels favours the largest labels', () => {
  const indices = sampleIndices(ITEMS, { limit: 3, seed: 5, stratified: true });
  assertValidSubset(indices, 3);
  assert.deepEqual(
    ['a', 'b', 'c', 'rare'].map((label) => count(indices, label)),
    [2, 1, 0, 0],
  );
});

test('allocate: largest remainder, sums to the total, at least one each when possible', () => {
  assert.deepEqual(allocate([50, 30, 20], 10), [5, 3, 2]);
  assert.deepEqual(allocate([98, 1, 1], 3), [1, 1, 1]);
  assert.deepEqual(allocate([980, 10, 10], 10), [8, 1, 1]);
  assert.deepEqual(allocate([2, 2, 2], 4), [2, 1, 1]);
  for (const [sizes, total] of [
    [[7, 13, 1, 400], 37],
    [[5, 5, 5, 5, 5], 6],
    [[1, 1000], 2],
  ] as [number[], number][]) {
    const quotas = allocate(sizes, total);
    assert.equal(
      quotas.reduce((sum, quota) => sum + quota, 0),
      total,
    );
    quotas.forEach((quota, g) => assert.ok(quota >= 1 && quota <= sizes[g]!, `group ${g}: ${quota}`));
  }
});

test('bad limits and seeds are InputErrors', () => {
  for (const limit of [0, -3, 2.5, Number.NaN]) {
    assert.throws(
      () => sampleIndices(ITEMS, { limit }),
      (error: unknown) => error instanceof InputError && error.message.includes(`limit ${limit}`),
    );
  }
  assert.throws(() => sampleIndices(ITEMS, { limit: 5, seed: 0.5 }), /seed 0\.5/);
});
