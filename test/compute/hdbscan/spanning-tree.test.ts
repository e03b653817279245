import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampMinSamples } from '../../../src/compute/hdbscan/core-distances.js';
import { rowDistance } from '../../../src/compute/hdbscan/distance.js';
import { referenceMst } from '../../../src/compute/hdbscan/reference-mst.js';
import { singleLinkage, sortEdgesByWeight } from '../../../src/compute/hdbscan/single-linkage.js';
import type { Metric } from '../../../src/compute/hdbscan/types.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { randomBlobs } from './random-data.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

/** Dense mutual reachability as hdbscan builds it: partition each column, then max(core_a, core_b, d). */
function denseMutualReachability(
  matrix: Matrix,
  minSamples: number,
  metric: Metric,
): { mrd: Float64Array[]; core: Float64Array } {
  const n = matrix.count;
  const distance = rowDistance(matrix, metric);
  const d = Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: n }, (_, j) => (i === j ? 0 : distance(i, j))),
  );
  const k = clampMinSamples(n, minSamples);
  const core = Float64Array.from(d, (row) => row.slice().sort()[k]!);
  const mrd = d.map((row, i) => row.map((value, j) => Math.max(core[i]!, core[j]!, value)));
  return { mrd, core };
}

/** hdbscan's `mst_linkage_core`, transcribed over a dense matrix with array filtering. */
function denseMstLinkageCore(mrd: Float64Array[]): [number, number, number][] {
  let labels = mrd.map((_, i) => i);
  let current = Array.from(labels, () => Infinity);
  let node = 0;
  const edges: [number, number, number][] = [];
  for (let i = 1; i < mrd.length; i++) {
    const keep = labels.map((label) => label !== node);
    labels = labels.filter((_, j) => keep[j]);
    const left = current.filter((_, j) => keep[j]);
    const right = labels.map((label) => mrd[node]![label]);
    current = left.map((l, j) => {
      const r = right[j]!;
      return l < r ? l : r;
    });
    const index = current.indexOf(Math.min(...current));
    edges.push([node, labels[index]!, current[index]!]);
    node = labels[index]!;
  }
  return edges;
}

function kruskalWeight(mrd: Float64Array[]): number {
  const n = mrd.length;
  const edges: [number, number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) edges.push([i, j, mrd[i]![j]!]);
  edges.sort((a, b) => a[2] - b[2]);
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  let total = 0;
  for (const [a, b, w] of edges) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) {
      parent[ra] = rb;
      total += w;
    }
  }
  return total;
}

/** Points on a small integer lattice: many exactly equal distances, so ties must break as hdbscan's. */
function latticeWithTies(count: number, seed: number): Matrix {
  const random = mulberry32(seed);
  return makeMatrix(
    count,
    2,
    Float32Array.from({ length: count * 2 }, () => Math.floor(random() * 6)),
  );
}

describe('referenceMst', () => {
  const cases: [string, Matrix, number, Metric][] = [
    ['random blobs, euclidean', randomBlobs({ seed: 4, centres: 3, perBlob: 15, dim: 3, noise: 5 }), 5, 'euclidean'],
    ['random blobs, manhattan', randomBlobs({ seed: 6, centres: 3, perBlob: 15, dim: 3 }), 3, 'manhattan'],
    ['random blobs, cosine', randomBlobs({ seed: 7, centres: 3, perBlob: 15, dim: 3 }), 4, 'cosine'],
    ['integer lattice with ties', latticeWithTies(50, 1), 5, 'euclidean'],
    ['integer lattice with ties, manhattan', latticeWithTies(40, 2), 2, 'manhattan'],
  ];
  for (const [name, matrix, minSamples, metric] of cases) {
    it(`matches hdbscan's dense Prim edge for edge (${name})`, async () => {
      const { mrd, core } = denseMutualReachability(matrix, minSamples, metric);
      const { tree, coreDistances } = await referenceMst(matrix, { minSamples, metric });
      assert.deepEqual(coreDistances, core);
      const expected = denseMstLinkageCore(mrd);
      assert.deepEqual(
        Array.from(tree.from, (from, i) => [from, tree.to[i], tree.weight[i]]),
        expected,
      );
      const total = tree.weight.reduce((sum, w) => sum + w, 0);
      assert.ok(Math.abs(total - kruskalWeight(mrd)) < 1e-9, 'total weight is minimal');
    });
  }

  it('records each edge from the previously added node', async () => {
    const matrix = randomBlobs({ seed: 9, centres: 2, perBlob: 20, dim: 2 });
    const { tree } = await referenceMst(matrix, { minSamples: 3, metric: 'euclidean' });
    assert.equal(tree.from[0], 0);
    for (let k = 1; k < tree.from.length; k++) assert.equal(tree.from[k], tree.to[k - 1]);
    assert.deepEqual(
      Array.from(tree.to).sort((a, b) => a - b),
      Array.from({ length: matrix.count - 1 }, (_, i) => i + 1),
    );
  });

  it('clamps minSamples to [1, N-1]', () => {
    assert.equal(clampMinSamples(10, 5), 5);
    assert.equal(clampMinSamples(10, 50), 9);
    assert.equal(clampMinSamples(1, 5), 1);
  });
});

describe('rowDistance', () => {
  const m = makeMatrix(4, 2, Float32Array.from([0, 0, 3, 4, -3, -4, 6, 8]));
  it('euclidean and manhattan', () => {
    assert.equal(rowDistance(m, 'euclidean')(0, 1), 5);
    assert.equal(rowDistance(m, 'euclidean')(1, 2), 10);
    assert.equal(rowDistance(m, 'manhattan')(1, 2), 14);
  });
  it('cosine is 1 - similarity, clipped to [0, 2], and 1 against an all-zero row', () => {
    const cosine = rowDistance(m, 'cosine');
    assert.ok(Math.abs(cosine(1, 3)) < 1e-15);
    assert.ok(Math.abs(cosine(1, 2) - 2) < 1e-15);
    assert.equal(cosine(0, 1), 1);
    const orthogonal = rowDistance(makeMatrix(2, 2, Float32Array.from([1, 0, 0, 5])), 'cosine');
    assert.equal(orthogonal(0, 1), 1);
  });
});

describe('single-linkage tree', () => {
  it('sorts edges by weight, keeping the Prim order among equal weights', () => {
    const sorted = sortEdgesByWeight({
      from: Int32Array.from([0, 1, 2, 3, 4]),
      to: Int32Array.from([1, 2, 3, 4, 5]),
      weight: Float64Array.from([2, 1, 1, 2, 1]),
    });
    assert.deepEqual(Array.from(sorted.from), [1, 2, 4, 0, 3]);
    assert.deepEqual(Array.from(sorted.weight), [1, 1, 1, 2, 2]);
  });

  it('labels merges with new node ids N, N+1, ... like scipy linkage', () => {
    const tree = singleLinkage({
      from: Int32Array.from([0, 2, 1]),
      to: Int32Array.from([1, 3, 2]),
      weight: Float64Array.from([1, 1.5, 2]),
    });
    assert.deepEqual(Array.from(tree.left), [0, 2, 4]);
    assert.deepEqual(Array.from(tree.right), [1, 3, 5]);
    assert.deepEqual(Array.from(tree.distance), [1, 1.5, 2]);
    assert.deepEqual(Array.from(tree.size), [2, 2, 4]);
  });
});
