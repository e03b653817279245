/**
 * Assigning new inputs to a stored clustering gives what hdbscan's approximate_predict and
 * membership_vector give for a fit of the same rows (src/compute/hdbscan/soft/predict.ts), from raw or
 * normalized activations; clusterings of another space or of unit maps are refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hdbscan } from '../../src/compute/hdbscan/index.js';
import {
  approximatePredict,
  buildSoftTree,
  createPredictor,
  membershipVectors,
} from '../../src/compute/hdbscan/soft/index.js';
import { analyze } from '../../src/engine/analyze.js';
import { assignToClustering } from '../../src/engine/assign.js';
import { InputError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { mulberry32 } from '../../src/io/datasets/sample.js';

const MODEL = fileURLToPath(new URL('../../../models/mnist-cnn.onnx', import.meta.url));

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-assign-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('assigning new inputs to a stored clustering', () => {
  it('equals approximate_predict and membership_vector of a fit of the same rows', async () => {
    const out = path.join(dir, 'run.duckdb');
    const result = await analyze({
      model: MODEL,
      data: 'mnist',
      out,
      limit: 600,
      layers: ['logits'],
      projection: 'none',
    });
    const store = await NapStore.open(out, { readOnly: true });
    try {
      const clusteringId = result.layers[0]!.clusteringId;
      const { matrix } = await store.readActivations(result.runId, 'logits');
      // New inputs: stored rows moved a little, as other images of the same kind would be.
      const random = mulberry32(3);
      const count = 80;
      const queries = { count, dim: matrix.dim, data: new Float32Array(count * matrix.dim) };
      for (let q = 0; q < count; q++) {
        const source = Math.floor(random() * matrix.count);
        for (let k = 0; k < matrix.dim; k++)
          queries.data[q * matrix.dim + k] = matrix.data[source * matrix.dim + k]! + 0.02 * (random() - 0.5);
      }
      const assigned = await assignToClustering(store, clusteringId, queries, { raw: false });

      const fit = await hdbscan(matrix, { minClusterSize: 5, minSamples: 5 });
      const soft = buildSoftTree(fit.condensedTree, fit.labels, fit.clusterCount);
      const predictor = await createPredictor(matrix, soft, { minSamples: 5 });
      const expected = await approximatePredict(predictor, queries);
      assert.deepEqual(assigned.patternId, expected.labels);
      assert.deepEqual(assigned.probability, expected.probabilities);
      assert.deepEqual(assigned.membership, await membershipVectors(predictor, queries));
      assert.ok(
        assigned.patternId.some((p) => p >= 0),
        'some new inputs join a pattern',
      );

      // The same inputs as the model gives them: divided by the stored divisors first.
      const divisors = await store.readLayerDivisors(result.runId, 'logits');
      const raw = { ...queries, data: queries.data.map((value, i) => value * divisors[i % matrix.dim]!) };
      const fromRaw = await assignToClustering(store, clusteringId, raw);
      assert.deepEqual(fromRaw.patternId, assigned.patternId);
      fromRaw.membership.forEach((value, i) => assert.ok(Math.abs(value - assigned.membership[i]!) < 1e-6));

      await assert.rejects(
        assignToClustering(store, clusteringId, { count: 1, dim: 3, data: new Float32Array(3) }),
        (error: unknown) => error instanceof InputError && /3 values each/.test(error.message),
      );
    } finally {
      await store.close();
    }
  });

  it('refuses a clustering made in a pca or umap space', async () => {
    const out = path.join(dir, 'space.duckdb');
    const result = await analyze({
      model: MODEL,
      data: 'mnist',
      out,
      limit: 200,
      layers: ['logits'],
      projection: 'none',
      clusterSpace: 'pca:4',
    });
    const store = await NapStore.open(out, { readOnly: true });
    try {
      const rows = { count: 1, dim: 10, data: new Float32Array(10) };
      await assert.rejects(
        assignToClustering(store, result.layers[0]!.clusteringId, rows),
        (error: unknown) => error instanceof InputError && /clustered in pca:4/.test(error.message),
      );
    } finally {
      await store.close();
    }
  });
});
