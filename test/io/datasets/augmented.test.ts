import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../../src/errors.js';
import { augmentGrayArray, MAX_COPIES_PER_IMAGE } from '../../../src/io/datasets/augmented.js';
import { packedGraySource, type GrayArraySource } from '../../../src/io/datasets/gray-array-dataset.js';
import { DEFAULT_FASHION_MNIST_DIR, isBuiltInDataset, openDataset } from '../../../src/io/datasets/open.js';
import { makeTempDir, removeTempDirs, writeBytes } from './fixtures.js';

after(removeTempDirs);

const WIDTH = 7;
const HEIGHT = 5;

/** Three images whose every pixel differs (value = 1 + image * 40 + position, so 0 only where shifted in). */
function source(): GrayArraySource {
  const count = 3;
  const pixels = Uint8Array.from({ length: count * WIDTH * HEIGHT }, (_, i) => 1 + i);
  const items = ['a', 'b', 'a'].map((label, index) => ({ index, path: `f#${index}`, label, split: 'train' }));
  return packedGraySource({
    name: 'tiny',
    items,
    fingerprint: 'tiny',
    images: { pixels, count, width: WIDTH, height: HEIGHT },
  });
}

/** The transform an augmented item's path names, applied to its source image pixel by pixel. */
function expectedImage(original: Uint8Array, itemPath: string): Uint8Array {
  const shift = /\+shift\((-?\d+),(-?\d+)\)/.exec(itemPath);
  const [dx, dy] = shift ? [Number(shift[1]), Number(shift[2])] : [0, 0];
  const flipped = itemPath.endsWith('+flip');
  const grid = Array.from({ length: HEIGHT }, (_, y) => Array.from(original.subarray(y * WIDTH, (y + 1) * WIDTH)));
  if (flipped) grid.forEach((row) => row.reverse());
  const out = new Uint8Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) out[y * WIDTH + x] = grid[y - dy]?.[x - dx] ?? 0;
  }
  return out;
}

test('augmentGrayArray: the sources first, then distinct seeded shifts and flips of each, labels kept', () => {
  const tiny = source();
  const count = 3 * MAX_COPIES_PER_IMAGE;
  const augmented = augmentGrayArray(tiny, count, 42);
  assert.equal(augmented.items.length, count);
  assert.deepEqual(augmented.items.slice(0, 3), tiny.items, 'the sources come first, unchanged');
  assert.equal(new Set(augmented.items.map((item) => item.path)).size, count, 'every item is a distinct version');
  const images = new Set<string>();
  for (const item of augmented.items) {
    const from = tiny.items[item.index % 3]!;
    assert.equal(item.label, from.label);
    assert.equal(item.split, 'train');
    assert.ok(item.path.startsWith(`${from.path}`));
    const image = augmented.imageOf(item.index);
    assert.deepEqual(image, expectedImage(tiny.imageOf(from.index), item.path), item.path);
    images.add(image.join(','));
  }
  assert.equal(images.size, count, 'no two items hold the same image');
  assert.ok(augmented.items.slice(3).some((item) => item.path.endsWith('+flip')));
  assert.ok(augmented.items.slice(3).some((item) => item.path.includes('+shift(')));
});

test('augmentGrayArray is seeded: the same seed gives the same set, another seed another order', () => {
  const paths = (seed: number): string[] => augmentGrayArray(source(), 60, seed).items.map((item) => item.path);
  assert.deepEqual(paths(42), paths(42));
  assert.notDeepEqual(paths(42), paths(7));
  assert.notEqual(augmentGrayArray(source(), 60, 42).fingerprint, augmentGrayArray(source(), 61, 42).fingerprint);
});

test('augmentGrayArray refuses more inputs than distinct versions, naming the most it can give', () => {
  assert.throws(
    () => augmentGrayArray(source(), 3 * MAX_COPIES_PER_IMAGE + 1, 42),
    (error: unknown) =>
      error instanceof InputError && /295 augmented inputs/.test(error.message) && /at most 294/.test(error.hint ?? ''),
  );
  assert.throws(() => augmentGrayArray(source(), 0, 42), InputError);
});

test("'fashion-mnist-augmented:N' opens N inputs made from the split's images", async () => {
  const dir = await makeTempDir('augmented');
  const images = (count: number): Uint8Array =>
    gzipSync(
      Uint8Array.from([0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, 2, 0, 0, 0, 2, ...Array<number>(4 * count).fill(9)]),
    );
  const labels = (values: number[]): Uint8Array =>
    gzipSync(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, values.length, ...values]));
  await writeBytes(path.join(dir, 't10k-images-idx3-ubyte.gz'), images(2));
  await writeBytes(path.join(dir, 't10k-labels-idx1-ubyte.gz'), labels([1, 8]));
  await writeBytes(path.join(dir, 'train-images-idx3-ubyte.gz'), images(3));
  await writeBytes(path.join(dir, 'train-labels-idx1-ubyte.gz'), labels([0, 0, 5]));
  const dataset = await openDataset('fashion-mnist-augmented:12', { fashionMnistDir: dir, split: 'all' });
  assert.equal(dataset.items.length, 12);
  assert.equal(dataset.name, 'fashion-mnist-all-augmented-12');
  assert.deepEqual(
    dataset.items.map((item) => [item.label, item.split]),
    Array.from(
      { length: 12 },
      (_, i) =>
        [
          ['T-shirt/top', 'train'],
          ['T-shirt/top', 'train'],
          ['Sandal', 'train'],
          ['Trouser', 'test'],
          ['Bag', 'test'],
        ][i % 5],
    ),
  );
  assert.match(dataset.items[9]!.path, /t10k-images-idx3-ubyte\.gz#1\+(shift\(-?\d,-?\d\)|flip)/);
  const batch = await dataset.load([0, 11], { width: 2, height: 2, channels: 1, layout: 'NCHW' });
  assert.deepEqual(batch.dims, [2, 1, 2, 2]);
  assert.ok(isBuiltInDataset(' Fashion-MNIST-augmented:12 ') && !isBuiltInDataset('fashion-mnist-augmented'));
  await assert.rejects(
    openDataset('fashion-mnist-augmented:1000', { fashionMnistDir: dir, split: 'test' }),
    /1000 augmented inputs need more than the 98 distinct versions each of 2 source images give/,
  );
});

const hasFashion = existsSync(path.join(DEFAULT_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

test(
  'a million inputs from all 70,000 Fashion-MNIST images',
  { skip: hasFashion ? false : 'no Fashion-MNIST' },
  async () => {
    const dataset = await openDataset('fashion-mnist-augmented:1000000', { split: 'all' });
    assert.equal(dataset.items.length, 1_000_000);
    const last = dataset.items[999_999]!;
    assert.equal(last.label, dataset.items[999_999 % 70_000]!.label);
    const batch = await dataset.load([0, 70_000, 999_999], { width: 28, height: 28, channels: 1, layout: 'NCHW' });
    const [original, copy] = [batch.data.subarray(0, 784), batch.data.subarray(784, 1568)];
    assert.notDeepEqual(copy, original, 'a copy differs from its source');
    assert.ok(Math.abs(sum(copy) - sum(original)) < 0.5 * sum(original), 'and keeps most of its ink');
  },
);

function sum(values: Float32Array): number {
  return values.reduce((total, value) => total + value, 0);
}
