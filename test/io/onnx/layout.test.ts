import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectLayout, imageInputSize } from '../../../src/io/onnx/layout.js';
import { InputError } from '../../../src/errors.js';

test('detectLayout finds the channel axis when only one end looks like channels', () => {
  assert.equal(detectLayout(['N', 3, 224, 224]), 'NCHW');
  assert.equal(detectLayout([1, 1, 28, 28]), 'NCHW');
  assert.equal(detectLayout(['N', 224, 224, 3]), 'NHWC');
  assert.equal(detectLayout(['N', 'h', 'w', 3]), 'NHWC');
  assert.equal(detectLayout(['N', 3, 'h', 'w']), 'NCHW');
});

test('detectLayout settles ambiguous dims by square images, then by the NCHW convention', () => {
  assert.equal(detectLayout(['N', 1, 4, 4]), 'NCHW'); // both ends <= 4: H == W points at NCHW
  assert.equal(detectLayout(['N', 4, 4, 1]), 'NHWC'); // H == W on the other side
  assert.equal(detectLayout(['N', 64, 32, 32]), 'NCHW');
  assert.equal(detectLayout(['N', 32, 32, 64]), 'NHWC');
  assert.equal(detectLayout(['N', 3, 3, 3]), 'NCHW');
  assert.equal(detectLayout(['N', 'a', 'b', 'c']), 'NCHW');
});

test("an explicit layout overrides detection; 'auto' detects", () => {
  assert.equal(detectLayout(['N', 224, 224, 3], 'NCHW'), 'NCHW');
  assert.equal(detectLayout(['N', 3, 224, 224], 'NHWC'), 'NHWC');
  assert.equal(detectLayout(['N', 3, 224, 224], 'auto'), 'NCHW');
});

test('detectLayout refuses non-image inputs with a clear error', () => {
  assert.throws(
    () => detectLayout(['N', 784]),
    (e: unknown) => e instanceof InputError && /\[N, 784\].*rank 2/.test(e.message),
  );
});

test('imageInputSize reads channels, height and width for either layout', () => {
  assert.deepEqual(imageInputSize(['N', 3, 48, 192], 'NCHW'), { channels: 3, height: 48, width: 192 });
  assert.deepEqual(imageInputSize(['N', 48, 192, 3], 'NHWC'), { channels: 3, height: 48, width: 192 });
  assert.deepEqual(imageInputSize(['N', 3, 'h', 'w'], 'NCHW', { height: 32, width: 64 }), {
    channels: 3,
    height: 32,
    width: 64,
  });
});

test('imageInputSize asks for an image size when the model takes any, and rejects symbolic channels', () => {
  assert.throws(
    () => imageInputSize(['N', 3, 'h', 'w'], 'NCHW'),
    /accepts any image size[\s\S]*choose one with imageSize/,
  );
  assert.throws(() => imageInputSize(['N', 'c', 8, 8], 'NCHW'), /symbolic channel count 'c'[\s\S]*layout/);
});
