import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, NotFoundError } from '../../../src/errors.js';
import { NapStore, type ProjectionToSave } from '../../../src/io/store/index.js';
import { countRows, random, sampleInputs, sampleLayer, sampleRun, tempStore } from './helpers.js';

function sampleProjection(count: number, seed = 3): ProjectionToSave {
  const next = random(seed);
  return {
    method: 'umap',
    params: { seed, nNeighbors: 15, minDist: 0.1, nested: { knn: 'exact' } },
    // Every other input: indices need not be contiguous, only ascending.
    inputIndex: Int32Array.from({ length: count }, (_, i) => 2 * i),
    x: Float32Array.from({ length: count }, () => (next() - 0.5) * 1e3),
    y: Float32Array.from({ length: count }, () => next() * 1e-3),
  };
}

async function storeWithLayers(store: NapStore): Promise<number> {
  const runId = await store.createRun(sampleRun());
  await store.appendInputs(runId, sampleInputs(40));
  await store.appendLayer(runId, sampleLayer({ layer: 'dense', order: 1, dim: 4, rawDims: [4] }));
  await store.appendLayer(runId, sampleLayer({ layer: 'conv1', order: 0 }));
  return runId;
}

describe('NapStore projections', () => {
  it('round-trips a projection bit for bit, lists projections in model layer order, and replaces one', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await storeWithLayers(store);
      assert.deepEqual(await store.listProjections(runId), []);
      assert.equal(await store.readProjection(runId, 'conv1'), null, 'no projection yet');

      const dense = sampleProjection(20, 1);
      const conv = { ...sampleProjection(20, 2), method: 'pca' as const, params: { seed: 2 } };
      const before = Date.now();
      await store.saveProjection(runId, 'dense', dense);
      await store.saveProjection(runId, 'conv1', conv);

      const stored = await store.readProjection(runId, 'dense');
      assert.ok(stored);
      assert.equal(stored.method, 'umap');
      assert.deepEqual(stored.params, dense.params);
      assert.equal(stored.pointCount, 20);
      assert.deepEqual(stored.inputIndex, dense.inputIndex);
      assert.deepEqual(stored.x, dense.x, 'float32 values come back exactly');
      assert.deepEqual(stored.y, dense.y);
      assert.ok(stored.createdAt.getTime() >= before - 1000 && stored.createdAt.getTime() <= Date.now() + 1000);

      const list = await store.listProjections(runId);
      assert.deepEqual(
        list.map((p) => [p.layer, p.method, p.pointCount]),
        [
          ['conv1', 'pca', 20],
          ['dense', 'umap', 20],
        ],
      );

      const replacement = { ...sampleProjection(5, 9), method: 'pca' as const, params: { seed: 9 } };
      await store.saveProjection(runId, 'dense', replacement);
      const replaced = await store.readProjection(runId, 'dense');
      assert.equal(replaced?.method, 'pca');
      assert.deepEqual(replaced?.x, replacement.x);
      assert.equal((await store.listProjections(runId)).length, 2, 'one projection per layer');
    } finally {
      await done();
    }
  });

  it('refuses bad projections naming the value, and stores nothing of them', async () => {
    const { store, path, done } = await tempStore();
    try {
      const runId = await storeWithLayers(store);
      const good = sampleProjection(6);
      const refused = async (projection: ProjectionToSave, pattern: RegExp) =>
        assert.rejects(
          store.saveProjection(runId, 'dense', projection),
          (e: unknown) => e instanceof InputError && pattern.test(e.message) && (e.hint ?? '').length > 0,
        );
      await refused({ ...good, x: good.x.slice(1) }, /6 input indices, 5 x and 6 y/);
      await refused({ ...good, inputIndex: Int32Array.of(0, 2, 2, 4, 6, 8) }, /input index 2 at row 2/);
      await refused({ ...good, inputIndex: Int32Array.of(-1, 2, 3, 4, 6, 8) }, /input index -1 at row 0/);
      const y = good.y.slice();
      y[3] = Number.NaN;
      await refused({ ...good, y }, /input 6 is at \(.*, NaN\)/);
      await refused({ ...good, method: 'tsne' as 'umap' }, /method "tsne"/);
      await assert.rejects(
        store.saveProjection(runId, 'nope', good),
        (e: unknown) => e instanceof NotFoundError && /nope/.test(e.message),
      );
      await assert.rejects(store.saveProjection(999, 'dense', good), NotFoundError);
      await assert.rejects(store.readProjection(runId, 'nope'), NotFoundError);
      await assert.rejects(store.listProjections(999), NotFoundError);
      await store.close();
      assert.equal(await countRows(path, 'projections'), 0);
    } finally {
      await done();
    }
  });

  it('deletes a run with its projections', async () => {
    const { store, path, done } = await tempStore();
    try {
      const runId = await storeWithLayers(store);
      await store.saveProjection(runId, 'dense', sampleProjection(4));
      await store.deleteRun(runId);
      await store.close();
      assert.equal(await countRows(path, 'projections'), 0);
    } finally {
      await done();
    }
  });
});
