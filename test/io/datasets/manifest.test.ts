import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { InputError } from '../../../src/errors.js';
import { openManifest } from '../../../src/io/datasets/manifest.js';
import { makeTempDir, writeBytes, writeSolidImage, removeTempDirs } from './fixtures.js';

after(removeTempDirs);

async function makeImages(): Promise<string> {
  const dir = await makeTempDir('manifest');
  await writeSolidImage(path.join(dir, 'images/a, b.png'), {
    width: 6,
    height: 6,
    colour: [10, 20, 30],
    format: 'png',
  });
  await writeSolidImage(path.join(dir, 'images/ünï.png'), { width: 6, height: 6, colour: [90], format: 'png' });
  await writeSolidImage(path.join(dir, 'other/c.png'), { width: 6, height: 6, colour: [1, 2, 3], format: 'png' });
  return dir;
}

function assertInputError(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, pattern);
    return true;
  };
}

test('CSV manifest with quoted commas, quotes and unicode labels, in manifest order', async () => {
  const dir = await makeImages();
  const csv = [
    'label,path,split,comment',
    '"狗, big","images/a, b.png",train,"x"',
    'Ünïcödé ✓,images/ünï.png,test,',
    '"say ""cat""",../' + path.basename(dir) + '/other/c.png,,',
    '',
  ].join('\r\n');
  await writeBytes(path.join(dir, 'list.csv'), csv);
  const dataset = await openManifest(path.join(dir, 'list.csv'));
  assert.equal(dataset.name, 'list');
  assert.deepEqual(
    dataset.items.map(({ index, path: file, label, split }) => ({
      index,
      file: path.relative(dir, file),
      label,
      split,
    })),
    [
      { index: 0, file: path.join('images', 'a, b.png'), label: '狗, big', split: 'train' },
      { index: 1, file: path.join('images', 'ünï.png'), label: 'Ünïcödé ✓', split: 'test' },
      { index: 2, file: path.join('other', 'c.png'), label: 'say "cat"', split: undefined },
    ],
  );
  assert.deepEqual(dataset.labels, ['say "cat"', 'Ünïcödé ✓', '狗, big']);
  const batch = await dataset.load([0, 1, 2], { width: 2, height: 2, channels: 3, layout: 'NHWC', scale: 1 });
  assert.equal(batch.failed.length, 0);
  assert.deepEqual([...batch.data.subarray(0, 3)], [10, 20, 30]);
  assert.deepEqual([...batch.data.subarray(12, 15)], [90, 90, 90]);
  assert.deepEqual([...batch.data.subarray(24, 27)], [1, 2, 3]);
});

test('JSON manifest: an array or {items}; numeric labels become text', async () => {
  const dir = await makeImages();
  const entries = [
    { path: 'images/ünï.png', label: 3 },
    { path: 'other/c.png', label: 'x', split: 'val' },
  ];
  await writeBytes(path.join(dir, 'a.json'), JSON.stringify(entries));
  await writeBytes(path.join(dir, 'b.json'), JSON.stringify({ items: entries }));
  const fromArray = await openManifest(path.join(dir, 'a.json'));
  const fromObject = await openManifest(path.join(dir, 'b.json'));
  assert.deepEqual(
    fromArray.items.map((item) => [item.label, item.split]),
    [
      ['3', undefined],
      ['x', 'val'],
    ],
  );
  assert.deepEqual(fromObject.items, fromArray.items);
  assert.equal(fromObject.fingerprint, fromArray.fingerprint);
  assert.deepEqual(fromArray.labels, ['3', 'x']);
});

test('a missing listed file fails at load like a corrupt image; all missing is an error', async () => {
  const dir = await makeImages();
  await writeBytes(path.join(dir, 'some.csv'), 'path,label\nother/c.png,a\nother/gone.png,b\n');
  const dataset = await openManifest(path.join(dir, 'some.csv'));
  const batch = await dataset.load([0, 1], { width: 2, height: 2, channels: 1, layout: 'NCHW' });
  assert.deepEqual(
    batch.failed.map((entry) => entry.index),
    [1],
  );
  assert.match(batch.failed[0]!.reason, /missing/i);
  assert.ok(batch.data.subarray(4).every((value) => value === 0));

  await writeBytes(path.join(dir, 'none.csv'), 'path,label\ngone1.png,a\ngone2.png,b\n');
  await assert.rejects(openManifest(path.join(dir, 'none.csv')), assertInputError(/none of the 2 files listed/));
});

test('malformed manifests are InputErrors naming the file and line', async () => {
  const dir = await makeImages();
  const cases: [string, string, RegExp][] = [
    ['no-label.csv', 'path,class\na.png,x\n', /lacks a path or label column/],
    ['short.csv', 'path,label\nother/c.png\n', /line 2 has 1 fields, the header has 2/],
    ['blank-path.csv', 'path,label\n ,x\n', /line 2 has an empty path/],
    ['empty.csv', '', /lists no images/],
    ['broken.json', '[{"path": ', /is not valid JSON/],
    ['object.json', '{"files": []}', /neither an array nor an object with an "items" array/],
    ['entry.json', '[{"path": "a.png"}]', /entry 0 .* needs a "path" string and a "label"/],
  ];
  for (const [name, text, pattern] of cases) {
    await writeBytes(path.join(dir, name), text);
    await assert.rejects(
      openManifest(path.join(dir, name)),
      assertInputError(new RegExp(`${name.replace('.', '\\.')}[\\s\\S]*${pattern.source}`)),
    );
  }
  await assert.rejects(openManifest(path.join(dir, 'absent.csv')), assertInputError(/absent\.csv does not exist/));
  await writeBytes(path.join(dir, 'list.txt'), 'path,label\n');
  await assert.rejects(openManifest(path.join(dir, 'list.txt')), assertInputError(/neither \.csv nor \.json/));
});
