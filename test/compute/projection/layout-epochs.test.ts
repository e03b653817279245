import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCurve } from '../../../src/compute/projection/curve-fit.js';
import { attractionCoefficient } from '../../../src/compute/projection/gradient-tables.js';
import { layoutArrays } from '../../../src/compute/projection/layout-arrays.js';
import { clip, runBlockEpoch, type EpochConstants } from '../../../src/compute/projection/layout-epochs.js';
import type { SparseGraph } from '../../../src/compute/projection/sparse-graph.js';

test('with two blocks an epoch sees the other block where the last epoch left it (by hand: two vertices, one edge)', () => {
  // Vertex 0 at (0, 0) in block 0, vertex 1 at (3, 0) in block 1, joined by an edge of weight 1: it is
  // sampled every epoch from epoch 1 on, from both ends. Negative samples are pushed past the last epoch.
  const graph: SparseGraph = {
    count: 2,
    rowStart: Int32Array.from([0, 1, 2]),
    columns: Int32Array.from([1, 0]),
    weights: Float64Array.from([1, 1]),
  };
  const { a, b } = fitCurve(0.1, 1);
  const constants: EpochConstants = {
    a,
    b,
    epochs: 10,
    negativeSampleRate: 1e-9,
    repulsionStrength: 1,
    learningRate: 1,
    seed: 7,
  };
  const blocks = [0, 1, 2];
  const arrays = layoutArrays(Float64Array.from([0, 0, 3, 0]), graph, constants, blocks, false);
  const runEpoch = (epoch: number, only?: number) => {
    for (let block = 0; block < 2; block++)
      if (only === undefined || only === block)
        runBlockEpoch(arrays, constants, epoch, blocks[block]!, blocks[block + 1]!);
  };
  const pull = (dx: number, alpha: number) => clip(attractionCoefficient(dx * dx, a, b) * dx) * alpha;

  runEpoch(0);
  assert.deepEqual([...arrays.live], [0, 0, 3, 0], 'no edge is due in epoch 0');
  // Epoch 1 (learning rate 0.9): each end is pulled towards where the other started; the pull on the
  // other block's vertex is owed to it until its next epoch.
  runEpoch(1);
  const g = pull(-3, 0.9);
  assert.ok(g > 0.3, `a sizeable pull (${g})`);
  assert.ok(Math.abs(arrays.live[0]! - g) < 1e-6 && Math.abs(arrays.live[2]! - (3 - g)) < 1e-6);
  // Epoch 2 (0.8): vertex 0 first takes what vertex 1's edge owed it (g), then is pulled towards vertex 1
  // where epoch 1 left it, 3 - g (not where epoch 1 began, 3).
  runEpoch(2, 0);
  const x0 = 2 * g;
  const expected = x0 + pull(x0 - (3 - g), 0.8);
  const stale = x0 + pull(x0 - 3, 0.8);
  assert.ok(Math.abs(expected - stale) > 0.05, 'the two readings differ enough to tell apart');
  assert.ok(
    Math.abs(arrays.live[0]! - expected) < 1e-4,
    `vertex 0 at ${arrays.live[0]}, expected ${expected} (${stale} from the stale snapshot)`,
  );
  assert.equal(arrays.live[1], 0);
});
