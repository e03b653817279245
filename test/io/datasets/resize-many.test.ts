/**
 * resizeGrayMany (a thumbnail sheet's images in one libvips pipeline) gives every image exactly the pixels
 * resizeGray gives it alone, for the sizes thumbnails are drawn at, square or not, enlarged or not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resizeGray, resizeGrayMany } from '../../../src/io/datasets/decode.js';
import { openDataset } from '../../../src/io/datasets/open.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

function randomImages(count: number, width: number, height: number, seed: number): Uint8Array[] {
  const random = mulberry32(seed);
  // Sharp edges (zeros beside bright pixels) as in digits: where a kernel that reached a neighbour would show.
  return Array.from({ length: count }, () =>
    Uint8Array.from({ length: width * height }, () => (random() < 0.4 ? 0 : Math.floor(random() * 256))),
  );
}

async function alone(images: Uint8Array[], width: number, height: number, target: { width: number; height: number }) {
  return Promise.all(
    images.map(
      async (data) => (await resizeGray({ data, width, height, channels: 1 }, { ...target, resize: 'stretch' })).data,
    ),
  );
}

const cases = [
  { width: 28, height: 28, target: { width: 64, height: 64 }, count: 40 },
  { width: 28, height: 28, target: { width: 96, height: 96 }, count: 12 },
  { width: 32, height: 32, target: { width: 64, height: 64 }, count: 12 },
  { width: 28, height: 20, target: { width: 64, height: 64 }, count: 12 },
  { width: 27, height: 29, target: { width: 100, height: 37 }, count: 12 },
  { width: 28, height: 28, target: { width: 28, height: 28 }, count: 5 },
  { width: 28, height: 28, target: { width: 16, height: 16 }, count: 5 },
];

for (const { width, height, target, count } of cases) {
  test(`${count} images of ${width}x${height} stretched to ${target.width}x${target.height}: the same pixels as one by one`, async () => {
    const images = randomImages(count, width, height, width * 1000 + target.width);
    const many = await resizeGrayMany(images, width, height, target);
    const one = await alone(images, width, height, target);
    assert.equal(many.length, count);
    many.forEach((tile, k) => {
      assert.equal(tile.length, target.width * target.height);
      assert.deepEqual(tile, Uint8Array.from(one[k]!), `image ${k}`);
      assert.notEqual(tile.buffer, images[k]!.buffer, 'never a view of the input');
    });
  });
}

test('more images than one mosaic holds come back in order', async () => {
  const images = randomImages(300, 28, 28, 5);
  const many = await resizeGrayMany(images, 28, 28, { width: 64, height: 64 });
  const one = await alone(images, 28, 28, { width: 64, height: 64 });
  assert.equal(many.length, 300);
  for (const k of [0, 255, 256, 299]) assert.deepEqual(many[k], Uint8Array.from(one[k]!), `image ${k}`);
});

test('a packed gray dataset draws many items at once as pixels() draws each, gray or RGB', async () => {
  const dataset = await openDataset('mnist');
  assert.ok(dataset.pixelsMany !== undefined);
  const indices = [0, 7, 3, 9999, 42, 42];
  for (const channels of [1, 3] as const) {
    const many = await dataset.pixelsMany(indices, { width: 64, height: 64 }, channels);
    const one = await Promise.all(indices.map((i) => dataset.pixels(i, { width: 64, height: 64 }, channels)));
    assert.deepEqual(many, one, `${channels} channels`);
  }
  await assert.rejects(
    dataset.pixelsMany([1, 10_000_000], { width: 64, height: 64 }, 1),
    /item index 10000000 is outside/,
  );
});
