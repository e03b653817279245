import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestNeighbors, type NeighborGraph } from '../../../src/compute/projection/knn/index.js';
import { neighborRecall } from '../../../src/compute/projection/index.js';
import type { Progress } from '../../../src/progress.js';
import { bruteForceNeighbors, labelledBlobs, uniformMatrix } from './fixtures.js';

const K = 10;

function others(graph: NeighborGraph, row: number): number[] {
  return Array.from(graph.indices.subarray(row * graph.k + 1, (row + 1) * graph.k));
}

test('exact search lists each row first at distance 0, then exactly the brute-force neighbours in order', async () => {
  const matrix = uniformMatrix(1, 300, 7);
  // Duplicate rows and a tie must not break the order (ties go to the smaller index).
  matrix.data.copyWithin(5 * 7, 9 * 7, 10 * 7);
  const graph = await nearestNeighbors(matrix, { k: K + 1, metric: 'euclidean', method: 'exact', seed: 1, threads: 1 });
  const expected = bruteForceNeighbors(matrix, K);
  for (let row = 0; row < matrix.count; row++) {
    assert.equal(graph.indices[row * graph.k], row);
    assert.equal(graph.distances[row * graph.k], 0);
    assert.deepEqual(others(graph, row), expected[row], `row ${row}`);
    for (let j = 2; j < graph.k; j++)
      assert.ok(graph.distances[row * graph.k + j]! >= graph.distances[row * graph.k + j - 1]!);
  }
  assert.equal(graph.distances[5 * graph.k + 1], 0, 'row 5 duplicates row 9');
  // A distance checked by hand.
  const [a, b] = [0, graph.indices[1]!];
  let sum = 0;
  for (let d = 0; d < 7; d++) sum += (matrix.data[a * 7 + d]! - matrix.data[b * 7 + d]!) ** 2;
  assert.ok(Math.abs(graph.distances[1]! - Math.sqrt(sum)) < 1e-5);
});

test('exact cosine search matches brute force, and all-zero rows sit at distance 1', async () => {
  const matrix = uniformMatrix(2, 200, 5);
  for (let i = 0; i < matrix.data.length; i++) matrix.data[i]! -= 0.5;
  matrix.data.fill(0, 3 * 5, 4 * 5);
  const graph = await nearestNeighbors(matrix, { k: K + 1, metric: 'cosine', method: 'exact', seed: 1, threads: 1 });
  const expected = bruteForceNeighbors(matrix, K, 'cosine');
  let same = 0;
  for (let row = 0; row < matrix.count; row++) if (others(graph, row).join() === expected[row]!.join()) same++;
  assert.ok(same >= matrix.count - 2, `${same} rows match`); // float32 rounding may swap a near-tie
  for (let j = 1; j < graph.k; j++) assert.ok(Math.abs(graph.distances[3 * graph.k + j]! - 1) < 1e-6);
});

test('worker threads give the same graph as one thread, and progress counts tiles upwards to the total', async () => {
  const matrix = uniformMatrix(3, 1100, 40);
  const single = await nearestNeighbors(matrix, { k: 15, metric: 'euclidean', method: 'exact', seed: 1, threads: 1 });
  const reports: Progress[] = [];
  const threaded = await nearestNeighbors(
    matrix,
    { k: 15, metric: 'euclidean', method: 'exact', seed: 1, threads: 2 },
    { onProgress: (p) => reports.push(p) },
  );
  assert.deepEqual(threaded.indices, single.indices);
  assert.deepEqual(threaded.distances, single.distances);
  let previous = 0;
  for (const { done } of reports) {
    assert.ok(done >= previous);
    previous = done;
  }
  const last = reports.at(-1);
  assert.ok(last, 'no progress reported');
  assert.equal(last.done, last.total);
});

test('NN-descent finds at least 97% of the exact neighbours on clustered data, deterministically for a seed whatever the threads', async () => {
  const { matrix } = labelledBlobs({ seed: 4, centres: 8, perBlob: 250, dim: 12, spread: 1.5 });
  const exact = await nearestNeighbors(matrix, { k: 15, metric: 'euclidean', method: 'exact', seed: 1, threads: 1 });
  const approximate = await nearestNeighbors(matrix, {
    k: 15,
    metric: 'euclidean',
    method: 'nn-descent',
    seed: 9,
    threads: 1,
  });
  let found = 0;
  for (let row = 0; row < matrix.count; row++) {
    const truth = new Set(others(exact, row));
    for (const id of others(approximate, row)) if (truth.has(id)) found++;
    assert.equal(approximate.indices[row * 15], row);
    assert.ok(
      !others(approximate, row).includes(row) && new Set(others(approximate, row)).size === 14,
      `row ${row} lists distinct others`,
    );
  }
  const recall = found / (matrix.count * 14);
  assert.ok(recall >= 0.97, `recall ${recall}`);
  assert.ok(Math.abs(neighborRecall(matrix, approximate) - recall) < 1e-12, 'neighborRecall measures the same');
  assert.equal(neighborRecall(matrix, exact), 1);
  const again = await nearestNeighbors(matrix, {
    k: 15,
    metric: 'euclidean',
    method: 'nn-descent',
    seed: 9,
    threads: 1,
  });
  assert.deepEqual(again.indices, approximate.indices);
  const threaded = await nearestNeighbors(matrix, {
    k: 15,
    metric: 'euclidean',
    method: 'nn-descent',
    seed: 9,
    threads: 3,
  });
  assert.deepEqual(threaded.indices, approximate.indices, 'three worker threads give the one-thread graph');
  assert.deepEqual(threaded.distances, approximate.distances);
});

test('a search cancelled before or while it runs throws CancelledError', async () => {
  const matrix = uniformMatrix(5, 1100, 40);
  const before = new AbortController();
  before.abort();
  await assert.rejects(
    nearestNeighbors(
      matrix,
      { k: 15, metric: 'euclidean', method: 'exact', seed: 1, threads: 2 },
      { signal: before.signal },
    ),
    { name: 'CancelledError' },
  );
  for (const method of ['exact', 'nn-descent'] as const) {
    const during = new AbortController();
    await assert.rejects(
      nearestNeighbors(
        matrix,
        { k: 15, metric: 'euclidean', method, seed: 1, threads: 2 },
        { signal: during.signal, onProgress: () => during.abort() },
      ),
      { name: 'CancelledError' },
      method,
    );
  }
});

test('a k larger than the row count is rejected, naming k', async () => {
  const matrix = uniformMatrix(6, 10, 3);
  for (const method of ['exact', 'nn-descent'] as const) {
    await assert.rejects(nearestNeighbors(matrix, { k: 11, metric: 'euclidean', method, seed: 1, threads: 1 }), {
      name: 'InputError',
      message: /k is 11/,
    });
  }
});
