import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedAdjacency } from '../../../src/compute/projection/normalized-adjacency.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';
import type { SparseGraph } from '../../../src/compute/projection/sparse-graph.js';

/** A symmetric graph on `count` vertices: each joined to the next 1..3 around a ring, random weights in (0, 1]. */
function ringGraph(count: number, seed: number): SparseGraph {
  const random = new SeededRandom(seed);
  const edges = new Map<number, number>();
  for (let i = 0; i < count; i++)
    for (let step = 1; step <= 3; step++) edges.set(i * count + ((i + step) % count), 1 - random.next());
  const lists: [number, number][][] = Array.from({ length: count }, () => []);
  for (const [key, weight] of edges) {
    const i = Math.floor(key / count);
    const j = key % count;
    lists[i]!.push([j, weight]);
    lists[j]!.push([i, weight]);
  }
  const rowStart = new Int32Array(count + 1);
  const columns: number[] = [];
  const weights: number[] = [];
  lists.forEach((list, i) => {
    list.sort((p, q) => p[0] - q[0]);
    for (const [j, weight] of list) {
      columns.push(j);
      weights.push(weight);
    }
    rowStart[i + 1] = columns.length;
  });
  return { count, rowStart, columns: Int32Array.from(columns), weights: Float64Array.from(weights) };
}

function inverseSqrtDegrees(graph: SparseGraph): Float64Array {
  return Float64Array.from({ length: graph.count }, (_, row) => {
    let degree = 0;
    for (let e = graph.rowStart[row]!; e < graph.rowStart[row + 1]!; e++) degree += graph.weights[e]!;
    return 1 / Math.sqrt(degree);
  });
}

test('D^-1/2 W D^-1/2 x is bit-identical on one thread and with a helper thread, and matches the formula', async () => {
  const graph = ringGraph(25_000, 3); // above the size that starts a helper
  const degrees = inverseSqrtDegrees(graph);
  const random = new SeededRandom(9);
  const one = normalizedAdjacency(graph, degrees, 1);
  const two = normalizedAdjacency(graph, degrees, 2);
  try {
    for (let round = 0; round < 3; round++) {
      const x = Float64Array.from({ length: graph.count }, () => random.nextGaussian());
      const alone = new Float64Array(graph.count);
      const helped = new Float64Array(graph.count);
      await one.apply(x, alone);
      await two.apply(x, helped);
      assert.deepEqual(helped, alone, `round ${round}`);
      for (const row of [0, 1, 12_499, 12_500, 24_999]) {
        let expected = 0;
        for (let e = graph.rowStart[row]!; e < graph.rowStart[row + 1]!; e++)
          expected += degrees[row]! * graph.weights[e]! * degrees[graph.columns[e]!]! * x[graph.columns[e]!]!;
        assert.ok(Math.abs(helped[row]! - expected) < 1e-12, `row ${row}: ${helped[row]} against ${expected}`);
      }
    }
  } finally {
    await one.close();
    await two.close();
  }
});
