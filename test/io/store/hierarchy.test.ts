/**
 * What a clustering keeps since schema version 7: its single-linkage tree, each input's strongest soft
 * memberships (with the coverage and noise queries over them) and a cluster space's coordinates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, NotFoundError } from '../../../src/errors.js';
import type { ClusteringToSave, NapStore } from '../../../src/io/store/index.js';
import { countRows, sampleInputs, sampleLayer, sampleRun, tempStore } from './helpers.js';

const COUNT = 8;

/** Inputs 0..7: patterns 0 = {0, 1, 2}, 1 = {3, 4}; 5, 6, 7 noise leaning to patterns 1, 0, 1. */
function clustering(): ClusteringToSave {
  const labels = Int32Array.from([0, 0, 0, 1, 1, -1, -1, -1]);
  return {
    unit: null,
    params: { minClusterSize: 2 },
    labels,
    probabilities: Float64Array.from(labels, (label) => (label < 0 ? 0 : 1)),
    outlierScores: new Float64Array(COUNT),
    persistence: Float64Array.from([0.5, 0.25]),
    condensedTree: {
      parent: Int32Array.from([8, 8]),
      child: Int32Array.from([9, 10]),
      lambda: Float64Array.from([1, 1]),
      childSize: Int32Array.from([5, 3]),
    },
    linkageTree: {
      minSamples: 3,
      left: Int32Array.from([0, 8, 3, 10, 5, 12, 7]),
      right: Int32Array.from([1, 2, 4, 9, 6, 11, 13]),
      distance: Float64Array.from([0.1, 0.2, 0.2, 0.5, 0.7, 0.9, 1.5]),
    },
    softMemberships: {
      width: 2,
      patternId: Int32Array.from([0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, -1]),
      strength: Float32Array.from([0.9, 0.05, 0.8, 0.1, 0.85, 0.1, 0.7, 0.2, 0.75, 0.1, 0.3, 0.2, 0.08, 0.02, 0.15, 0]),
    },
  };
}

async function withClustering(body: (store: NapStore, id: number, path: string) => Promise<void>): Promise<void> {
  const { store, path, done } = await tempStore();
  try {
    const runId = await store.createRun(sampleRun());
    await store.appendInputs(runId, sampleInputs(COUNT));
    await store.appendLayer(runId, sampleLayer());
    await body(store, await store.saveClustering(runId, 'conv1', clustering()), path);
  } finally {
    await done();
  }
}

describe('clustering hierarchy in the store', () => {
  it('keeps the linkage tree and soft memberships with the clustering', () =>
    withClustering(async (store, id) => {
      const tree = await store.readLinkageTree(id);
      const expected = clustering().linkageTree!;
      assert.deepEqual(tree, { pointCount: COUNT, ...expected });
      const soft = await store.readSoftMemberships(id);
      assert.deepEqual(Array.from(soft.inputIndex), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7]);
      assert.deepEqual(Array.from(soft.rank), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
      assert.deepEqual(Array.from(soft.patternId), [0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1]);
      assert.equal(soft.strength[10], Math.fround(0.3));
    }));

  it('counts coverage in a pattern and at membership strengths', () =>
    withClustering(async (store, id) => {
      const coverage = await store.readCoverage(id, [0, 0.1, 0.2, 0.5]);
      assert.deepEqual(coverage, { inputs: 8, inPattern: 5, atStrength: [8, 7, 6, 5], soft: true });
      await assert.rejects(store.readCoverage(id, [1.5]), /membership strength 1.5 is not in \[0, 1\]/);
    }));

  it('pages near members of a pattern and all noise, strongest first, and summarizes the noise', () =>
    withClustering(async (store, id) => {
      const near = await store.readNoisePage(id, 1);
      assert.deepEqual(Array.from(near.index), [5, 7]);
      assert.equal(near.total, 2);
      assert.deepEqual(Array.from(near.nearestPattern), [1, 1]);
      const strong = await store.readNoisePage(id, 1, { minStrength: 0.2 });
      assert.deepEqual(Array.from(strong.index), [5]);
      const all = await store.readNoisePage(id, null, { limit: 2 });
      assert.deepEqual(Array.from(all.index), [5, 7]);
      assert.equal(all.total, 3);
      const rest = await store.readNoisePage(id, null, { offset: 2 });
      assert.deepEqual(Array.from(rest.index), [6]);
      assert.deepEqual(Array.from(rest.nearestPattern), [0]);
      await assert.rejects(store.readNoisePage(id, 2), NotFoundError);

      const summary = await store.readNoiseSummary(id);
      assert.equal(summary.inputs, 8);
      assert.equal(summary.noise, 3);
      assert.deepEqual(
        summary.nearestPatterns.map(({ patternId, count }) => [patternId, count]),
        [
          [1, 2],
          [0, 1],
        ],
      );
      assert.equal(
        summary.labels.reduce((n, entry) => n + entry.count, 0),
        3,
      );
    }));

  it('refuses a tree of the wrong size and soft memberships outside the patterns', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      await store.appendInputs(runId, sampleInputs(COUNT));
      await store.appendLayer(runId, sampleLayer());
      const short = clustering();
      short.linkageTree = { ...short.linkageTree!, distance: Float64Array.from([1, 2]) };
      await assert.rejects(store.saveClustering(runId, 'conv1', short), InputError);
      const outside = clustering();
      outside.softMemberships = { ...outside.softMemberships!, patternId: new Int32Array(16).fill(5) };
      await assert.rejects(store.saveClustering(runId, 'conv1', outside), /names pattern 5/);
      assert.deepEqual(await store.listClusterings(runId), [], 'nothing of a refused clustering is kept');
    } finally {
      await done();
    }
  });

  it('keeps a cluster space per layer and space; deleting the run removes all of it', () =>
    withClustering(async (store, id, path) => {
      const { runId } = await store.getClustering(id);
      const space = {
        space: 'pca:2',
        params: { method: 'pca' },
        dim: 2,
        inputIndex: Int32Array.from({ length: COUNT }, (_, i) => i),
        values: Float32Array.from({ length: 2 * COUNT }, (_, i) => i / 4),
      };
      await store.saveClusterSpace(runId, 'conv1', space);
      assert.deepEqual(await store.readClusterSpace(runId, 'conv1', 'pca:2'), space);
      assert.equal(await store.readClusterSpace(runId, 'conv1', 'umap:5'), null);
      await store.deleteRun(runId);
      await store.close();
      for (const table of ['linkage_trees', 'soft_memberships', 'cluster_spaces']) {
        assert.equal(await countRows(path, table), 0, table);
      }
    }));
});
