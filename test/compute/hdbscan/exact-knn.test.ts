import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rowDistance } from '../../../src/compute/hdbscan/distance.js';
import { fastMstWith } from '../../../src/compute/hdbscan/fast-mst.js';
import { exactNearestNeighbours } from '../../../src/compute/hdbscan/kernels/exact-knn.js';
import type { Metric } from '../../../src/compute/hdbscan/types.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { nearestNeighbors } from '../../../src/compute/projection/knn/index.js';
import type { Progress } from '../../../src/progress.js';
import { randomBlobs } from './random-data.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

/** Each row's `width` nearest other rows by (float64 reference distance, index), and those distances. */
function bruteForce(matrix: Matrix, width: number, metric: Metric): { ids: number[][]; distances: number[][] } {
  const distance = rowDistance(matrix, metric);
  const ids: number[][] = [];
  const distances: number[][] = [];
  for (let row = 0; row < matrix.count; row++) {
    const sorted = Array.from({ length: matrix.count }, (_, other) => other)
      .filter((other) => other !== row)
      .map((other) => ({ other, d: distance(row, other) }))
      .sort((a, b) => a.d - b.d || a.other - b.other)
      .slice(0, width);
    ids.push(sorted.map((s) => s.other));
    distances.push(sorted.map((s) => s.d));
  }
  return { ids, distances };
}

function rowOf<T extends Int32Array | Float64Array>(values: T, row: number, width: number): number[] {
  return Array.from(values.subarray(row * width, (row + 1) * width));
}

/** Small integer coordinates: many rows at exactly equal distances, so ties and rescans happen. */
function lattice(count: number, dim: number, seed: number): Matrix {
  const random = mulberry32(seed);
  return makeMatrix(
    count,
    dim,
    Float32Array.from({ length: count * dim }, () => Math.floor(random() * 5)),
  );
}

const stage = 'test: neighbours';

describe('exactNearestNeighbours (the kernel HDBSCAN and UMAP share)', () => {
  const cases: [string, Matrix, number, Metric][] = [
    ['blobs, euclidean', randomBlobs({ seed: 31, centres: 4, perBlob: 60, dim: 9, noise: 30 }), 14, 'euclidean'],
    ['blobs, cosine', randomBlobs({ seed: 32, centres: 4, perBlob: 50, dim: 7, noise: 20 }), 10, 'cosine'],
    ['blobs, manhattan', randomBlobs({ seed: 33, centres: 3, perBlob: 50, dim: 5, noise: 20 }), 6, 'manhattan'],
    ['lattice with ties, euclidean', lattice(300, 2, 34), 14, 'euclidean'],
    ['lattice with ties, manhattan', lattice(200, 3, 35), 9, 'manhattan'],
  ];
  for (const [name, matrix, width, metric] of cases) {
    it(`lists exactly the brute-force neighbours with their reference distances: ${name}`, async () => {
      const lists = await exactNearestNeighbours(matrix, { width, metric, threads: 1, stage });
      const expected = bruteForce(matrix, width, metric);
      assert.equal(lists.width, width);
      for (let row = 0; row < matrix.count; row++) {
        assert.deepEqual(rowOf(lists.ids, row, width), expected.ids[row], `row ${row} ids`);
        assert.deepEqual(rowOf(lists.distances, row, width), expected.distances[row], `row ${row} distances`);
      }
    });
  }

  it('gives the same lists on any thread count, and reports its stage up to the total', async () => {
    const matrix = randomBlobs({ seed: 36, centres: 5, perBlob: 300, dim: 24, noise: 100 });
    const reports: Progress[] = [];
    const one = await exactNearestNeighbours(
      matrix,
      { width: 14, metric: 'euclidean', threads: 1, stage },
      { onProgress: (p) => reports.push(p) },
    );
    const two = await exactNearestNeighbours(matrix, { width: 14, metric: 'euclidean', threads: 2, stage });
    assert.deepEqual(two.ids, one.ids);
    assert.deepEqual(two.distances, one.distances);
    assert.ok(reports.length >= 2 && reports.every((p) => p.stage === stage));
    assert.equal(reports.at(-1)!.done, reports.at(-1)!.total);
  });

  it("agrees with fastMst's core distances, which come from the same kernel", async () => {
    const matrix = randomBlobs({ seed: 37, centres: 3, perBlob: 80, dim: 6, noise: 40 });
    const minSamples = 5;
    const lists = await exactNearestNeighbours(matrix, { width: minSamples, metric: 'euclidean', threads: 1, stage });
    const { coreDistances } = await fastMstWith(matrix, { minSamples, metric: 'euclidean' });
    for (let row = 0; row < matrix.count; row++)
      assert.equal(lists.distances[row * minSamples + minSamples - 1], coreDistances[row], `row ${row}`);
  });

  it('clamps the width to the other rows there are', async () => {
    const matrix = randomBlobs({ seed: 38, centres: 1, perBlob: 4, dim: 3 });
    const lists = await exactNearestNeighbours(matrix, { width: 10, metric: 'euclidean', threads: 1, stage });
    assert.equal(lists.width, 3);
    assert.equal(lists.ids.length, 12);
    const single = await exactNearestNeighbours(makeMatrix(1, 3, new Float32Array(3)), {
      width: 5,
      metric: 'euclidean',
      threads: 1,
      stage,
    });
    assert.equal(single.width, 0);
    assert.equal(single.ids.length, 0);
  });

  it("is UMAP's exact search: the graph holds the kernel's lists after each row itself", async () => {
    const matrix = randomBlobs({ seed: 39, centres: 3, perBlob: 70, dim: 8, noise: 20 });
    for (const metric of ['euclidean', 'cosine'] as const) {
      const lists = await exactNearestNeighbours(matrix, { width: 9, metric, threads: 1, stage });
      const graph = await nearestNeighbors(matrix, { k: 10, metric, method: 'exact', seed: 1, threads: 1 });
      for (let row = 0; row < matrix.count; row++) {
        assert.deepEqual(
          Array.from(graph.indices.subarray(row * 10, (row + 1) * 10)),
          [row, ...rowOf(lists.ids, row, 9)],
          `${metric} row ${row}`,
        );
        const expected = [0, ...rowOf(lists.distances, row, 9).map((d) => Math.fround(d))];
        assert.deepEqual(
          Array.from(graph.distances.subarray(row * 10, (row + 1) * 10)),
          expected,
          `${metric} row ${row} distances`,
        );
      }
    }
  });
});
