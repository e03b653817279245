import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fashionMnistAvailable, loadFashionMnistTest, parseIdx } from '../../scripts/train/fashion-mnist.js';
import { firstImages, selectImages } from '../../scripts/train/labeled-images.js';
import { loadMnistDigits, MNIST_HELD_OUT_PER_CLASS } from '../../scripts/train/mnist-digits.js';
import { shuffledIndices } from '../../scripts/train/shuffled-indices.js';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { shiftBatch, shiftImage } from '../../scripts/train/shift-augmentation.js';

function idxBytes(dims: number[], data: number[]): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, 0x08);
  header.setUint8(3, dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...new Uint8Array(header.buffer), ...data]);
}

test('parseIdx reads big-endian dims and the bytes, gzipped or not', () => {
  const raw = idxBytes([2, 3], [1, 2, 3, 4, 5, 255]);
  for (const bytes of [raw, new Uint8Array(gzipSync(raw))]) {
    const parsed = parseIdx(bytes, 'x.idx');
    assert.deepEqual(parsed.dims, [2, 3]);
    assert.deepEqual([...parsed.data], [1, 2, 3, 4, 5, 255]);
  }
});

test('parseIdx rejects a bad magic number, a non-byte type and a truncated body, naming the file', () => {
  assert.throws(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), 'a.idx'), /a\.idx is not an IDX file/);
  const floats = idxBytes([1], [0]);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats, 'b.idx'), /b\.idx holds IDX type 0xd/);
  assert.throws(() => parseIdx(idxBytes([4], [1, 2]), 'c.idx'), /c\.idx declares 4 = 4 values but holds 2/);
});

test('MNIST split: 8,000 train + 2,000 held out, held-out is the last 200 per class, class-interleaved', () => {
  const { train, heldOut } = loadMnistDigits();
  assert.equal(train.count, 8000);
  assert.equal(heldOut.count, 10 * MNIST_HELD_OUT_PER_CLASS);
  for (let i = 0; i < heldOut.count; i++) assert.equal(heldOut.labels[i], i % 10);
  const counts = new Array<number>(10).fill(0);
  for (const label of train.labels) counts[label]!++;
  const mnist = createRequire(import.meta.url)('mnist') as Array<{ length: number; raw: number[] }>;
  assert.deepEqual(counts, mnist.slice(0, 10).map((d) => d.length - MNIST_HELD_OUT_PER_CLASS));
  // held-out image 3 is the first held-out digit of class 3: package index length - 200
  const three = mnist[3]!;
  const start = (three.length - MNIST_HELD_OUT_PER_CLASS) * 784;
  assert.deepEqual([...heldOut.pixels.subarray(3 * 784, 4 * 784)], [...Float32Array.from(three.raw.slice(start, start + 784))]);
  assert.ok(train.pixels.every((v) => v >= 0 && v <= 1));
});

test('selectImages copies the chosen images and labels; bad indices are named', () => {
  const images = { count: 3, height: 1, width: 2, pixels: Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5]), labels: Uint8Array.from([7, 8, 9]) };
  const picked = selectImages(images, [2, 0]);
  assert.deepEqual([...picked.pixels], [...Float32Array.from([0.4, 0.5, 0, 0.1])]);
  assert.deepEqual([...picked.labels], [9, 7]);
  assert.equal(firstImages(images, 10).count, 3);
  assert.throws(() => selectImages(images, [3]), /image index 3 is outside 0\.\.2/);
});

test('shuffledIndices is a seeded permutation', () => {
  const a = shuffledIndices(50, mulberry32(5));
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual([...shuffledIndices(50, mulberry32(5))], [...a]);
  assert.notDeepEqual([...shuffledIndices(50, mulberry32(6))], [...a]);
});

test('Fashion-MNIST test split: 10,000 28x28 images, labels 0..9 each 1,000 times', { skip: fashionMnistAvailable() ? false : 'Fashion-MNIST IDX files are not installed' }, () => {
  const images = loadFashionMnistTest();
  assert.equal(images.count, 10000);
  assert.equal(images.height, 28);
  assert.equal(images.width, 28);
  const counts = new Array<number>(10).fill(0);
  for (const label of images.labels) counts[label]!++;
  assert.deepEqual(counts, new Array<number>(10).fill(1000));
  assert.ok(images.pixels.every((v) => v >= 0 && v <= 1));
});

test('shiftImage translates with zero fill; shiftBatch keeps offsets within maxShift', () => {
  const side = 4;
  const image = Float32Array.from({ length: 16 }, (_, i) => i + 1);
  const out = new Float32Array(16);
  shiftImage(image, out, side, 1, -2); // right 1, up 2
  assert.deepEqual([...out], [0, 9, 10, 11, 0, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0]);
  shiftImage(image, out, side, 0, 0);
  assert.deepEqual([...out], [...image]);
  shiftImage(image, out, side, 4, 0);
  assert.ok(out.every((v) => v === 0));

  const dot = new Float32Array(2 * 25);
  dot[12] = 1; // centre of image 0
  dot[25 + 12] = 1; // centre of image 1
  const random = mulberry32(9);
  for (let trial = 0; trial < 20; trial++) {
    const batch = Float32Array.from(dot);
    shiftBatch(batch, 2, 5, 1, random);
    for (let i = 0; i < 2; i++) {
      const at = batch.subarray(i * 25, (i + 1) * 25).indexOf(1);
      assert.ok(at >= 0 && Math.abs((at % 5) - 2) <= 1 && Math.abs(Math.floor(at / 5) - 2) <= 1, `moved to ${at}`);
    }
  }
});
