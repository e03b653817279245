/**
 * Rows of numbers drawn for galleries (compute/series-image.ts): where the sparkline, the heat strip and a
 * band fall on small pictures worked out by hand, and the streaming mean and deviation per pattern.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { colourMap } from '../../src/compute/heatmap-image.js';
import { drawSeries, MeanSeries } from '../../src/compute/series-image.js';

const WHITE = [255, 255, 255];
const LINE = [31, 79, 160];
const BAND = [196, 214, 243];

const pixel = (picture: Uint8Array, size: number, x: number, y: number) =>
  Array.from(picture.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

/** Rows of column x drawn in the line colour. */
function lineRows(picture: Uint8Array, size: number, x: number): number[] {
  const rows: number[] = [];
  for (let y = 0; y < size; y++) if (pixel(picture, size, x, y).join() === LINE.join()) rows.push(y);
  return rows;
}

describe('drawSeries', () => {
  // 8 pixels: a margin row (0), the plot rows 1..4, a gap row (5), the heat strip rows 6..7.
  test('a ramp of 8 values on 8 pixels climbs from the plot bottom to its top, over a strip from dark to pale', () => {
    const picture = drawSeries([0, 1, 2, 3, 4, 5, 6, 7], 8);
    assert.equal(picture.length, 8 * 8 * 3);
    assert.deepEqual(pixel(picture, 8, 0, 0), WHITE, 'the margin row');
    // Column x spans t = 7x/8 .. 7(x+1)/8, i.e. values in that range, at row round(4 - 3v/7).
    assert.deepEqual(lineRows(picture, 8, 0), [4], 'values 0 .. 0.875');
    assert.deepEqual(lineRows(picture, 8, 3), [3], 'values 2.625 .. 3.5: rows 2.875 and 2.5, both round to 3');
    assert.deepEqual(lineRows(picture, 8, 7), [1], 'values 6.125 .. 7');
    for (let x = 1; x < 8; x++) assert.ok(lineRows(picture, 8, x)[0]! <= lineRows(picture, 8, x - 1)[0]!);
    // The strip colours each column by its middle value over the row's range: column 0 by 0.4375 / 7.
    const strip = (x: number) => Array.from(colourMap([((7 * x) / 8 + (7 * (x + 1)) / 8) / 2 / 7]).subarray(0, 3));
    for (const x of [0, 4, 7]) {
      assert.deepEqual(pixel(picture, 8, x, 6), strip(x));
      assert.deepEqual(pixel(picture, 8, x, 7), strip(x));
    }
    assert.deepEqual(pixel(picture, 8, 0, 5), WHITE, 'the gap row');
  });

  test('a flat row is a line through the middle; a row of NaN draws no line', () => {
    const flat = drawSeries(new Float32Array(5).fill(3), 8);
    for (let x = 0; x < 8; x++) assert.deepEqual(lineRows(flat, 8, x), [3]);
    const empty = drawSeries([NaN, NaN, NaN], 8);
    for (let x = 0; x < 8; x++) assert.deepEqual(lineRows(empty, 8, x), []);
    assert.deepEqual(pixel(empty, 8, 2, 7), WHITE, 'no strip either');
  });

  test('a long row keeps a single spike: its column spans the plot from bottom to top', () => {
    const values = new Float32Array(1000);
    values[500] = 1;
    const picture = drawSeries(values, 20);
    // Plot rows 1..14 (a 4-row strip). Column 10 spans t = 499.5 .. 549.45, which holds the spike.
    assert.deepEqual(
      lineRows(picture, 20, 10),
      Array.from({ length: 14 }, (_, k) => 1 + k),
    );
    assert.deepEqual(lineRows(picture, 20, 3), [14]);
  });

  test('a band is shaded between its low and high curves, behind the line', () => {
    const picture = drawSeries([0, 0, 0], 8, { low: [-1, -1, -1], high: [1, 1, 1] });
    // Range -1..1 over rows 4..1: the line at row round(2.5) = 3, the band over rows 1..4.
    for (let x = 0; x < 8; x++) {
      assert.deepEqual(lineRows(picture, 8, x), [3]);
      for (const y of [1, 2, 4]) assert.deepEqual(pixel(picture, 8, x, y), BAND);
    }
  });
});

describe('MeanSeries', () => {
  test('the mean and the band of ± one standard deviation per group; noise and rows of another length left out', () => {
    const means = new MeanSeries(2, 2);
    means.add(0, [1, 10]);
    means.add(0, [3, 10]);
    means.add(1, [5, -5]);
    means.add(-1, [100, 100]);
    means.add(0, [1, 2, 3]);
    assert.deepEqual([means.count(0), means.count(1)], [2, 1]);
    const { mean, band } = means.summary(0);
    assert.deepEqual(Array.from(mean), [2, 10]);
    assert.deepEqual(Array.from(band.low), [1, 10]);
    assert.deepEqual(Array.from(band.high), [3, 10]);
    assert.deepEqual(Array.from(means.summary(1).mean), [5, -5]);
    const empty = new MeanSeries(1, 3).summary(0);
    assert.deepEqual(Array.from(empty.mean), [0, 0, 0]);
  });
});
