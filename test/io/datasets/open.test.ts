import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../../src/errors.js';
import { openDataset } from '../../../src/io/datasets/open.js';
import { makeTempDir, writeBytes, writeSolidImage, removeTempDirs } from './fixtures.js';

after(removeTempDirs);

function isInputError(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, pattern);
    assert.ok(error.hint, 'says what to do');
    return true;
  };
}

test('dispatches on the spec: mnist, folder, manifest, IDX', async () => {
  assert.equal((await openDataset(' MNIST ')).items.length, 10_000);
  const dir = await makeTempDir('open');
  await writeSolidImage(path.join(dir, 'images/cls/a.png'), { width: 3, height: 3, colour: [1, 2, 3], format: 'png' });
  await writeBytes(path.join(dir, 'list.csv'), 'path,label\nimages/cls/a.png,x\n');
  await writeBytes(path.join(dir, 'list.json'), '[{"path": "images/cls/a.png", "label": "y"}]');
  const header = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
  await writeBytes(path.join(dir, 'd-images-idx3-ubyte.gz'), gzipSync(Uint8Array.from([...header, 200])));
  await writeBytes(path.join(dir, 'd-labels-idx1-ubyte.gz'), gzipSync(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 4])));

  assert.deepEqual((await openDataset(path.join(dir, 'images'))).labels, ['cls']);
  assert.deepEqual((await openDataset(path.join(dir, 'list.csv'))).labels, ['x']);
  assert.deepEqual((await openDataset(path.join(dir, 'list.json'))).labels, ['y']);
  assert.deepEqual((await openDataset(path.join(dir, 'd-images-idx3-ubyte.gz'))).labels, ['4']);
});

test('fashion-mnist reads the folder given by fashionMnistDir', async () => {
  const dir = await makeTempDir('fashion');
  const images = (count: number, value: number): Uint8Array =>
    gzipSync(
      Uint8Array.from([0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, 1, 0, 0, 0, 1, ...Array<number>(count).fill(value)]),
    );
  const labels = (values: number[]): Uint8Array =>
    gzipSync(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, values.length, ...values]));
  await writeBytes(path.join(dir, 't10k-images-idx3-ubyte.gz'), images(2, 200));
  await writeBytes(path.join(dir, 't10k-labels-idx1-ubyte.gz'), labels([1, 8]));
  await writeBytes(path.join(dir, 'train-images-idx3-ubyte.gz'), images(3, 9));
  await writeBytes(path.join(dir, 'train-labels-idx1-ubyte.gz'), labels([0, 0, 5]));
  const test = await openDataset('fashion-mnist', { fashionMnistDir: dir });
  assert.deepEqual(
    test.items.map((item) => [item.label, item.split]),
    [
      ['Trouser', 'test'],
      ['Bag', 'test'],
    ],
  );
  const train = await openDataset('Fashion-MNIST', { fashionMnistDir: dir, split: 'train' });
  assert.equal(train.name, 'fashion-mnist-train');
  assert.deepEqual(train.labels, ['Sandal', 'T-shirt/top']);
  const all = await openDataset('fashion-mnist', { fashionMnistDir: dir, split: 'all' });
  assert.equal(all.name, 'fashion-mnist-all');
  assert.deepEqual(
    all.items.map((item) => [item.index, item.label, item.split, path.basename(item.path)]),
    [
      [0, 'T-shirt/top', 'train', 'train-images-idx3-ubyte.gz#0'],
      [1, 'T-shirt/top', 'train', 'train-images-idx3-ubyte.gz#1'],
      [2, 'Sandal', 'train', 'train-images-idx3-ubyte.gz#2'],
      [3, 'Trouser', 'test', 't10k-images-idx3-ubyte.gz#0'],
      [4, 'Bag', 'test', 't10k-images-idx3-ubyte.gz#1'],
    ],
  );
  await assert.rejects(
    openDataset('fashion-mnist', { fashionMnistDir: dir, split: 'all', labelsPath: path.join(dir, 'mine.gz') }),
    isInputError(/labels file ".*mine\.gz" cannot label split 'all'/),
    'a labels file for 70,000 images of two files is refused, not ignored',
  );
  assert.notEqual(all.fingerprint, train.fingerprint);
  assert.notEqual(all.fingerprint, test.fingerprint);
  const pixel = async (index: number): Promise<number> => (await all.pixels(index, { width: 1, height: 1 }, 1))[0]!;
  assert.deepEqual([await pixel(2), await pixel(3)], [9, 200], 'each item shows the image of its own file');
});

test('unusable specs are InputErrors naming the value and what to do', async () => {
  const dir = await makeTempDir('open-bad');
  await writeBytes(path.join(dir, 'notes.txt'), 'hello');
  await assert.rejects(openDataset(path.join(dir, 'missing')), isInputError(/dataset path .*missing does not exist/));
  await assert.rejects(openDataset(path.join(dir, 'notes.txt')), isInputError(/notes\.txt has an unknown format/));
  await assert.rejects(
    openDataset('fashion-mnist', { fashionMnistDir: dir }),
    isInputError(/t10k-images-idx3-ubyte\.gz does not exist/),
  );
  await assert.rejects(openDataset('mnist', { split: 'train' }), isInputError(/split 'train' does not exist/));
  await assert.rejects(openDataset('mnist', { split: 'all' }), isInputError(/split 'all' does not exist/));
  await assert.rejects(openDataset('mnist', { split: 'val' as 'test' }), isInputError(/split "val"/));
});
