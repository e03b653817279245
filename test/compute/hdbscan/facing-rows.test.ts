import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lowestScored, TileMinimum } from '../../../src/compute/hdbscan/approximate/facing-rows.js';
import { LightestEdges, TreeEdges } from '../../../src/compute/hdbscan/approximate/lightest-edges.js';
import { UnionFind } from '../../../src/compute/hdbscan/approximate/union-find.js';
import { blockRows } from '../../../src/compute/knn/block-rows.js';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

describe('facing rows of the approximate join', () => {
  it('lowestScored keeps the rows a stable sort by score puts first, ties to the earlier row', () => {
    const random = mulberry32(5);
    for (const size of [7, 40, 300]) {
      const ids = Int32Array.from({ length: size }, () => Math.floor(random() * 10_000));
      // Few distinct scores, so that the cut falls inside a run of ties.
      const score = Float64Array.from({ length: size }, () => Math.floor(random() * 6) - 2);
      for (const kept of [1, 3, Math.floor(size / 2), size - 1]) {
        const byScore = Array.from({ length: size }, (_, i) => i).sort((x, y) => score[x]! - score[y]!);
        const expected = byScore
          .slice(0, kept)
          .sort((x, y) => x - y)
          .map((i) => ids[i]!);
        const chosen = lowestScored(ids, score, kept, new Float64Array(size));
        assert.deepEqual([...chosen], expected, `size ${size}, kept ${kept}`);
      }
    }
  });

  it("TileMinimum finds the edge that offering every pair of the tile leaves as both sets' lightest", () => {
    const random = mulberry32(9);
    const count = 60;
    const dim = 3;
    // Integer coordinates and cores from a few values: many equal weights, so the tie order decides.
    const data = Float32Array.from({ length: count * dim }, () => Math.floor(random() * 4));
    for (const [metric, coreScale] of [
      ['euclidean', 0],
      ['euclidean', 1],
      ['euclidean', 10],
      ['cosine', 0],
      ['cosine', 0.5],
    ] as const) {
      const rows = blockRows(makeMatrix(count, dim, data), metric);
      const core = Float64Array.from({ length: count }, () => coreScale * Math.floor(random() * 3));
      const mine = Int32Array.from({ length: 25 }, (_, i) => 2 * i + 1);
      const theirs = Int32Array.from({ length: 20 }, (_, i) => 2 * i + 10);
      const left = rows.rows(mine, 0, mine.length, new Float32Array(mine.length * dim));
      const right = rows.rows(theirs, 0, theirs.length, new Float32Array(theirs.length * dim));
      const best = new TileMinimum(Math.max(mine.length, theirs.length));
      const { tile } = best;
      for (let i = 0; i < mine.length; i++) {
        for (let j = 0; j < theirs.length; j++) {
          let sum = 0;
          for (let k = 0; k < dim; k++) sum += left[i * dim + k]! * right[j * dim + k]!;
          tile[i * theirs.length + j] = sum;
        }
      }
      const lightest = new LightestEdges(count);
      const [mineRoot, theirRoot] = [mine[0]!, theirs[0]!];
      for (let i = 0; i < mine.length; i++) {
        for (let j = 0; j < theirs.length; j++) {
          const [row, column] = [mine[i]!, theirs[j]!];
          const key = rows.norms[row]! + rows.norms[column]! - 2 * tile[i * theirs.length + j]!;
          const w = Math.max(core[row]!, core[column]!, rows.distance(key));
          lightest.offer(mineRoot, w, row, column);
          lightest.offer(theirRoot, w, row, column);
        }
      }
      const edges = new TreeEdges(count);
      lightest.commit(new UnionFind(count), edges, () => 0);
      assert.ok(best.find(mine, theirs, rows, core));
      assert.equal(edges.length, 1, 'both sets chose the same edge');
      assert.deepEqual([best.low, best.high], [edges.from[0], edges.to[0]], `${metric}, core scale ${coreScale}`);
      assert.equal(best.weight, lightest.weight[mineRoot]);
      assert.equal(best.weight, lightest.weight[theirRoot]);
    }
  });
});
