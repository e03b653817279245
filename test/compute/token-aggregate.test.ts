import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateInto, aggregatedDim, type Aggregation, type LayerGeometry } from '../../src/compute/aggregate.js';

// Two inputs of a token layer [tokens = 4, features = 3], channels-last: token 0 is a CLS token.
const tokens = [
  [
    [10, -10, 0], // CLS
    [1, 2, -3],
    [4, -5, 6],
    [-7, 8, 9],
  ],
  [
    [-1, 1, 5], // CLS
    [2, 0, 0],
    [0, -4, 1],
    [1, 1, 1],
  ],
];
const data = Float32Array.from(tokens.flat(2));
const geometry: LayerGeometry = { units: 3, positions: 4, order: 'channels-last', prefix: 1 };

function aggregate(aggregation: Aggregation, mask?: Uint8Array, layout = geometry): number[][] {
  const dim = aggregatedDim(aggregation, layout);
  const target = new Float32Array(2 * dim);
  aggregateInto(data, 2, layout, aggregation, target, 0, mask);
  return [Array.from(target.subarray(0, dim)), Array.from(target.subarray(dim))];
}

function assertClose(actual: number[][], expected: number[][]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, r) =>
    row.forEach((value, c) => assert.ok(Math.abs(value - expected[r]![c]!) < 1e-6, `row ${r} col ${c}: ${value}`)),
  );
}

test('cls takes the first token alone', () => {
  assertClose(aggregate('cls'), [
    [10, -10, 0],
    [-1, 1, 5],
  ]);
});

test('mean, max and absmax over the patch tokens leave the prefix token out', () => {
  assertClose(aggregate('mean'), [
    [-2 / 3, 5 / 3, 4],
    [1, -1, 2 / 3],
  ]);
  assertClose(aggregate('max'), [
    [4, 8, 9],
    [2, 1, 1],
  ]);
  assertClose(aggregate('absmax'), [
    [7, 8, 9],
    [2, 4, 1],
  ]);
  assertClose(aggregate('min_max'), [
    [-7, -5, -3, 4, 8, 9],
    [0, -4, 0, 2, 1, 1],
  ]);
});

test('without prefix tokens every token counts', () => {
  assertClose(aggregate('max', undefined, { ...geometry, prefix: 0 }), [
    [10, 8, 9],
    [2, 1, 5],
  ]);
  assertClose(aggregate('mean', undefined, { ...geometry, prefix: 0 }), [
    [2, -5 / 4, 3],
    [1 / 2, -1 / 2, 7 / 4],
  ]);
});

test('masked (padding) tokens are left out; a fully masked input aggregates to zeros', () => {
  const mask = Uint8Array.from([1, 1, 1, 0, 1, 0, 0, 0]);
  assertClose(aggregate('mean', mask), [
    [5 / 2, -3 / 2, 3 / 2],
    [0, 0, 0],
  ]);
  assertClose(aggregate('max', mask), [
    [4, 2, 6],
    [0, 0, 0],
  ]);
  // cls ignores the mask: the first token is never padding.
  assertClose(aggregate('cls', mask), [
    [10, -10, 0],
    [-1, 1, 5],
  ]);
});

test('a mask shorter than the batch is refused', () => {
  assert.throws(() => aggregate('mean', new Uint8Array(3)), /mask has 3 values, expected 2 x 4/);
});
