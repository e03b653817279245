/**
 * Cluster selection on a hand-built 1-D layout whose tree is known: groups A (0 .. 0.5) and
 * B (1.5 .. 2.0) one unit apart, group C (12 .. 12.5) ten units away, six points each.
 * Condensed tree: root -> {AB, C} at distance 10, AB -> {A, B} at distance 1, no further splits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hdbscan, type HdbscanOptions } from '../../../src/compute/hdbscan/index.js';
import { makeMatrix } from '../../../src/compute/matrix.js';

const starts = [0, 1.5, 12];
const layout = makeMatrix(
  18,
  1,
  Float32Array.from(starts.flatMap((start) => Array.from({ length: 6 }, (_, k) => start + 0.1 * k))),
);
const group = (i: number): string => 'ABC'.charAt(Math.floor(i / 6));

async function partition(options: HdbscanOptions): Promise<{ groups: string[]; clusterCount: number }> {
  const result = await hdbscan(layout, { minClusterSize: 5, minSamples: 2, ...options });
  const members = new Map<number, Set<string>>();
  result.labels.forEach((label, i) => {
    if (!members.has(label)) members.set(label, new Set());
    members.get(label)!.add(group(i));
  });
  const groups = [...members.entries()]
    .map(([label, set]) => `${label < 0 ? 'noise:' : ''}${[...set].join('')}`)
    .sort();
  return { groups, clusterCount: result.clusterCount };
}

describe('cluster selection', () => {
  it('builds the expected condensed tree', async () => {
    const result = await hdbscan(layout, { minClusterSize: 5, minSamples: 2 });
    const tree = result.condensedTree;
    const clusterRows = Array.from(
      tree.child,
      (child, i) => [tree.parent[i], child, tree.childSize[i]] as const,
    ).filter(([, child]) => child >= 18);
    assert.deepEqual(clusterRows, [
      [18, 19, 12],
      [18, 20, 6],
      [19, 21, 6],
      [19, 22, 6],
    ]);
  });

  it('leaf and eom without epsilon: A, B and C', async () => {
    assert.deepEqual((await partition({ clusterSelectionMethod: 'leaf' })).groups, ['A', 'B', 'C']);
    assert.deepEqual((await partition({ clusterSelectionMethod: 'eom' })).groups, ['A', 'B', 'C']);
  });

  it('epsilon 2 merges A and B (born at distance 1) into their parent', async () => {
    assert.deepEqual((await partition({ clusterSelectionMethod: 'leaf', clusterSelectionEpsilon: 2 })).groups, [
      'AB',
      'C',
    ]);
    assert.deepEqual((await partition({ clusterSelectionMethod: 'eom', clusterSelectionEpsilon: 2 })).groups, [
      'AB',
      'C',
    ]);
  });

  it('epsilon 0.5 (below every split) changes nothing', async () => {
    assert.deepEqual((await partition({ clusterSelectionMethod: 'leaf', clusterSelectionEpsilon: 0.5 })).groups, [
      'A',
      'B',
      'C',
    ]);
  });

  it('epsilon 20 stops below the root unless a single cluster is allowed', async () => {
    assert.deepEqual((await partition({ clusterSelectionMethod: 'leaf', clusterSelectionEpsilon: 20 })).groups, [
      'AB',
      'C',
    ]);
    const single = await partition({
      clusterSelectionMethod: 'leaf',
      clusterSelectionEpsilon: 20,
      allowSingleCluster: true,
    });
    assert.deepEqual(single.groups, ['ABC']);
    assert.equal(single.clusterCount, 1);
  });

  it('labels follow condensed-tree ids: A before B before C', async () => {
    const result = await hdbscan(layout, { minClusterSize: 5, minSamples: 2 });
    assert.deepEqual([result.labels[0], result.labels[6], result.labels[12]], [1, 2, 0]);
  });
});
