import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { CancelledError, InputError } from '../../../src/errors.js';
import { openImageFolder } from '../../../src/io/datasets/folder.js';
import type { Dataset, Preprocessing } from '../../../src/io/datasets/types.js';
import {
  makeClassFolder,
  makeTempDir,
  writePixelsPng,
  writeSolidImage,
  FOLDER_FIXTURES,
  removeTempDirs,
} from './fixtures.js';

after(removeTempDirs);

const EXPECTED_ORDER = [
  'cat/gray.png',
  'cat/img2.png',
  'cat/img10.png',
  'cat/indoor/gray-alpha.png',
  'cat/indoor/rgba.png',
  'dog/corrupt.jpg',
  'dog/empty.png',
  'dog/photo.JPG',
  'dog/web.webp',
];
const CORRUPT = 5;
const EMPTY = 6;
/** RGB each decodable fixture should come back as; lossy formats get a wider tolerance. */
const EXPECTED_RGB: Record<string, { rgb: number[]; tolerance: number }> = {
  'cat/gray.png': { rgb: [100, 100, 100], tolerance: 0 },
  'cat/img2.png': { rgb: [10, 20, 30], tolerance: 0 },
  'cat/img10.png': { rgb: [30, 20, 10], tolerance: 0 },
  'cat/indoor/gray-alpha.png': { rgb: [60, 60, 60], tolerance: 0 },
  // Alpha is dropped, not composited; resampling premultiplied values may move it by one step.
  'cat/indoor/rgba.png': { rgb: [10, 200, 30], tolerance: 1 },
  'dog/photo.JPG': { rgb: [200, 100, 50], tolerance: 4 },
  'dog/web.webp': { rgb: [40, 160, 220], tolerance: 4 },
};

let root: string;
let dataset: Dataset;

before(async () => {
  root = await makeClassFolder();
  dataset = await openImageFolder(root);
});

test('lists images in natural path order with first-level folder labels', () => {
  assert.deepEqual(
    dataset.items.map((item) => path.relative(root, item.path).split(path.sep).join('/')),
    EXPECTED_ORDER,
  );
  assert.deepEqual(
    dataset.items.map((item) => item.index),
    EXPECTED_ORDER.map((_, i) => i),
  );
  assert.deepEqual(
    dataset.items.map((item) => item.label),
    [...Array<string>(5).fill('cat'), ...Array<string>(4).fill('dog')],
  );
  assert.deepEqual(dataset.labels, ['cat', 'dog']);
  assert.equal(dataset.name, path.basename(root));
  assert.match(dataset.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(Object.keys(FOLDER_FIXTURES).length, 7);
});

test("labelFrom 'path' uses the whole relative folder", async () => {
  const byPath = await openImageFolder(root, { labelFrom: 'path' });
  assert.deepEqual(byPath.labels, ['cat', 'cat/indoor', 'dog']);
  assert.equal(byPath.items[3]!.label, 'cat/indoor');
  assert.notEqual(byPath.fingerprint, dataset.fingerprint);
});

test('load skips corrupt and empty files, zeroes their rows and decodes gray, RGB, RGBA, JPEG, WebP', async () => {
  const prep: Preprocessing = { width: 4, height: 4, channels: 3, layout: 'NHWC', scale: 1 };
  const all = dataset.items.map((item) => item.index);
  const batch = await dataset.load(all, prep);
  assert.deepEqual(batch.dims, [9, 4, 4, 3]);
  assert.deepEqual(
    batch.failed.map((entry) => entry.index),
    [CORRUPT, EMPTY],
  );
  assert.equal(batch.failed[0]!.path, dataset.items[CORRUPT]!.path);
  assert.ok(batch.failed.every((entry) => entry.reason.length > 0));
  const rowSize = 4 * 4 * 3;
  for (const bad of [CORRUPT, EMPTY]) {
    assert.ok(
      batch.data.subarray(bad * rowSize, (bad + 1) * rowSize).every((value) => value === 0),
      `row ${bad} is zero`,
    );
  }
  EXPECTED_ORDER.forEach((relative, slot) => {
    const expected = EXPECTED_RGB[relative];
    if (expected === undefined) return;
    const row = batch.data.subarray(slot * rowSize, (slot + 1) * rowSize);
    for (let i = 0; i < row.length; i++) {
      const want = expected.rgb[i % 3]!;
      assert.ok(Math.abs(row[i]! - want) <= expected.tolerance, `${relative} value ${i}: ${row[i]} vs ${want}`);
    }
  });
});

test("onBadImage 'fail' throws an InputError naming the file", async () => {
  const strict = await openImageFolder(root, { onBadImage: 'fail' });
  await assert.rejects(
    strict.load([0, CORRUPT], { width: 4, height: 4, channels: 1, layout: 'NCHW' }),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.ok(error.message.includes(dataset.items[CORRUPT]!.path), error.message);
      assert.match(error.message, /item 5/);
      return true;
    },
  );
  const good = await strict.load([0, 1], { width: 4, height: 4, channels: 1, layout: 'NCHW' });
  assert.equal(good.failed.length, 0);
});

