import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzySimplicialSet, smoothKnnDistances } from '../../../src/compute/projection/fuzzy-simplicial-set.js';
import { nearestNeighbors } from '../../../src/compute/projection/knn/index.js';
import { connectedComponents } from '../../../src/compute/projection/sparse-graph.js';
import { uniformMatrix } from './fixtures.js';

test('smooth kNN distances: rho is the nearest distance and the memberships of the k - 1 neighbours sum to log2(k)', async () => {
  const matrix = uniformMatrix(7, 200, 4);
  const graph = await nearestNeighbors(matrix, { k: 15, metric: 'euclidean', method: 'exact', seed: 1, threads: 1 });
  const { sigmas, rhos } = smoothKnnDistances(graph);
  for (let row = 0; row < graph.count; row++) {
    assert.equal(rhos[row], graph.distances[row * 15 + 1]);
    let sum = 0;
    for (let j = 1; j < 15; j++)
      sum += Math.exp(-Math.max(0, graph.distances[row * 15 + j]! - rhos[row]!) / sigmas[row]!);
    assert.ok(Math.abs(sum - Math.log2(15)) < 1e-4, `row ${row}: ${sum}`);
  }
});

test('the fuzzy union is symmetric with weights in (0, 1], and a hand-sized case gives a + b - ab', () => {
  // Three points on a line at 0, 1, 3 with k = 2 (self + one neighbour): rho is the only distance, so every membership is 1.
  const graph = {
    count: 3,
    k: 2,
    indices: Int32Array.from([0, 1, 1, 0, 2, 1]),
    distances: Float32Array.from([0, 1, 0, 1, 0, 2]),
  };
  const fuzzy = fuzzySimplicialSet(graph);
  const weight = (i: number, j: number): number => {
    for (let e = fuzzy.rowStart[i]!; e < fuzzy.rowStart[i + 1]!; e++)
      if (fuzzy.columns[e] === j) return fuzzy.weights[e]!;
    return 0;
  };
  assert.equal(weight(0, 1), 1); // 1 + 1 - 1
  assert.equal(weight(1, 2), 1); // 0 + 1 - 0
  assert.equal(weight(0, 2), 0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.equal(weight(i, j), weight(j, i));
});

test('on real neighbours the graph is symmetric, free of self-loops, and pruning keeps only edges >= max / epochs', async () => {
  const matrix = uniformMatrix(8, 300, 6);
  const neighbours = await nearestNeighbors(matrix, {
    k: 10,
    metric: 'euclidean',
    method: 'exact',
    seed: 1,
    threads: 1,
  });
  const fuzzy = fuzzySimplicialSet(neighbours);
  const lookup = new Map<string, number>();
  for (let i = 0; i < fuzzy.count; i++) {
    for (let e = fuzzy.rowStart[i]!; e < fuzzy.rowStart[i + 1]!; e++) {
      assert.notEqual(fuzzy.columns[e], i);
      assert.ok(fuzzy.weights[e]! > 0 && fuzzy.weights[e]! <= 1);
      if (e > fuzzy.rowStart[i]!) assert.ok(fuzzy.columns[e]! > fuzzy.columns[e - 1]!, 'rows sorted by column');
      lookup.set(`${i},${fuzzy.columns[e]}`, fuzzy.weights[e]!);
    }
  }
  for (const [key, value] of lookup) {
    const [i, j] = key.split(',');
    assert.equal(lookup.get(`${j},${i}`), value);
  }
  const pruned = fuzzySimplicialSet(neighbours, 1 / 4);
  const threshold = 0.25 * Math.max(...fuzzy.weights);
  assert.ok(pruned.weights.length < fuzzy.weights.length, 'some edges are pruned');
  assert.deepEqual(Array.from(pruned.weights), Array.from(fuzzy.weights.filter((w) => w >= threshold)));
  for (let i = 0; i < pruned.count; i++) {
    const kept = [];
    for (let e = fuzzy.rowStart[i]!; e < fuzzy.rowStart[i + 1]!; e++)
      if (fuzzy.weights[e]! >= threshold) kept.push(fuzzy.columns[e]);
    assert.deepEqual(Array.from(pruned.columns.subarray(pruned.rowStart[i], pruned.rowStart[i + 1])), kept);
  }
});

test('connected components are numbered in order of their first vertex', () => {
  // 0-2, 1-3, 4 alone.
  const graph = {
    count: 5,
    rowStart: Int32Array.from([0, 1, 2, 3, 4, 4]),
    columns: Int32Array.from([2, 3, 0, 1]),
    weights: Float64Array.from([1, 1, 1, 1]),
  };
  const { labels, count } = connectedComponents(graph);
  assert.equal(count, 3);
  assert.deepEqual(Array.from(labels), [0, 1, 0, 1, 2]);
});
