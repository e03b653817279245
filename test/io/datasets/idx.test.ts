import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../../src/errors.js';
import { FASHION_MNIST_LABELS, openIdxDataset, parseIdx, readIdxFile } from '../../../src/io/datasets/idx.js';
import { openDataset } from '../../../src/io/datasets/open.js';
import { compareNatural } from '../../../src/io/datasets/labels.js';
import { makeTempDir, writeBytes, removeTempDirs } from './fixtures.js';

after(removeTempDirs);

/** IDX bytes: magic 0 0 0x08 rank, big-endian dims, then the data. */
function idx(dims: number[], data: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  const view = new DataView(header.buffer);
  dims.forEach((dim, d) => view.setUint32(4 + 4 * d, dim, false));
  return Uint8Array.from([...header, ...data]);
}

// Three 2-row x 3-column images with distinct bytes, labels 2, 0, 1.
const PIXELS = Array.from({ length: 18 }, (_, i) => i * 14);
const LABELS = [2, 0, 1];

async function writeTinyIdx(dir: string, gzip: boolean): Promise<string> {
  const suffix = gzip ? '.gz' : '';
  const encode = (bytes: Uint8Array): Uint8Array => (gzip ? gzipSync(bytes) : bytes);
  await writeBytes(path.join(dir, `tiny-images-idx3-ubyte${suffix}`), encode(idx([3, 2, 3], PIXELS)));
  await writeBytes(path.join(dir, `tiny-labels-idx1-ubyte${suffix}`), encode(idx([3], LABELS)));
  return path.join(dir, `tiny-images-idx3-ubyte${suffix}`);
}

test('parseIdx reads rank, big-endian dims and data', () => {
  const parsed = parseIdx(idx([2, 1, 300], Array<number>(600).fill(7)), 'x');
  assert.deepEqual(parsed.dims, [2, 1, 300]);
  assert.equal(parsed.data.length, 600);
  assert.throws(() => parseIdx(Uint8Array.from([1, 0, 8, 1]), 'f.idx'), /f\.idx is not an IDX file/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx'), /element type 0xd/);
  assert.throws(() => parseIdx(idx([3], [1, 2]), 'f.idx'), /holds 2 data bytes, its header \[3\] says 3/);
});

for (const gzip of [false, true]) {
  test(`tiny ${gzip ? 'gzipped' : 'plain'} IDX pair: items, labels beside, exact pixels`, async () => {
    const dir = await makeTempDir('idx');
    const imagesFile = await writeTinyIdx(dir, gzip);
    const dataset = await openIdxDataset(imagesFile);
    assert.equal(dataset.name, 'tiny-images-idx3-ubyte');
    assert.deepEqual(dataset.items, [
      { index: 0, path: `${imagesFile}#0`, label: '2' },
      { index: 1, path: `${imagesFile}#1`, label: '0' },
      { index: 2, path: `${imagesFile}#2`, label: '1' },
    ]);
    assert.deepEqual(dataset.labels, ['0', '1', '2']);
    const batch = await dataset.load([2, 0], { width: 3, height: 2, channels: 1, layout: 'NCHW', scale: 1 });
    assert.deepEqual(batch.dims, [2, 1, 2, 3]);
    assert.deepEqual([...batch.data], [...PIXELS.slice(12, 18), ...PIXELS.slice(0, 6)]);
    const rgb = await dataset.load([1], { width: 3, height: 2, channels: 3, layout: 'NHWC', scale: 1 });
    assert.deepEqual(
      [...rgb.data],
      PIXELS.slice(6, 12).flatMap((value) => [value, value, value]),
    );
    assert.deepEqual([...(await dataset.pixels(1, { width: 3, height: 2 }, 1))], PIXELS.slice(6, 12));
  });
}

test('plain and gzipped files hold the same items but are different sources', async () => {
  const dir = await makeTempDir('idx-both');
  const plain = await openIdxDataset(await writeTinyIdx(dir, false));
  const gzipped = await openIdxDataset(await writeTinyIdx(dir, true));
  assert.deepEqual(
    plain.items.map((item) => item.label),
    gzipped.items.map((item) => item.label),
  );
  assert.notEqual(plain.fingerprint, gzipped.fingerprint);
  assert.equal((await openIdxDataset(path.join(dir, 'tiny-images-idx3-ubyte'))).fingerprint, plain.fingerprint);
});

test('a gzipped IDX file reads whole whatever size its gzip trailer records (a hint for the buffer only)', async () => {
  const dir = await makeTempDir('idx-trailer');
  const bytes = idx([3, 2, 3], PIXELS);
  // Two gzip members: the trailer at the end records the second one's size only.
  const members = path.join(dir, 'members-images-idx3-ubyte.gz');
  await writeBytes(members, Uint8Array.from([...gzipSync(bytes.subarray(0, 10)), ...gzipSync(bytes.subarray(10))]));
  const read = await readIdxFile(members);
  assert.deepEqual(read.array.dims, [3, 2, 3]);
  assert.deepEqual([...read.array.data], PIXELS);
  // A recorded size that is not the data's is a broken file, not a bigger one.
  const lying = Uint8Array.from(gzipSync(bytes));
  new DataView(lying.buffer).setUint32(lying.length - 4, 0xffffffff, true);
  const broken = path.join(dir, 'lying-images-idx3-ubyte.gz');
  await writeBytes(broken, lying);
  await assert.rejects(readIdxFile(broken), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /lying-images-idx3-ubyte\.gz is a broken gzip file/);
    return true;
  });
});

