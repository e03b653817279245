import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { readNpy, readNpyText, readNpz } from '../../../src/io/datasets/npy.js';

// Files written by numpy (scripts/train/vit/make_fixtures.py) and the values numpy holds for them.
const DIR = 'test/fixtures/npy';
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as Record<
  string,
  { descr: string; shape: number[]; values: number[] }
>;

for (const [name, want] of Object.entries(expected)) {
  test(`${name}.npy reads as numpy wrote it (${want.descr}, [${want.shape.join(', ')}])`, () => {
    const array = readNpy(readFileSync(`${DIR}/${name}.npy`), name);
    assert.equal(array.descr, want.descr);
    assert.deepEqual(array.shape, want.shape);
    const values = Array.from(array.data as ArrayLike<number | bigint>, Number);
    assert.equal(values.length, want.values.length);
    // float32 holds numpy's float64 values to float32 precision; everything else exactly.
    values.forEach((value, i) => assert.ok(Math.abs(value - want.values[i]!) <= 1e-6 * Math.abs(want.values[i]!)));
  });
}

test('element types follow the dtype: floats float32, small ints int32, 64-bit ints int64, booleans bool', () => {
  const typeOf = (name: string) => readNpy(readFileSync(`${DIR}/${name}.npy`), name).type;
  assert.deepEqual(['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'u1', 'u2', 'i8', 'b1'].map(typeOf), [
    'float32',
    'float32',
    'float32',
    'int32',
    'int32',
    'int32',
    'int32',
    'int32',
    'int64',
    'bool',
  ]);
});

test('npz archives, stored and deflated, give every array by key', () => {
  for (const file of ['pair.npz', 'pair-compressed.npz']) {
    const arrays = readNpz(readFileSync(`${DIR}/${file}`), file);
    assert.deepEqual([...arrays.keys()].sort(), ['labels', 'x']);
    assert.deepEqual(Array.from(arrays.get('x')!.data as Float32Array), expected.f4!.values);
    assert.deepEqual(Array.from(arrays.get('labels')!.data as BigInt64Array, Number), [3, 7]);
  }
});

const expectedText = JSON.parse(readFileSync(`${DIR}/expected-text.json`, 'utf8')) as Record<
  string,
  { descr: string; values: string[] }
>;

for (const [name, want] of Object.entries(expectedText)) {
  test(`${name}.npy (${want.descr}) reads as the strings numpy wrote`, () => {
    assert.deepEqual(readNpyText(readFileSync(`${DIR}/${name}.npy`), name), want.values);
  });
}

test('numbers read as text give the labels numpy holds; a string array is not numbers', () => {
  assert.deepEqual(readNpyText(readFileSync(`${DIR}/i4.npy`), 'i4'), expected.i4!.values.map(String));
  assert.deepEqual(readNpyText(readFileSync(`${DIR}/f4.npy`), 'f4'), expected.f4!.values.map(String));
  assert.throws(
    () => readNpy(readFileSync(`${DIR}/labels-U.npy`), 'labels-U.npy'),
    (e: unknown) => e instanceof InputError && /labels-U\.npy holds dtype '<U3'/.test(e.message),
  );
  const cut = readFileSync(`${DIR}/labels-U.npy`);
  assert.throws(() => readNpyText(cut.subarray(0, cut.length - 4), 'cut.npy'), /cut\.npy is truncated/);
});

test('what is not an npy file, or is cut short, is refused with the reason', () => {
  const bytes = readFileSync(`${DIR}/f4.npy`);
  assert.throws(
    () => readNpy(new Uint8Array(20), 'zeros.npy'),
    (e: unknown) => e instanceof InputError && /not a \.npy file/.test(e.message),
  );
  assert.throws(() => readNpy(bytes.subarray(0, bytes.length - 4), 'cut.npy'), /cut\.npy is truncated/);
  assert.throws(() => readNpz(bytes, 'f4.npy'), /not a readable ZIP/);
});
