import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approximateMst } from '../../../src/compute/hdbscan/approximate/approximate-mst.js';
import { hdbscan, type Metric, type MstBuilder } from '../../../src/compute/hdbscan/index.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { assertSameLabelsUpToRenaming } from './assertions.js';
import { randomBlobs } from './random-data.js';

/** Issue 15's scales: float32 squares of these overflow (1e20) or underflow (1e-30) without care. */
const SCALES = [1e-30, 1e-10, 1, 1e10, 1e20];

function scaled(matrix: Matrix, scale: number): Matrix {
  return makeMatrix(
    matrix.count,
    matrix.dim,
    matrix.data.map((value) => value * scale),
  );
}

const PATHS: { name: string; metrics: Metric[]; mst?: MstBuilder }[] = [
  { name: 'exact', metrics: ['euclidean', 'cosine', 'manhattan'] },
  { name: 'approximate', metrics: ['euclidean', 'cosine'], mst: approximateMst },
];

describe('HDBSCAN* is invariant to a uniform scale of the data', () => {
  // Wide enough that the float32 tile products do the screening, as on real layers.
  const matrix = randomBlobs({ seed: 21, centres: 6, perBlob: 40, dim: 24, spread: 1.5, noise: 40 });

  for (const { name, metrics, mst } of PATHS) {
    for (const metric of metrics) {
      it(`${name} ${metric}: the same partition at scales ${SCALES.join(', ')}`, async () => {
        const options = { metric, clusterSelectionMethod: 'leaf' as const, ...(mst ? { mst } : {}) };
        const unscaled = await hdbscan(matrix, options);
        assert.ok(unscaled.clusterCount >= 4, `found ${unscaled.clusterCount} clusters at scale 1`);
        for (const scale of SCALES) {
          const result = await hdbscan(scaled(matrix, scale), options);
          assert.equal(result.clusterCount, unscaled.clusterCount, `clusters at scale ${scale}`);
          assertSameLabelsUpToRenaming(result.labels, unscaled.labels);
          for (let i = 0; i < matrix.count; i++) {
            const expected = unscaled.probabilities[i]!;
            const actual = result.probabilities[i]!;
            assert.ok(
              Math.abs(actual - expected) < 1e-5,
              `row ${i} probability ${actual} at ${scale}, ${expected} at 1`,
            );
          }
        }
      });
    }
  }
});
