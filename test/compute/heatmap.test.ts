import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  columnMeans,
  heatmapColumns,
  heatmapOf,
  heatmapTarget,
  meanHeatmap,
  patternCentroids,
  spatialGrid,
  type SpatialGrid,
} from '../../src/compute/heatmap.js';

const near = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void => {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

describe('spatialGrid', () => {
  test('reads [C, H, W] channels-first and [H, W, C] channels-last', () => {
    assert.deepEqual(spatialGrid([2, 3, 5], 'channels-first'), {
      units: 2,
      height: 3,
      width: 5,
      order: 'channels-first',
    });
    assert.deepEqual(spatialGrid([3, 5, 2], 'channels-last'), {
      units: 2,
      height: 3,
      width: 5,
      order: 'channels-last',
    });
  });

  test('a sequence is one row of positions', () => {
    assert.deepEqual(spatialGrid([4, 7], 'channels-first'), { units: 4, height: 1, width: 7, order: 'channels-first' });
  });

  test('dense layers, single positions and 3-D maps have no grid', () => {
    assert.equal(spatialGrid([10], 'channels-first'), null);
    assert.equal(spatialGrid([8, 1, 1], 'channels-first'), null);
    assert.equal(spatialGrid([2, 3, 4, 5], 'channels-first'), null);
  });
});

describe('heatmapColumns', () => {
  const first: SpatialGrid = { units: 2, height: 1, width: 3, order: 'channels-first' };
  const last: SpatialGrid = { ...first, order: 'channels-last' };

  test('mean, max and mean_std compare each unit with its own column', () => {
    assert.deepEqual(Array.from(heatmapColumns(first, 'mean')), [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(Array.from(heatmapColumns(last, 'max')), [0, 1, 0, 1, 0, 1]);
    assert.deepEqual(Array.from(heatmapColumns(first, 'mean_std')), [0, 0, 0, 1, 1, 1]);
  });

  test('min_max uses the max half; none the column of the very value', () => {
    assert.deepEqual(Array.from(heatmapColumns(first, 'min_max')), [2, 2, 2, 3, 3, 3]);
    assert.deepEqual(Array.from(heatmapColumns(last, 'none')), [0, 1, 2, 3, 4, 5]);
  });
});

describe('heatmapOf', () => {
  // Two units at two positions. Divisors [2, 4]; raw unit 0 = [1, 0], unit 1 = [0, 2], so the normalized
  // vectors are p0 = (0.5, 0), p1 = (0, 0.5). Baseline b = (0.25, 0.25), centroid c = (0.5, 0.25):
  // p0 - b = (0.25, -0.25), p1 - b = (-0.25, 0.25), c - b = (0.25, 0).
  // cos(p0 - b, c - b) = 0.0625 / (0.35355 * 0.25) = 1/sqrt(2); cos(p1 - b, c - b) = -1/sqrt(2) -> 0.
  const grid: SpatialGrid = { units: 2, height: 1, width: 2, order: 'channels-first' };
  const divisors = [2, 4];
  const centroid = [0.5, 0.25];
  const baseline = [0.25, 0.25];

  test('matches the hand computation, channels-first', () => {
    const target = heatmapTarget(grid, heatmapColumns(grid, 'mean'), divisors, centroid, baseline);
    const out = new Float32Array(2);
    heatmapOf(Float32Array.of(1, 0, 0, 2), target, out);
    near(out, [Math.SQRT1_2, 0]);
  });

  test('gives the same map for the same tensor stored channels-last', () => {
    const lastGrid: SpatialGrid = { ...grid, order: 'channels-last' };
    const target = heatmapTarget(lastGrid, heatmapColumns(lastGrid, 'mean'), divisors, centroid, baseline);
    const out = new Float32Array(3);
    heatmapOf(Float32Array.of(1, 0, 0, 2), target, out, 1);
    near(out, [0, Math.SQRT1_2, 0]);
  });

  test('a position equal to the centroid scores 1, one at the baseline 0, a dead unit counts as 0', () => {
    // Unit 1 never activated (divisor 0): its values are ignored, as normalization makes them 0.
    const target = heatmapTarget(grid, heatmapColumns(grid, 'max'), [2, 0], [0.5, 0], [0.25, 0]);
    const out = new Float32Array(2);
    heatmapOf(Float32Array.of(1, 0.5, 123, -7), target, out);
    near(out, [1, 0]);
  });

  test("with 'none', each position is compared with the centroid's entries of that position", () => {
    // Columns in memory order (channels-first): u0p0, u0p1, u1p0, u1p1. Divisors 1 everywhere, baseline 0.
    const target = heatmapTarget(grid, heatmapColumns(grid, 'none'), [1, 1, 1, 1], [1, 0, 0, 1], [0, 0, 0, 0]);
    const out = new Float32Array(2);
    heatmapOf(Float32Array.of(1, 1, 0, 0), target, out); // p0 = (1, 0) vs (1, 0); p1 = (1, 0) vs (0, 1)
    near(out, [1, 0]);
  });

  test('every value lies in [0, 1]', () => {
    const big: SpatialGrid = { units: 3, height: 4, width: 5, order: 'channels-first' };
    const columns = heatmapColumns(big, 'mean');
    let state = 7;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const target = heatmapTarget(
      big,
      columns,
      [1, 2, 3],
      [random(), random(), random()],
      [random(), random(), random()],
    );
    const out = new Float32Array(20);
    heatmapOf(Float32Array.from({ length: 60 }, random), target, out);
    assert.ok(out.every((v) => v >= 0 && v <= 1 + 1e-6));
    assert.ok(
      out.some((v) => v > 0),
      'some position is on the centroid side',
    );
  });

  test('refuses a tensor of the wrong size', () => {
    const target = heatmapTarget(grid, heatmapColumns(grid, 'mean'), divisors, centroid, baseline);
    assert.throws(() => heatmapOf(new Float32Array(5), target, new Float32Array(2)), /5 values, expected 4/);
  });
});

describe('centroids and means', () => {
  test('patternCentroids averages the rows of each pattern and leaves noise out', () => {
    const matrix = { count: 4, dim: 2, data: Float32Array.of(1, 2, 3, 4, 100, 100, 5, 6) };
    const { centroids, counts } = patternCentroids(matrix, Int32Array.of(0, 0, -1, 1), 2);
    near(centroids, [2, 3, 5, 6]);
    assert.deepEqual(Array.from(counts), [2, 1]);
    near(columnMeans(matrix), [27.25, 28]);
  });

  test('meanHeatmap is the position-wise mean', () => {
    near(meanHeatmap(Float32Array.of(0, 1, 0.5, 0.5, 1, 0), 3, 2), [0.5, 0.5]);
    near(meanHeatmap(new Float32Array(0), 0, 2), [0, 0]);
  });
});
