/**
 * The icicle layout of a hand-made condensed tree, against positions worked out by hand:
 *
 *   6 inputs, root cluster 6 (lambda 0 .. 1): input 2 leaves it at 0.5, then it splits at 1 into
 *   cluster 7 (inputs 3, 4, 5; last leaves at Infinity, drawn to the largest finite lambda 3) and
 *   cluster 8 (inputs 0, 1; lambda 1 .. 2.5).
 *
 *   x:   0   1   2   3   4   5   6
 *        |  cluster 6 (root)      |   lambda 0 .. 1
 *        | cluster 7 | cl. 8 | 2  |   7: lambda 1 .. 3, 8: lambda 1 .. 2.5; input 2 is root fall-out
 *   pointOrder: 3 4 5 0 1 2
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CondensedTree } from '../../src/compute/hdbscan/types.js';
import { selectFromLinkage } from '../../src/compute/hdbscan/reselect.js';
import {
  childNodes,
  icicleLayout,
  icicleScale,
  majorityOf,
  nodeAt,
  patternsUnder,
  subtreePoints,
} from '../../src/results/icicle-layout.js';

const rows: [parent: number, child: number, lambda: number, size: number][] = [
  [6, 2, 0.5, 1],
  [6, 7, 1, 3],
  [6, 8, 1, 2],
  [7, 3, 2, 1],
  [7, 4, 3, 1],
  [7, 5, Infinity, 1],
  [8, 0, 1.5, 1],
  [8, 1, 2.5, 1],
];
const tree: CondensedTree = {
  parent: Int32Array.from(rows, (r) => r[0]),
  child: Int32Array.from(rows, (r) => r[1]),
  lambda: Float64Array.from(rows, (r) => r[2]),
  childSize: Int32Array.from(rows, (r) => r[3]),
};

describe('icicle layout', () => {
  const layout = icicleLayout(tree, [8, 7]);

  it('places each cluster by the inputs it holds and the lambdas it lives', () => {
    assert.equal(layout.pointCount, 6);
    assert.equal(layout.root, 6);
    assert.equal(layout.count, 3);
    assert.equal(layout.maxLambda, 3);
    assert.deepEqual([...layout.x0], [0, 0, 3]);
    assert.deepEqual([...layout.x1], [6, 3, 5]);
    assert.deepEqual([...layout.birth], [0, 1, 1]);
    assert.deepEqual([...layout.death], [1, 3, 2.5]);
    assert.deepEqual([...layout.depth], [0, 1, 1]);
    assert.deepEqual([...layout.parent], [-1, 0, 0]);
    assert.deepEqual([...layout.pointOrder], [3, 4, 5, 0, 1, 2]);
  });

  it('gives stability and the selected patterns', () => {
    // root: 0.5 * 1 + 1 * 3 + 1 * 2; cluster 7: an input leaves at Infinity; cluster 8: 0.5 + 1.5.
    assert.deepEqual([...layout.stability], [5.5, Infinity, 2]);
    assert.deepEqual([...layout.pattern], [-1, 1, 0]);
    assert.deepEqual(patternsUnder(layout, 0), [0, 1]);
    assert.deepEqual(patternsUnder(layout, 1), [1]);
  });

  it('finds the deepest box under a position', () => {
    assert.equal(nodeAt(layout, 1, 2), 1);
    assert.equal(nodeAt(layout, 4, 1), 2);
    assert.equal(nodeAt(layout, 4, 0.7), 0, 'cluster 8 is born at lambda 1');
    assert.equal(nodeAt(layout, 5.5, 0.7), 0, 'fall-out width belongs to the root');
    assert.equal(nodeAt(layout, 5.5, 2), -1, 'below the root, right of its children: nothing');
    assert.equal(nodeAt(layout, 4, 2.6), -1, 'below cluster 8');
    assert.equal(nodeAt(layout, 6, 0.5), -1);
  });

  it('gives a subtree its members, children and majority label', () => {
    assert.deepEqual([...subtreePoints(layout, 1)], [3, 4, 5]);
    assert.deepEqual([...subtreePoints(layout, 0)], [3, 4, 5, 0, 1, 2]);
    assert.deepEqual(childNodes(layout, 0), [1, 2]);
    assert.deepEqual(childNodes(layout, 2), []);
    const labels = ['a', 'a', 'b', 'b', 'b', 'a'];
    assert.deepEqual(
      majorityOf(layout, 1, (p) => labels[p]),
      { label: 'b', count: 2 },
    );
    // a and b both reach 3; a gets there first in layout order (3 4 5 0 1 2).
    assert.deepEqual(
      majorityOf(layout, 0, (p) => labels[p]),
      { label: 'a', count: 3 },
    );
  });

  it('scales lambda to height in log scale from just above the root split', () => {
    // low = 0.85 * the root's death (1), high = the largest finite lambda (3); 100 px tall.
    const scale = icicleScale(layout, 100);
    assert.equal(scale.y(0), 0, 'the root is born at the top');
    assert.equal(scale.y(0.85), 0);
    assert.ok(Math.abs(scale.y(1) - (100 * Math.log(1 / 0.85)) / Math.log(3 / 0.85)) < 1e-9);
    assert.ok(Math.abs(scale.y(3) - 100) < 1e-9);
    assert.ok(Math.abs(scale.lambda(scale.y(2)) - 2) < 1e-9);
  });

  it('covers every input of a real selection once, selected boxes nested in the root', () => {
    // Two groups of 4 inputs 10 apart, each of two pairs: 8 = {0, 1}, 9 = {2, 3}, 10 = {0..3}, 11 = {4, 5},
    // 12 = {6, 7}, 13 = {4..7}, 14 = all.
    const left = Int32Array.from([0, 2, 8, 4, 6, 11, 10]);
    const right = Int32Array.from([1, 3, 9, 5, 7, 12, 13]);
    const distance = Float64Array.from([1, 1, 2, 1, 1, 2, 10]);
    const size = new Int32Array(7);
    const sizeOf = (n: number) => (n < 8 ? 1 : size[n - 8]!);
    for (let k = 0; k < 7; k++) size[k] = sizeOf(left[k]!) + sizeOf(right[k]!);
    const picked = selectFromLinkage(
      { left, right, distance, size },
      { minClusterSize: 2, clusterSelectionMethod: 'eom', clusterSelectionEpsilon: 0, allowSingleCluster: false },
    );
    const real = icicleLayout(picked.condensedTree, picked.selectedClusters);
    assert.deepEqual([...real.pointOrder].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    for (let i = 1; i < real.count; i++) {
      const p = real.parent[i]!;
      assert.ok(real.x0[i]! >= real.x0[p]! && real.x1[i]! <= real.x1[p]!, `node ${i} inside its parent`);
      assert.equal(real.birth[i], real.death[p], `node ${i} is born where its parent splits`);
    }
    for (let k = 0; k < picked.clusterCount; k++) {
      const node = picked.selectedClusters![k]! - real.root;
      const members = [...subtreePoints(real, node)].sort();
      const labelled = [...picked.labels.keys()].filter((p) => picked.labels[p] === k).sort();
      assert.deepEqual(members, labelled, `pattern ${k}'s box holds exactly its members`);
    }
  });
});
