/**
 * The k-d tree's searches must return every row's exact nearest rows (by squared distance, then
 * index), with squared distances summed exactly as rowDistance sums them, whatever ties, duplicates
 * and offsets the rows have: checked against a brute-force scan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { axesHolding, buildKdTree, kdNearest, principalAxes } from '../../../src/compute/knn/kd-tree.js';
import { rowDistance } from '../../../src/compute/hdbscan/distance.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';
import { randomBlobs } from '../hdbscan/random-data.js';

function bruteForce(matrix: Matrix, row: number, width: number): { id: number; squared: number }[] {
  const distance = rowDistance(matrix, 'euclidean');
  const all: { id: number; squared: number }[] = [];
  for (let other = 0; other < matrix.count; other++) {
    if (other === row) continue;
    const { dim, data } = matrix;
    let sum = 0;
    for (let k = 0; k < dim; k++) {
      const delta = data[row * dim + k]! - data[other * dim + k]!;
      sum += delta * delta;
    }
    assert.equal(Math.sqrt(sum), distance(row, other));
    all.push({ id: other, squared: sum });
  }
  return all.sort((a, b) => a.squared - b.squared || a.id - b.id).slice(0, width);
}

function assertExactNeighbours(matrix: Matrix, width: number, label: string, leafSize?: number): void {
  const { count, dim, data } = matrix;
  const tree = buildKdTree(count, dim, data, principalAxes(count, dim, data), leafSize);
  const ids = new Int32Array(count * width);
  const squared = new Float64Array(count * width);
  let next = 0;
  kdNearest(tree, width, () => next++, 16, ids, squared);
  for (let row = 0; row < count; row++) {
    const expected = bruteForce(matrix, row, width);
    assert.deepEqual(
      Array.from(ids.subarray(row * width, (row + 1) * width)),
      expected.map((e) => e.id),
      `${label}: row ${row} ids`,
    );
    assert.deepEqual(
      Array.from(squared.subarray(row * width, (row + 1) * width)),
      expected.map((e) => e.squared),
      `${label}: row ${row} distances`,
    );
  }
}

describe('k-d tree nearest neighbours', () => {
  it('are exact on blobs in few and many dimensions', () => {
    assertExactNeighbours(randomBlobs({ seed: 1, centres: 4, perBlob: 80, dim: 3, noise: 40 }), 7, 'D=3');
    assertExactNeighbours(randomBlobs({ seed: 2, centres: 5, perBlob: 60, dim: 40, noise: 50 }), 16, 'D=40');
  });

  it('are exact among massive ties and duplicates (index order breaks ties)', () => {
    const random = mulberry32(3);
    const lattice = makeMatrix(
      500,
      3,
      Float32Array.from({ length: 1500 }, () => Math.floor(random() * 5)),
    );
    assertExactNeighbours(lattice, 10, 'lattice', 4);
    assertExactNeighbours(makeMatrix(60, 2, new Float32Array(120).fill(1.5)), 8, 'all identical');
  });

  it('are exact on rows far from the origin (the rotation centres them)', () => {
    const blobs = randomBlobs({ seed: 4, centres: 3, perBlob: 70, dim: 6, noise: 30 });
    assertExactNeighbours(
      makeMatrix(
        blobs.count,
        blobs.dim,
        blobs.data.map((v) => v * 1e-3 + 5000),
      ),
      9,
      'offset',
    );
  });

  it('counts the principal axes that hold a share of the variance', () => {
    const random = mulberry32(5);
    // Spread along the first two coordinates only.
    const data = Float32Array.from({ length: 300 * 8 }, (_, i) => (i % 8 < 2 ? random() * 10 : 0));
    const axes = principalAxes(300, 8, data);
    assert.equal(axesHolding(axes, 0.95), 2);
    assert.equal(axesHolding(principalAxes(3, 2, new Float32Array(6)), 0.95), 1);
  });
});