test('gray model input, normalization and duplicate indices', async () => {
  const batch = await dataset.load([1, 0, 1], {
    width: 3,
    height: 2,
    channels: 1,
    layout: 'NCHW',
    mean: [0.5],
    std: [0.25],
  });
  assert.deepEqual(batch.dims, [3, 1, 2, 3]);
  const luma = (10 * 19595 + 20 * 38470 + 30 * 7471 + 0x8000) >>> 16; // 18, as PIL's convert('L')
  const expected = [luma, 100, luma].map((value) => (value / 255 - 0.5) / 0.25);
  for (let slot = 0; slot < 3; slot++) {
    for (const value of batch.data.subarray(slot * 6, slot * 6 + 6))
      assert.ok(Math.abs(value - expected[slot]!) < 1e-5);
  }
});

test('same data whatever the concurrency', async () => {
  const serial = await openImageFolder(root, { concurrency: 1 });
  const prep: Preprocessing = { width: 6, height: 5, channels: 3, layout: 'NCHW', resize: 'fit' };
  const indices = [8, 0, 4, 7, 2];
  assert.deepEqual((await serial.load(indices, prep)).data, (await dataset.load(indices, prep)).data);
});

test('resize modes: stretch squeezes, fit letterboxes on black, crop keeps the center', async () => {
  const dir = await makeTempDir('resize');
  // 8x4: the two left columns black, the rest white.
  const pixels = new Uint8Array(8 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 2; x < 8; x++) pixels.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
  await writePixelsPng(path.join(dir, 'wide/wide.png'), 8, 4, pixels);
  await writeSolidImage(path.join(dir, 'white/white.png'), {
    width: 8,
    height: 4,
    colour: [255, 255, 255],
    format: 'png',
  });
  const wide = await openImageFolder(dir);
  assert.deepEqual(wide.labels, ['white', 'wide']);
  const [WHITE, WIDE] = [0, 1];
  const prep = (resize: 'stretch' | 'fit' | 'crop'): Preprocessing => ({
    width: 4,
    height: 4,
    channels: 1,
    layout: 'NCHW',
    scale: 1,
    resize,
  });
  const at = (data: Float32Array, item: number, x: number, y: number): number => data[item * 16 + y * 4 + x]!;

  const stretch = (await wide.load([WIDE], prep('stretch'))).data;
  assert.ok(at(stretch, 0, 0, 1) < 80, `stretched left column is dark: ${at(stretch, 0, 0, 1)}`);
  assert.ok(at(stretch, 0, 3, 1) > 240);

  const crop = (await wide.load([WIDE], prep('crop'))).data;
  assert.ok(
    crop.every((value) => value === 255),
    'the center 4x4 of the 8x4 image is all white',
  );

  const fit = (await wide.load([WHITE], prep('fit'))).data;
  for (let x = 0; x < 4; x++) {
    assert.equal(at(fit, 0, x, 0), 0);
    assert.equal(at(fit, 0, x, 3), 0);
    assert.ok(at(fit, 0, x, 1) > 250 && at(fit, 0, x, 2) > 250);
  }
});

