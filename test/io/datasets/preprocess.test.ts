import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import {
  convertChannels,
  resolvePreprocessing,
  tensorDims,
  writeTensorRow,
} from '../../../src/io/datasets/preprocess.js';
import type { RawImage } from '../../../src/io/datasets/types.js';

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `value ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

// A 2x2 RGB image, row-major HWC.
const rgb: RawImage = {
  data: Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]),
  width: 2,
  height: 2,
  channels: 3,
};

test('defaults: stretch, scale 1/255, mean 0, std 1', () => {
  const prep = resolvePreprocessing({ width: 2, height: 2, channels: 3, layout: 'NCHW' });
  assert.equal(prep.resize, 'stretch');
  assert.equal(prep.scale, 1 / 255);
  assert.deepEqual([...prep.mean], [0, 0, 0]);
  assert.deepEqual([...prep.std], [1, 1, 1]);
  const out = new Float32Array(12);
  writeTensorRow(
    { data: Uint8Array.from([0, 51, 255, 255, 0, 102, 0, 0, 0, 0, 0, 0]), width: 2, height: 2, channels: 3 },
    prep,
    out,
    0,
  );
  // NCHW: channel 0 of the four pixels, then channel 1, then channel 2.
  assertClose(out, [0, 1, 0, 0, 0.2, 0, 0, 0, 1, 0.4, 0, 0]);
});

test('mean/std per channel after scale, NCHW, hand-computed', () => {
  const prep = resolvePreprocessing({
    width: 2,
    height: 2,
    channels: 3,
    layout: 'NCHW',
    scale: 1,
    mean: [1, 2, 3],
    std: [2, 4, 5],
  });
  const out = new Float32Array(12);
  writeTensorRow(rgb, prep, out, 0);
  assertClose(out, [4.5, 19.5, 34.5, 49.5, 4.5, 12, 19.5, 27, 5.4, 11.4, 17.4, 23.4]);
});

test('same values interleaved in NHWC', () => {
  const prep = resolvePreprocessing({
    width: 2,
    height: 2,
    channels: 3,
    layout: 'NHWC',
    scale: 1,
    mean: [1, 2, 3],
    std: [2, 4, 5],
  });
  const out = new Float32Array(12);
  writeTensorRow(rgb, prep, out, 0);
  assertClose(out, [4.5, 4.5, 5.4, 19.5, 12, 11.4, 34.5, 19.5, 17.4, 49.5, 27, 23.4]);
});

test('ImageNet-style normalization of one pixel', () => {
  const prep = resolvePreprocessing({
    width: 1,
    height: 1,
    channels: 3,
    layout: 'NCHW',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  });
  const out = new Float32Array(3);
  writeTensorRow({ data: Uint8Array.from([255, 0, 128]), width: 1, height: 1, channels: 3 }, prep, out, 0);
  assertClose(out, [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225]);
});

test('writes row `slot` and leaves other rows alone', () => {
  const prep = resolvePreprocessing({ width: 2, height: 2, channels: 1, layout: 'NCHW', scale: 1 });
  const out = new Float32Array(12).fill(-7);
  writeTensorRow({ data: Uint8Array.from([1, 2, 3, 4]), width: 2, height: 2, channels: 1 }, prep, out, 1);
  assertClose(out, [-7, -7, -7, -7, 1, 2, 3, 4, -7, -7, -7, -7]);
});

test('RGB to gray uses PIL convert("L") luma, gray to RGB replicates', () => {
  const colours = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 100, 150, 200, 0, 0, 0]);
  // PIL: Image.new('RGB', (1,1), c).convert('L') gives 76, 150, 29, 255, 141, 0.
  assert.deepEqual([...convertChannels(colours, 3, 1)], [76, 150, 29, 255, 141, 0]);
  assert.deepEqual([...convertChannels(Uint8Array.from([0, 9, 255]), 1, 3)], [0, 0, 0, 9, 9, 9, 255, 255, 255]);
  const same = Uint8Array.from([1, 2, 3]);
  assert.equal(convertChannels(same, 3, 3), same);
});

test('an RGB image feeds a gray model and a gray image an RGB model', () => {
  const gray = resolvePreprocessing({ width: 1, height: 1, channels: 1, layout: 'NHWC', scale: 1 });
  const one = new Float32Array(1);
  writeTensorRow({ data: Uint8Array.from([100, 150, 200]), width: 1, height: 1, channels: 3 }, gray, one, 0);
  assertClose(one, [141]);
  const colour = resolvePreprocessing({ width: 1, height: 2, channels: 3, layout: 'NCHW', scale: 1 });
  const three = new Float32Array(6);
  writeTensorRow({ data: Uint8Array.from([7, 9]), width: 1, height: 2, channels: 1 }, colour, three, 0);
  assertClose(three, [7, 9, 7, 9, 7, 9]);
});

test('tensor dims follow the layout', () => {
  assert.deepEqual(
    tensorDims(5, resolvePreprocessing({ width: 4, height: 3, channels: 3, layout: 'NCHW' })),
    [5, 3, 3, 4],
  );
  assert.deepEqual(
    tensorDims(5, resolvePreprocessing({ width: 4, height: 3, channels: 1, layout: 'NHWC' })),
    [5, 3, 4, 1],
  );
});

test('bad preprocessing values are InputErrors that name the value', () => {
  const base = { width: 4, height: 4, channels: 3, layout: 'NCHW' } as const;
  const cases: [object, RegExp][] = [
    [{ width: 0 }, /width 0/],
    [{ height: 2.5 }, /height 2\.5/],
    [{ channels: 2 }, /channels 2/],
    [{ layout: 'CHW' }, /layout "CHW"/],
    [{ resize: 'zoom' }, /resize mode "zoom"/],
    [{ scale: Number.NaN }, /scale NaN/],
    [{ mean: [0.5] }, /mean \[0\.5\] does not fit 3/],
    [{ std: [1, 0, 1] }, /std \[1,0,1\] contains 0/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => resolvePreprocessing({ ...base, ...change }),
      (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, message);
        assert.ok(error.hint);
        return true;
      },
    );
  }
});

test('an image of the wrong size is a programming error', () => {
  const prep = resolvePreprocessing({ width: 3, height: 2, channels: 3, layout: 'NCHW' });
  assert.throws(() => writeTensorRow(rgb, prep, new Float32Array(18), 0), RangeError);
});
