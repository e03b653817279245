import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestNeighbors, type NeighborGraph } from '../../../src/compute/projection/knn/index.js';
import { pairKey, searchRows } from '../../../src/compute/projection/knn/neighbor-graph.js';
import { paddedDim, rowKernels, rowMemory } from '../../../src/compute/projection/knn/row-kernels.js';
import type { KnnMetric } from '../../../src/compute/projection/knn/index.js';
import { labelledBlobs, uniformMatrix } from './fixtures.js';

/** The rows of `matrix` padded into a shared WebAssembly memory, as NN-descent lays them out. */
function paddedRows(seed: number, count: number, dim: number, metric: KnnMetric) {
  const matrix = uniformMatrix(seed, count, dim);
  for (let i = 0; i < matrix.data.length; i++) matrix.data[i]! -= 0.5;
  const plain = searchRows(matrix, metric);
  const stride = paddedDim(dim);
  const memory = rowMemory(count, stride, 2);
  assert.ok(memory, 'Node has shared WebAssembly memory and SIMD, so the SIMD kernels are what is tested');
  for (let r = 0; r < count; r++) memory.data.set(plain.data.subarray(r * dim, (r + 1) * dim), r * stride);
  return { plain, padded: { ...plain, dim: stride, data: memory.data }, memory: memory.memory };
}

test('the SIMD search keys and projections equal the JavaScript ones to float32 rounding, padded rows included', () => {
  for (const metric of ['euclidean', 'cosine'] as const) {
    for (const dim of [3, 10, 32, 64]) {
      const { plain, padded, memory } = paddedRows(dim, 60, dim, metric);
      const simd = rowKernels(padded, memory, 1);
      const js = rowKernels(plain, undefined, 0);
      const normal = Float64Array.from({ length: dim }, (_, k) => Math.sin(k + 1));
      simd.setNormal(Float64Array.from({ length: padded.dim }, (_, k) => (k < dim ? normal[k]! : 0)));
      js.setNormal(normal);
      for (let a = 0; a < plain.count; a++) {
        for (let b = 0; b < plain.count; b++) {
          const expected = pairKey(plain, a, b);
          assert.ok(Math.abs(js.key(a, b) - expected) < 1e-12);
          assert.ok(
            Math.abs(simd.key(a, b) - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
            `${metric} ${dim}-D key(${a}, ${b}): ${simd.key(a, b)} against ${expected}`,
          );
        }
        const projection = js.project(a);
        assert.ok(
          Math.abs(simd.project(a) - projection) <= 1e-6 * Math.max(1, Math.abs(projection)),
          `${dim}-D row ${a}`,
        );
      }
    }
  }
});

function others(graph: NeighborGraph, row: number): Set<number> {
  return new Set(graph.indices.subarray(row * graph.k + 1, (row + 1) * graph.k));
}

test('NN-descent on rows padded for the SIMD kernels (10-D, both metrics) finds the exact neighbours, whatever the threads', async () => {
  const { matrix } = labelledBlobs({ seed: 7, centres: 6, perBlob: 300, dim: 10, spread: 1.5 });
  for (const metric of ['euclidean', 'cosine'] as const) {
    const exact = await nearestNeighbors(matrix, { k: 15, metric, method: 'exact', seed: 1, threads: 1 });
    const search = (threads: number) =>
      nearestNeighbors(matrix, { k: 15, metric, method: 'nn-descent', seed: 3, threads });
    const approximate = await search(1);
    let found = 0;
    for (let row = 0; row < matrix.count; row++) {
      const truth = others(exact, row);
      for (const id of others(approximate, row)) if (truth.has(id)) found++;
    }
    const recall = found / (matrix.count * 14);
    assert.ok(recall >= 0.97, `${metric} recall ${recall}`);
    for (let i = 0; i < exact.distances.length; i++) {
      if (exact.indices[i] !== approximate.indices[i]) continue;
      assert.ok(Math.abs(exact.distances[i]! - approximate.distances[i]!) < 1e-5, `${metric} distance ${i}`);
    }
    const threaded = await search(2);
    assert.deepEqual(threaded.indices, approximate.indices, `${metric}: two threads give the one-thread graph`);
    assert.deepEqual(threaded.distances, approximate.distances);
  }
});