test('pixels returns 8-bit HWC at the requested size and channels', async () => {
  const rgb = await dataset.pixels(1, { width: 3, height: 2 }, 3);
  assert.deepEqual([...rgb], Array(6).fill([10, 20, 30]).flat());
  const gray = await dataset.pixels(1, { width: 3, height: 2 }, 1);
  assert.deepEqual([...gray], Array(6).fill(18));
  await assert.rejects(dataset.pixels(EMPTY, { width: 3, height: 2 }, 1), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.ok(error.message.includes('empty.png'));
    return true;
  });
  await assert.rejects(dataset.pixels(9, { width: 3, height: 2 }, 1), /item index 9 is outside/);
});

test('progress counts every item once; an abort cancels', async () => {
  const seen: number[] = [];
  await dataset.load(
    [0, 1, 2, 3],
    { width: 2, height: 2, channels: 1, layout: 'NCHW' },
    {
      onProgress: ({ done, total, stage }) => {
        assert.equal(total, 4);
        assert.equal(stage, 'load images');
        seen.push(done);
      },
    },
  );
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);

  const controller = new AbortController();
  const serial = await openImageFolder(root, { concurrency: 1 });
  let reported = 0;
  await assert.rejects(
    serial.load(
      [0, 1, 2, 3],
      { width: 2, height: 2, channels: 1, layout: 'NCHW' },
      {
        signal: controller.signal,
        onProgress: ({ done }) => {
          reported = done;
          if (done === 1) controller.abort();
        },
      },
    ),
    CancelledError,
  );
  assert.equal(reported, 1);
});

test('bad indices are InputErrors', async () => {
  const prep: Preprocessing = { width: 2, height: 2, channels: 1, layout: 'NCHW' };
  await assert.rejects(dataset.load([0, 42], prep), /item index 42 is outside dataset/);
  await assert.rejects(dataset.load([1.5], prep), /item index 1\.5/);
});

test('fingerprint is stable and follows file content', async () => {
  const dir = await makeTempDir('fingerprint');
  await writeSolidImage(path.join(dir, 'a/1.png'), { width: 4, height: 4, colour: [1, 2, 3], format: 'png' });
  await writeSolidImage(path.join(dir, 'b/2.png'), { width: 4, height: 4, colour: [4, 5, 6], format: 'png' });
  const first = (await openImageFolder(dir)).fingerprint;
  assert.equal((await openImageFolder(dir)).fingerprint, first);
  await writeSolidImage(path.join(dir, 'b/2.png'), { width: 9, height: 9, colour: [4, 5, 6], format: 'png' });
  const changed = (await openImageFolder(dir)).fingerprint;
  assert.notEqual(changed, first);
  await writeSolidImage(path.join(dir, 'b/3.png'), { width: 4, height: 4, colour: [4, 5, 6], format: 'png' });
  assert.notEqual((await openImageFolder(dir)).fingerprint, changed);
});

test('missing, non-folder and image-less paths are InputErrors naming the path', async () => {
  const dir = await makeTempDir('empty');
  await assert.rejects(openImageFolder(path.join(dir, 'nope')), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /nope does not exist/);
    return true;
  });
  await assert.rejects(
    openImageFolder(dir),
    new RegExp(`${dir.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} holds no images`),
  );
  const file = path.join(dir, 'file.txt');
  await writeFile(file, 'x');
  await assert.rejects(openImageFolder(file), /is not a folder/);
  await assert.rejects(openImageFolder(root, { onBadImage: 'ignore' as 'skip' }), /onBadImage "ignore"/);
});
