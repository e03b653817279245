import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateInto, aggregatedDim, layerGeometry, type Aggregation } from '../../src/compute/aggregate.js';

// Two items, 2 units, 3 positions. Unit 0 of item 0: [1, 2, 6]; unit 1: [-1, 0, 4].
// Item 1: unit 0 [0, 0, 3], unit 1 [2, 2, 2].
const unitsByItem = [
  [
    [1, 2, 6],
    [-1, 0, 4],
  ],
  [
    [0, 0, 3],
    [2, 2, 2],
  ],
];
const channelsFirst = Float32Array.from(unitsByItem.flatMap((units) => units.flat()));
const channelsLast = Float32Array.from(
  unitsByItem.flatMap((units) => [0, 1, 2].flatMap((p) => units.map((u) => u[p]!))),
);

const expected: Record<Exclude<Aggregation, 'none'>, number[][]> = {
  mean: [
    [3, 1],
    [1, 2],
  ],
  max: [
    [6, 4],
    [3, 2],
  ],
  min_max: [
    [1, -1, 6, 4],
    [0, 2, 3, 2],
  ],
  mean_std: [
    [3, 1, Math.sqrt(14 / 3), Math.sqrt(14 / 3)],
    [1, 2, Math.sqrt(2), 0],
  ],
  absmax: [
    [6, 4],
    [3, 2],
  ],
  cls: [
    [1, -1],
    [0, 2],
  ],
};

for (const [order, source] of [
  ['channels-first', channelsFirst],
  ['channels-last', channelsLast],
] as const) {
  for (const aggregation of Object.keys(expected) as (keyof typeof expected)[]) {
    test(`${aggregation} over ${order} matches hand computation`, () => {
      const geometry = { units: 2, positions: 3, order };
      const dim = aggregatedDim(aggregation, geometry);
      // Write into rows 1..2 of a 3-row target to check the row offset.
      const target = new Float32Array(3 * dim).fill(99);
      aggregateInto(source, 2, geometry, aggregation, target, 1);
      assert.deepEqual(Array.from(target.subarray(0, dim)), new Array(dim).fill(99));
      const rows = [Array.from(target.subarray(dim, 2 * dim)), Array.from(target.subarray(2 * dim))];
      rows.forEach((rowValues, r) =>
        rowValues.forEach((value, c) =>
          assert.ok(
            Math.abs(value - expected[aggregation][r]![c]!) < 1e-5,
            `${aggregation} row ${r} col ${c}: ${value}`,
          ),
        ),
      );
    });
  }
}

test('none copies the item in memory order', () => {
  const geometry = { units: 2, positions: 3, order: 'channels-first' as const };
  const target = new Float32Array(12);
  aggregateInto(channelsFirst, 2, geometry, 'none', target, 0);
  assert.deepEqual(target, channelsFirst);
});

test('layerGeometry reads conv, sequence and dense shapes', () => {
  assert.deepEqual(layerGeometry([8, 32, 5, 5], 'channels-first'), {
    units: 32,
    positions: 25,
    order: 'channels-first',
  });
  assert.deepEqual(layerGeometry([8, 5, 5, 32], 'channels-last'), { units: 32, positions: 25, order: 'channels-last' });
  assert.deepEqual(layerGeometry([8, 16, 100], 'channels-first'), {
    units: 16,
    positions: 100,
    order: 'channels-first',
  });
  assert.deepEqual(layerGeometry([8, 100, 16], 'channels-last'), { units: 16, positions: 100, order: 'channels-last' });
  assert.deepEqual(layerGeometry([8, 10], 'channels-last'), { units: 10, positions: 1, order: 'channels-last' });
});

test('a tensor shorter than count x item size is rejected', () => {
  assert.throws(
    () =>
      aggregateInto(
        new Float32Array(5),
        1,
        { units: 2, positions: 3, order: 'channels-first' },
        'mean',
        new Float32Array(2),
        0,
      ),
    /expected 1 x 6/,
  );
});
