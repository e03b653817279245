import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockRows } from '../../../src/compute/knn/block-rows.js';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

const COUNT = 37;
const DIM = 11;

function randomMatrix(seed: number): ReturnType<typeof makeMatrix> {
  const random = mulberry32(seed);
  const data = new Float32Array(COUNT * DIM);
  for (let i = 0; i < data.length; i++) data[i] = (random() - 0.5) * 3000;
  return makeMatrix(COUNT, DIM, data);
}

/** Each row's vector as the blocked products see it, gathered one row at a time. */
function vectors(rows: ReturnType<typeof blockRows>): Float32Array[] {
  const order = Int32Array.from({ length: COUNT }, (_, i) => i);
  return Array.from({ length: COUNT }, (_, row) => rows.rows(order, row, row + 1, new Float32Array(DIM)).slice());
}

describe('block rows', () => {
  it('take the same euclidean norms, |u|^2 of each vector, on first use and while making the ordered copy', () => {
    const matrix = randomMatrix(5);
    const random = mulberry32(9);
    const order = Int32Array.from({ length: COUNT }, (_, i) => i).sort(() => random() - 0.5);
    const direct = blockRows(matrix, 'euclidean');
    const expected = vectors(direct).map((u) => u.reduce((sum, value) => sum + value * value, 0));
    assert.deepEqual([...direct.norms], expected);
    const copied = blockRows(matrix, 'euclidean');
    assert.ok(copied.keepOrderedCopy(order, Infinity));
    assert.deepEqual([...copied.norms], expected);
    assert.equal(copied.squares, copied.norms);
    // Centred: the vectors' mean is about zero, far below their spread.
    for (let k = 0; k < DIM; k++) {
      const mean = vectors(direct).reduce((sum, u) => sum + u[k]!, 0) / COUNT;
      assert.ok(Math.abs(mean) < 1e-6, `column ${k}: mean ${mean}`);
    }
  });

  it("sum each range of the ordered copy's rows, and only for that order and those bounds", () => {
    const matrix = randomMatrix(6);
    const rows = blockRows(matrix, 'euclidean');
    const order = Int32Array.from({ length: COUNT }, (_, i) => (i * 5) % COUNT);
    const bounds = Int32Array.from([0, 10, 11, 30, COUNT]);
    rows.keepOrderedCopy(order, Infinity, false, bounds);
    const sums = rows.rangeSums(order, bounds);
    assert.ok(sums);
    const all = vectors(rows);
    for (let range = 0; range + 1 < bounds.length; range++) {
      for (let k = 0; k < DIM; k++) {
        let expected = 0;
        for (let at = bounds[range]!; at < bounds[range + 1]!; at++) expected += all[order[at]!]![k]!;
        assert.equal(sums[range * DIM + k], expected, `range ${range}, column ${k}`);
      }
    }
    assert.equal(rows.rangeSums(order, Int32Array.from(bounds)), undefined);
    assert.equal(rows.rangeSums(Int32Array.from(order), bounds), undefined);
  });
});
