import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCurve } from '../../../src/compute/projection/curve-fit.js';
import { attractionCoefficient } from '../../../src/compute/projection/gradient-tables.js';
import { layoutArrays } from '../../../src/compute/projection/layout-arrays.js';
import { clip, runBlockEpoch, type EpochConstants } from '../../../src/compute/projection/layout-epochs.js';
import type { SparseGraph } from '../../../src/compute/projection/sparse-graph.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';

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

test('the WebAssembly epochs give the JavaScript epochs bit for bit (random graph, three blocks, far and near points)', () => {
  // A symmetric random graph on 300 vertices, some starting far apart (outside the gradient tables)
  // and some on top of each other (zero distances), run for 30 epochs in three blocks both ways.
  const count = 300;
  const random = new SeededRandom(5);
  const rows: Map<number, number>[] = Array.from({ length: count }, () => new Map<number, number>());
  for (let j = 0; j < count; j++)
    for (let e = 0; e < 6; e++) {
      const k = random.nextInt(count);
      if (k === j) continue;
      const weight = 0.05 + random.next();
      rows[j]!.set(k, weight);
      rows[k]!.set(j, weight);
    }
  const rowStart = new Int32Array(count + 1);
  const columns: number[] = [];
  const weights: number[] = [];
  rows.forEach((row, j) => {
    for (const [k, weight] of [...row].sort((p, q) => p[0] - q[0])) {
      columns.push(k);
      weights.push(weight);
    }
    rowStart[j + 1] = columns.length;
  });
  const graph: SparseGraph = {
    count,
    rowStart,
    columns: Int32Array.from(columns),
    weights: Float64Array.from(weights),
  };
  const layout = Float64Array.from({ length: 2 * count }, (_, i) =>
    i < 20 ? 0.5 : i < 40 ? 3000 * random.next() : 10 * random.next(),
  );
  const { a, b } = fitCurve(0.1, 1);
  const constants: EpochConstants = {
    a,
    b,
    epochs: 30,
    negativeSampleRate: 5,
    repulsionStrength: 1,
    learningRate: 1,
    seed: 11,
  };
  const blocks = [0, 90, 200, 300];
  const inWasm = layoutArrays(layout, graph, constants, blocks, false);
  const inJs = layoutArrays(layout, graph, constants, blocks, false, undefined, false);
  assert.ok(inWasm.memory, 'WebAssembly is available here');
  assert.equal(inJs.memory, undefined);
  for (let epoch = 0; epoch < constants.epochs; epoch++)
    for (const arrays of [inWasm, inJs])
      for (let block = 0; block < 3; block++)
        runBlockEpoch(arrays, constants, epoch, blocks[block]!, blocks[block + 1]!);
  assert.ok(
    inJs.live.some((v, i) => v !== layout[i]),
    'the layout moved',
  );
  assert.deepEqual([...inWasm.live], [...inJs.live]);
  assert.deepEqual([...inWasm.schedule], [...inJs.schedule]);
  assert.deepEqual([...inWasm.owed[0]], [...inJs.owed[0]]);
  assert.deepEqual([...inWasm.owed[1]], [...inJs.owed[1]]);
});
