import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { InputError } from '../../../src/errors.js';
import { isTensorSpec, openTensorDataset } from '../../../src/io/datasets/open-tensors.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-tensors-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

const rows = async (file: string, options = {}) => {
  const data = await openTensorDataset(file, options);
  const arrays = await data.loadArrays(Int32Array.from(data.items, (item) => item.index));
  return { data, arrays };
};

test('raw float32 needs its shape and gives one row per item', async () => {
  const file = path.join(dir, 'x.f32');
  await writeFile(file, new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer));
  await assert.rejects(
    openTensorDataset(file),
    (e: unknown) => e instanceof InputError && /--shape/.test(e.hint ?? ''),
  );
  await assert.rejects(
    openTensorDataset(file, { shape: [4, 2] }),
    /holds 24 bytes, but shape \[4, 2\] of float32 needs 32/,
  );
  const { data, arrays } = await rows(file, { shape: [3, 2] });
  assert.equal(data.items.length, 3);
  assert.deepEqual(arrays[0]!.dims, [3, 2]);
  assert.deepEqual(Array.from((await data.loadArrays([2, 0]))[0]!.data as Float32Array), [5, 6, 1, 2]);
  assert.deepEqual(Array.from(data.content(1).series!), [3, 4]);
});

test('a CSV table: numeric columns make the input, the label column the labels; a manifest stays a manifest', async () => {
  const table = path.join(dir, 'table.csv');
  await writeFile(table, 'a,b,label,note\n1,2,cat,x\n3,4,dog,y\n5,6,cat,z\n');
  const manifest = path.join(dir, 'manifest.csv');
  await writeFile(manifest, 'path,label\nimg.png,cat\n');
  assert.equal(await isTensorSpec(table), true);
  assert.equal(await isTensorSpec(manifest), false);
  const { data, arrays } = await rows(table);
  assert.deepEqual(
    data.items.map((item) => item.label),
    ['cat', 'dog', 'cat'],
  );
  assert.deepEqual(
    arrays.map((array) => [array.name, array.dims]),
    [['input', [3, 2]]],
  );
  assert.deepEqual(Array.from(arrays[0]!.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  await assert.rejects(
    openTensorDataset(table, { columns: ['a', 'note'] }),
    /column 'note' .* holds VARCHAR, not numbers/,
  );
  await assert.rejects(
    openTensorDataset(table, { labelColumn: 'kind' }),
    /has no column 'kind'[\s\S]*a, b, label, note/,
  );
});

test('a Parquet file: list columns are arrays of their own; labels can come from a file', async () => {
  const file = path.join(dir, 'embeddings.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT * FROM (VALUES ([1.0, 2.0]::FLOAT[], [7, 8, 9]::BIGINT[]), ([3.0, 4.0]::FLOAT[], [1, 2, 3]::BIGINT[])) t(embedding, input_ids)) TO '${file}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  const labels = path.join(dir, 'labels.txt');
  await writeFile(labels, 'first\nsecond\n');
  const { data, arrays } = await rows(file, { labels });
  assert.deepEqual(
    data.items.map((item) => item.label),
    ['first', 'second'],
  );
  const byName = new Map(arrays.map((array) => [array.name, array]));
  assert.deepEqual(Array.from(byName.get('embedding')!.data as Float32Array), [1, 2, 3, 4]);
  assert.equal(byName.get('input_ids')!.type, 'int64');
  assert.deepEqual(Array.from(byName.get('input_ids')!.data as BigInt64Array, Number), [7, 8, 9, 1, 2, 3]);
});

test('an npz archive: its label key gives the labels, every other array is fed by name', async () => {
  const { data, arrays } = await rows('test/fixtures/npy/pair.npz');
  assert.deepEqual(
    data.items.map((item) => item.label),
    ['3', '7'],
  );
  assert.deepEqual(
    arrays.map((array) => [array.name, array.type, array.dims]),
    [['x', 'float32', [2, 3]]],
  );
  // Labels saved as numpy strings, in the archive or in a labels file.
  const named = await rows('test/fixtures/npy/text-labels.npz');
  assert.deepEqual(
    named.data.items.map((item) => item.label),
    ['zero', 'one'],
  );
  assert.deepEqual(
    named.arrays.map((array) => array.name),
    ['x'],
  );
  const four = path.join(dir, 'four.f32');
  await writeFile(four, new Uint8Array(new Float32Array(8).buffer));
  const fromFile = await openTensorDataset(four, { shape: [4, 2], labels: 'test/fixtures/npy/labels-S.npy' });
  assert.deepEqual(
    fromFile.items.map((item) => item.label),
    ['cat', 'dog', '', 'bird'],
  );
});

test('a text column needs a tokenizer, and gives ids, mask and segment ids', async () => {
  const csv = 'test/fixtures/text/sentences.csv';
  await assert.rejects(openTensorDataset(csv, { textColumn: 'text' }), /needs a tokenizer/);
  const { data, arrays } = await rows(csv, {
    textColumn: 'text',
    tokenizer: 'test/fixtures/text/wordpiece/tokenizer.json',
  });
  assert.deepEqual(
    arrays.map((array) => array.name),
    ['input_ids', 'attention_mask', 'token_type_ids'],
  );
  assert.equal(data.content(0).text, 'the cat sat on the mat');
});
