/**
 * nap analyze --cluster-space: the layer is clustered in its principal components or a UMAP embedding,
 * the space is recorded in the clustering's params and its coordinates stored, statistics stay on the
 * activations, and a re-selection grades soft memberships in the same space (equal to analyze).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hdbscan } from '../../src/compute/hdbscan/index.js';
import { pca } from '../../src/compute/projection/pca.js';
import { analyze } from '../../src/engine/analyze.js';
import { recluster } from '../../src/engine/recluster.js';
import { NapStore } from '../../src/io/store/index.js';

const MODEL = fileURLToPath(new URL('../../../models/mnist-cnn.onnx', import.meta.url));
const base = (out: string) => ({
  model: MODEL,
  data: 'mnist',
  out,
  limit: 400,
  layers: ['logits'],
  projection: 'none' as const,
});

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-space-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cluster spaces', () => {
  it('pca:D clusters the principal components, records the space and keeps statistics on the activations', async () => {
    const out = path.join(dir, 'pca.duckdb');
    const result = await analyze({ ...base(out), clusterSpace: 'pca:4' });
    const store = await NapStore.open(out, { readOnly: true });
    try {
      const [layer] = result.layers;
      const clustering = await store.getClustering(layer!.clusteringId);
      assert.equal((clustering.params as { clusterSpace?: string }).clusterSpace, 'pca:4');
      const space = await store.readClusterSpace(result.runId, 'logits', 'pca:4');
      const { matrix } = await store.readActivations(result.runId, 'logits');
      assert.equal(space?.dim, 4);
      assert.deepEqual(space?.values, pca(matrix, 4, { seed: 42 }).projection);
      const fit = await hdbscan({ count: matrix.count, dim: 4, data: space.values }, { minClusterSize: 5 });
      assert.deepEqual((await store.readMemberships(layer!.clusteringId)).patternId, fit.labels);
      const stats = await store.readUnitStats({ clusteringId: layer!.clusteringId });
      assert.equal(
        stats.unit.length,
        fit.clusterCount * matrix.dim,
        'statistics per unit of the layer, not of the space',
      );
      assert.ok((await store.readSoftMemberships(layer!.clusteringId)).inputIndex.length > 0);
    } finally {
      await store.close();
    }
  });

  it('a re-selection in a umap space equals analyze in that space', async () => {
    const reselected = path.join(dir, 'umap-a.duckdb');
    const fresh = path.join(dir, 'umap-b.duckdb');
    await analyze({ ...base(reselected), clusterSpace: 'umap:3' });
    const target = { minClusterSize: 15, clusterSelectionMethod: 'eom' as const, minSamples: 5 };
    const expected = await analyze({ ...base(fresh), clusterSpace: 'umap:3', clustering: target });
    const a = await NapStore.open(reselected);
    const b = await NapStore.open(fresh, { readOnly: true });
    try {
      const result = await recluster(a, { layer: 'logits', minClusterSize: 15, selection: 'eom' });
      const id = expected.layers[0]!.clusteringId;
      assert.deepEqual(result.params, (await b.getClustering(id)).params);
      assert.deepEqual(await a.readMemberships(result.clusteringId), await b.readMemberships(id));
      assert.deepEqual(await a.readSoftMemberships(result.clusteringId), await b.readSoftMemberships(id));
      assert.ok(result.patterns >= 2, `${result.patterns} patterns`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
