import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScanWorkspace } from '../../../src/compute/hdbscan/kernels/tiles.js';
import { blockRows } from '../../../src/compute/knn/block-rows.js';
import { NeighbourLists } from '../../../src/compute/knn/neighbour-lists.js';
import { prepareLeafColumns, scanLeaf, scanLeafBand } from '../../../src/compute/knn/tile-scan.js';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

/** The dot product of rows i and j of `vectors` (row-major, `dim` wide), float64. */
function dot(vectors: Float32Array, dim: number, i: number, j: number): number {
  let sum = 0;
  for (let k = 0; k < dim; k++) sum += vectors[i * dim + k]! * vectors[j * dim + k]!;
  return sum;
}

/** Each row's listed (key, id) pairs after sorting, as plain arrays. */
function contents(lists: NeighbourLists): [number[], number[]] {
  lists.sortRows();
  return [[...lists.keys], [...lists.ids]];
}

describe('neighbour lists', () => {
  it('keep the smallest keys of each row, and offers of unseen pairs skip no work the result needs', () => {
    const random = mulberry32(3);
    const count = 40;
    const width = 6;
    const checked = new NeighbourLists(count, width);
    const unseen = new NeighbourLists(count, width);
    const offered: [number, number][][] = Array.from({ length: count }, () => []);
    // Every pair once, keys from a few values so that ties at the bar decide by arrival.
    for (let a = 0; a < count; a++) {
      for (let b = a + 1; b < count; b++) {
        const key = Math.floor(random() * 25);
        for (const [row, id] of [
          [a, b],
          [b, a],
        ] as const) {
          checked.offer(row, key, id);
          unseen.offer(row, key, id, true);
          offered[row]!.push([key, id]);
        }
      }
    }
    assert.deepEqual(contents(unseen), contents(checked));
    for (let row = 0; row < count; row++) {
      const smallest = offered[row]!.map(([key]) => key)
        .sort((x, y) => x - y)
        .slice(0, width);
      assert.deepEqual([...checked.keys.subarray(row * width, (row + 1) * width)], smallest, `row ${row}`);
    }
  });

  it('refuse an id a row lists already unless told the pair is unseen', () => {
    const lists = new NeighbourLists(2, 3);
    assert.equal(lists.offer(0, 5, 1), true);
    assert.equal(lists.offer(0, 4, 1), false);
    assert.deepEqual([...lists.ids.subarray(0, 3)].sort(), [-1, -1, 1]);
  });

  it("scanLeaf of a first tree's leaf gives the same lists with unseen offers", () => {
    const random = mulberry32(8);
    const count = 120;
    const dim = 5;
    const data = Float32Array.from({ length: count * dim }, () => Math.floor(random() * 6));
    const rows = blockRows(makeMatrix(count, dim, data), 'euclidean');
    const ids = Int32Array.from({ length: count }, (_, i) => (i * 37) % count);
    const vectors = rows.rows(ids, 0, count, new Float32Array(count * dim));
    const workspace = new ScanWorkspace(count, count);
    for (let i = 0; i < count; i++)
      for (let j = 0; j < count; j++) workspace.tile[i * count + j] = dot(vectors, dim, i, j);
    const checked = new NeighbourLists(count, 8);
    const unseen = new NeighbourLists(count, 8);
    scanLeaf(workspace, ids, rows.norms, checked);
    scanLeaf(workspace, ids, rows.norms, unseen, true);
    assert.deepEqual(contents(unseen), contents(checked));
    assert.ok(
      checked.ids.every((id) => id >= 0),
      'every list filled',
    );
  });

  it("scanLeafBand over bands of a leaf's rows leaves the lists exactly as one scan of the whole leaf", () => {
    const random = mulberry32(11);
    const count = 90;
    const dim = 4;
    // Few distinct values: many tied keys, whose order of arrival decides what a full list keeps.
    const data = Float32Array.from({ length: count * dim }, () => Math.floor(random() * 4));
    const rows = blockRows(makeMatrix(count, dim, data), 'euclidean');
    const ids = Int32Array.from({ length: count }, (_, i) => (i * 41) % count);
    const vectors = rows.rows(ids, 0, count, new Float32Array(count * dim));
    const whole = new ScanWorkspace(count, count);
    for (let i = 0; i < count; i++) for (let j = 0; j < count; j++) whole.tile[i * count + j] = dot(vectors, dim, i, j);
    for (const unseen of [false, true]) {
      const once = new NeighbourLists(count, 7);
      scanLeaf(whole, ids, rows.norms, once, unseen);
      const banded = new NeighbourLists(count, 7);
      const workspace = new ScanWorkspace(count, count);
      prepareLeafColumns(workspace, ids, rows.norms, banded);
      for (const [first, end] of [
        [0, 25],
        [25, 26],
        [26, 70],
        [70, count],
      ] as const) {
        const width = count - first;
        for (let i = first; i < end; i++) {
          for (let j = first; j < count; j++) workspace.tile[(i - first) * width + j - first] = dot(vectors, dim, i, j);
        }
        scanLeafBand(workspace, ids, first, end, banded, unseen);
      }
      // Heap order too, not only the sorted contents: the same offers arrived in the same order.
      assert.deepEqual([...banded.keys], [...once.keys], `keys, unseen ${unseen}`);
      assert.deepEqual([...banded.ids], [...once.ids], `ids, unseen ${unseen}`);
    }
  });
});