test('resizing gray IDX images keeps one channel and the value of a flat image', async () => {
  const dir = await makeTempDir('idx-flat');
  await writeBytes(path.join(dir, 'flat-images-idx3-ubyte'), idx([1, 4, 4], Array<number>(16).fill(77)));
  await writeBytes(path.join(dir, 'flat-labels-idx1-ubyte'), idx([1], [0]));
  const dataset = await openIdxDataset(path.join(dir, 'flat-images-idx3-ubyte'));
  for (const resize of ['stretch', 'crop'] as const) {
    const batch = await dataset.load([0], { width: 7, height: 5, channels: 1, layout: 'NCHW', scale: 1, resize });
    assert.ok(
      batch.data.every((value) => value === 77),
      `${resize}: ${batch.data.join(',')}`,
    );
  }
  const fit = await dataset.load([0], { width: 8, height: 4, channels: 1, layout: 'NHWC', scale: 1, resize: 'fit' });
  assert.deepEqual([...fit.data.subarray(0, 8)], [0, 0, 77, 77, 77, 77, 0, 0]);
  assert.equal((await dataset.pixels(0, { width: 10, height: 10 }, 3)).length, 300);
});

test('label names: given, or Fashion-MNIST when the folder says so; split from t10k/train names', async () => {
  const parent = await makeTempDir('idx-names');
  const dir = path.join(parent, 'My-Fashion-Data');
  await writeBytes(path.join(dir, 't10k-images-idx3-ubyte'), idx([2, 1, 1], [5, 6]));
  await writeBytes(path.join(dir, 't10k-labels-idx1-ubyte'), idx([2], [9, 0]));
  const fashion = await openIdxDataset(path.join(dir, 't10k-images-idx3-ubyte'));
  assert.deepEqual(
    fashion.items.map((item) => [item.label, item.split]),
    [
      ['Ankle boot', 'test'],
      ['T-shirt/top', 'test'],
    ],
  );
  const named = await openIdxDataset(path.join(dir, 't10k-images-idx3-ubyte'), {
    labelNames: [...'abcdefghij'],
    split: 'holdout',
  });
  assert.deepEqual(
    named.items.map((item) => [item.label, item.split]),
    [
      ['j', 'holdout'],
      ['a', 'holdout'],
    ],
  );
  assert.notEqual(named.fingerprint, fashion.fingerprint);
  await assert.rejects(
    openIdxDataset(path.join(dir, 't10k-images-idx3-ubyte'), { labelNames: ['a'] }),
    /label 9 of item 0 .* has no name among 1 label names/,
  );
});

test('broken pairs are InputErrors naming the files', async () => {
  const dir = await makeTempDir('idx-bad');
  await writeBytes(path.join(dir, 'x-images-idx3-ubyte'), idx([2, 1, 1], [5, 6]));
  await assert.rejects(openIdxDataset(path.join(dir, 'x-images-idx3-ubyte')), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(
      error.message,
      /no labels file found beside .*x-images-idx3-ubyte \(tried .*x-labels-idx1-ubyte, .*x-labels-idx1-ubyte\.gz\)/,
    );
    assert.match(error.hint ?? '', /labelsPath/);
    return true;
  });
  await writeBytes(path.join(dir, 'wrong-count'), idx([3], [0, 1, 2]));
  await assert.rejects(
    openIdxDataset(path.join(dir, 'x-images-idx3-ubyte'), { labelsPath: path.join(dir, 'wrong-count') }),
    /has shape \[3\], expected \[2\]/,
  );
  await assert.rejects(
    openIdxDataset(path.join(dir, 'wrong-count'), { labelsPath: path.join(dir, 'wrong-count') }),
    /not \[count, rows, columns\]/,
  );
  await writeBytes(path.join(dir, 'bad-images-idx3-ubyte.gz'), Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
  await writeBytes(path.join(dir, 'bad-labels-idx1-ubyte.gz'), gzipSync(idx([1], [0])));
  await assert.rejects(
    openIdxDataset(path.join(dir, 'bad-images-idx3-ubyte.gz')),
    /bad-images-idx3-ubyte\.gz is a broken gzip file/,
  );
});

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const hasFashion = existsSync(path.join(FASHION_DIR, 't10k-images-idx3-ubyte.gz'));

test('real Fashion-MNIST test set', { skip: hasFashion ? false : `no ${FASHION_DIR}` }, async () => {
  const dataset = await openDataset('fashion-mnist');
  assert.equal(dataset.name, 'fashion-mnist-test');
  assert.equal(dataset.items.length, 10_000);
  assert.deepEqual(dataset.labels, [...FASHION_MNIST_LABELS].sort(compareNatural));
  assert.equal(dataset.items[0]!.label, 'Ankle boot');
  assert.equal(dataset.items[0]!.split, 'test');
  for (const label of FASHION_MNIST_LABELS) {
    assert.equal(dataset.items.filter((item) => item.label === label).length, 1000, label);
  }
  const batch = await dataset.load([0, 9999], { width: 28, height: 28, channels: 1, layout: 'NCHW' });
  assert.deepEqual(batch.dims, [2, 1, 28, 28]);
  assert.ok(batch.data.every((value) => value >= 0 && value <= 1));
  assert.ok(
    batch.data.some((value) => value > 0.5),
    'images are not blank',
  );
});
