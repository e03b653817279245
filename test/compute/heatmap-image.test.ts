import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  colourMap,
  HEATMAP_COLOURS,
  MAX_ALPHA,
  renderHeatmap,
  upsampleBilinear,
} from '../../src/compute/heatmap-image.js';

const near = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void => {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

describe('upsampleBilinear', () => {
  test('samples pixel centres: a 1 x 2 ramp to 1 x 4 is 0, 1/4, 3/4, 1', () => {
    // Output x samples (x + 0.5) * 2 / 4 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    near(upsampleBilinear([0, 1], 1, 2, 1, 4), [0, 0.25, 0.75, 1]);
  });

  test('interpolates rows and columns together', () => {
    // Grid [[0, 1], [2, 3]] to 4 x 4: value = x' + 2 y' with x', y' in {0, 0.25, 0.75, 1}.
    const out = upsampleBilinear([0, 1, 2, 3], 2, 2, 4, 4);
    const axis = [0, 0.25, 0.75, 1];
    near(
      out,
      axis.flatMap((y) => axis.map((x) => x + 2 * y)),
    );
  });

  test('keeps a grid of the same size and a constant grid unchanged', () => {
    near(upsampleBilinear([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 2, 3, 2, 3), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const constant = upsampleBilinear(new Float32Array(12).fill(0.7), 3, 4, 28, 28);
    assert.ok(constant.every((v) => Math.abs(v - 0.7) < 1e-6));
  });

  test('refuses values that are not the grid', () => {
    assert.throws(() => upsampleBilinear([1, 2, 3], 2, 2, 4, 4), /3 values are not a 2 x 2 grid/);
  });
});

describe('colourMap', () => {
  test('0, 1/2 and 1 get the colour stops, alpha rising with the value', () => {
    const rgba = colourMap([0, 0.5, 1]);
    assert.deepEqual(Array.from(rgba.subarray(0, 4)), [...HEATMAP_COLOURS[0]!, 0]);
    assert.deepEqual(Array.from(rgba.subarray(4, 8)), [...HEATMAP_COLOURS[2]!, Math.round(255 * MAX_ALPHA * 0.5)]);
    assert.deepEqual(Array.from(rgba.subarray(8, 12)), [...HEATMAP_COLOURS[4]!, Math.round(255 * MAX_ALPHA)]);
  });

  test('interpolates between stops and clamps values outside [0, 1] and NaN', () => {
    const [r, g, b] = colourMap([0.125]);
    const [from, to] = [HEATMAP_COLOURS[0]!, HEATMAP_COLOURS[1]!];
    assert.deepEqual(
      [r, g, b],
      [0, 1, 2].map((k) => Math.round((from[k]! + to[k]!) / 2)),
    );
    assert.deepEqual(Array.from(colourMap([-3, 7, NaN])), [...colourMap([0, 1, 0])]);
  });

  test('renderHeatmap is the colour map of the upsampled grid', () => {
    const rgba = renderHeatmap([0, 1], 1, 2, 1, 4);
    assert.equal(rgba.length, 16);
    assert.deepEqual(Array.from(rgba), Array.from(colourMap([0, 0.25, 0.75, 1])));
  });
});
