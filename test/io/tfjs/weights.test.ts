import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { decodeWeights, halfToFloat } from '../../../src/io/tfjs/weights.js';

const bytesOf = (array: ArrayBufferView) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

test('weights are cut from the shard bytes in manifest order and dequantized as tfjs does', () => {
  const float = new Float32Array([1.5, -2, 0.25, 3]);
  const uint8 = new Uint8Array([0, 1, 255]);
  const uint16 = new Uint16Array([0, 2, 65535]);
  const half = new Uint16Array([0x3c00, 0xc000, 0x3555]); // 1, -2, 0.333251953125
  const int32 = new Int32Array([7, -3]);
  // uint8 then uint16 leaves the uint16 run at an odd offset, which decoding must handle.
  const bytes = concat(bytesOf(float), uint8, bytesOf(uint16), bytesOf(half), bytesOf(int32));
  const weights = decodeWeights(
    [
      { name: 'dense/kernel', shape: [2, 2], dtype: 'float32' },
      { name: 'q8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
      { name: 'q16', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', min: 2, scale: 0.25 } },
      { name: 'f16', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'shape', shape: [2], dtype: 'int32' },
    ],
    bytes,
    'model.json',
  );
  assert.deepEqual([...weights.keys()], ['dense/kernel', 'q8', 'q16', 'f16', 'shape']);
  assert.deepEqual(weights.get('dense/kernel'), { shape: [2, 2], data: float });
  assert.deepEqual(Array.from(weights.get('q8')!.data), [-1, -0.5, 126.5]);
  assert.deepEqual(Array.from(weights.get('q16')!.data), [2, 2.5, 16385.75]);
  assert.deepEqual(Array.from(weights.get('f16')!.data), [1, -2, 0.333251953125]);
  assert.deepEqual(Array.from(weights.get('shape')!.data), [7, -3]);
});

test('half floats decode exactly, subnormals and infinities included', () => {
  assert.equal(halfToFloat(0x0000), 0);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0xfc00), -Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('short shards and unknown storage types are errors that name the weight', () => {
  assert.throws(
    () => decodeWeights([{ name: 'conv/kernel', shape: [4], dtype: 'float32' }], new Uint8Array(12), 'm.json'),
    (error: unknown) =>
      error instanceof InputError &&
      /m\.json end before weight 'conv\/kernel' \(12 bytes, need 16\)/.test(error.message),
  );
  assert.throws(
    () => decodeWeights([{ name: 'table', shape: [1], dtype: 'string' }], new Uint8Array(8), 'm.json'),
    (error: unknown) =>
      error instanceof InputError && /weight 'table' of m\.json is stored as string/.test(error.message),
  );
  assert.throws(
    () =>
      decodeWeights(
        [{ name: 'q', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }],
        new Uint8Array(1),
        'm.json',
      ),
    /uint8-quantized without min and scale/,
  );
});
