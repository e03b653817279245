import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { InputError, NotFoundError } from '../../../src/errors.js';
import { assertClose, countRows, random, sampleInputs, sampleLayer, sampleRun, tempStore } from './helpers.js';

describe('NapStore inputs and layers', () => {
  it('round-trips inputs with nulls and NaN, in index order and at chosen indices', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const inputs = sampleInputs(30);
      inputs.probability[4] = NaN;
      inputs.prediction[4] = -1;
      inputs.predictionLabel = inputs.predictionLabel.map((label, i) => (i === 4 ? null : label));
      // Two batches, the later one first: reads come back by index anyway.
      const batch = (from: number, to: number) => ({
        index: inputs.index.slice(from, to),
        path: inputs.path.slice(from, to),
        label: inputs.label.slice(from, to),
        prediction: inputs.prediction.slice(from, to),
        predictionLabel: inputs.predictionLabel.slice(from, to),
        probability: inputs.probability.slice(from, to),
      });
      await store.appendInputs(runId, batch(10, 30));
      await store.appendInputs(runId, batch(0, 10));

      const stored = await store.readInputs(runId);
      assert.deepEqual(Array.from(stored.index), Array.from(inputs.index));
      assert.deepEqual(stored.path, inputs.path);
      assert.deepEqual(stored.label, inputs.label);
      assert.equal(stored.label[1], null);
      assert.deepEqual(Array.from(stored.prediction), Array.from(inputs.prediction));
      assert.deepEqual(stored.predictionLabel, inputs.predictionLabel);
      assertClose(stored.probability, inputs.probability, 1e-7, 'probability');

      const picked = await store.readInputs(runId, Int32Array.of(17, 3, 17, 0));
      assert.deepEqual(Array.from(picked.index), [17, 3, 17, 0]);
      assert.deepEqual(picked.path, ['images/17.png', 'images/3.png', 'images/17.png', 'images/0.png']);
      assertClose(
        picked.probability,
        [17, 3, 17, 0].map((i) => inputs.probability[i]!),
        1e-7,
      );
      assert.equal((await store.readInputs(runId, new Int32Array(0))).index.length, 0);
      await assert.rejects(
        store.readInputs(runId, Int32Array.of(3, 99)),
        (e: unknown) => e instanceof NotFoundError && /input 99/.test(e.message),
      );
    } finally {
      await done();
    }
  });

  it('refuses input columns of unequal length and inputs stored twice, storing nothing', async () => {
    const { store, path, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const inputs = sampleInputs(5);
      await assert.rejects(
        store.appendInputs(runId, { ...inputs, label: inputs.label.slice(0, 4) }),
        (e: unknown) => e instanceof InputError && /label has 4 rows, expected 5/.test(e.message),
      );
      await store.appendInputs(runId, inputs);
      await assert.rejects(
        store.appendInputs(runId, { ...inputs, index: Int32Array.of(5, 6, 7, 8, 0) }),
        /[Dd]uplicate|constraint/,
      );
      await assert.rejects(store.appendInputs(999, inputs), NotFoundError);
      await store.close();
      assert.equal(await countRows(path, 'inputs'), 5);
    } finally {
      await done();
    }
  });

  it('round-trips layers in model order and refuses duplicates and bad shapes', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const dense = sampleLayer({
        layer: 'dense',
        order: 3,
        opType: 'Gemm',
        rawDims: [128],
        aggregation: 'none',
        dim: 128,
      });
      const conv = sampleLayer();
      await store.appendLayer(runId, dense);
      await store.appendLayer(runId, conv);
      assert.deepEqual(await store.listLayers(runId), [conv, dense]);
      await assert.rejects(
        store.appendLayer(runId, conv),
        (e: unknown) => e instanceof InputError && /conv1.*already stored/.test(e.message),
      );
      await assert.rejects(store.appendLayer(runId, sampleLayer({ layer: 'x', dim: 0 })), /dim 0/);
      await assert.rejects(store.appendLayer(runId, sampleLayer({ layer: 'x', rawDims: [3, -1] })), /raw dims/);
      await assert.rejects(store.appendLayer(runId, sampleLayer({ layer: '' })), InputError);
    } finally {
      await done();
    }
  });
});

describe('NapStore activations', () => {
  it('appends 10,000 x 64 activations in batches and reads them back exactly, by input index', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const count = 10_000;
      const dim = 64;
      await store.appendLayer(runId, sampleLayer({ layer: 'mixed', rawDims: [64, 7, 7], dim }));
      const next = random(7);
      const data = Float32Array.from({ length: count * dim }, () => next() * 2 - 1);
      // Batches in reverse order, one of them larger than a DuckDB chunk (2048 rows).
      const batches = [
        [7000, 10_000],
        [2000, 7000],
        [0, 2000],
      ] as const;
      for (const [from, to] of batches) {
        const matrix = makeMatrix(to - from, dim, data.slice(from * dim, to * dim));
        const indices = Int32Array.from({ length: to - from }, (_, i) => from + i);
        await store.appendActivations(runId, 'mixed', matrix, indices);
      }
      const { matrix, inputIndex } = await store.readActivations(runId, 'mixed');
      assert.equal(matrix.count, count);
      assert.equal(matrix.dim, dim);
      assert.deepEqual(Array.from(inputIndex.subarray(0, 3)), [0, 1, 2]);
      assert.equal(inputIndex[count - 1], count - 1);
      // FLOAT storage keeps float32 values bit-exact.
      assert.ok(Buffer.from(matrix.data.buffer).equals(Buffer.from(data.buffer)), 'activations identical');
    } finally {
      await done();
    }
  });

  it('reads a layer appended in input order as stored, across chunks, with no sort', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const count = 5000;
      const dim = 8;
      await store.appendLayer(runId, sampleLayer({ layer: 'ordered', dim }));
      const next = random(11);
      const data = Float32Array.from({ length: count * dim }, () => next() * 2 - 1);
      // Every third input is missing: the rows are by input index, not their positions.
      const indices = Int32Array.from({ length: count }, (_, i) => i + Math.floor(i / 2));
      for (const [from, to] of [
        [0, 3000],
        [3000, count],
      ] as const) {
        const matrix = makeMatrix(to - from, dim, data.slice(from * dim, to * dim));
        await store.appendActivations(runId, 'ordered', matrix, indices.slice(from, to));
      }
      const { matrix, inputIndex } = await store.readActivations(runId, 'ordered');
      assert.deepEqual(inputIndex, indices);
      assert.ok(Buffer.from(matrix.data.buffer).equals(Buffer.from(data.buffer)), 'activations identical');
    } finally {
      await done();
    }
  });

  it('keeps layers and runs apart and returns an empty matrix for a layer without activations', async () => {
    const { store, done } = await tempStore();
    try {
      const a = await store.createRun(sampleRun());
      const b = await store.createRun(sampleRun());
      for (const runId of [a, b]) {
        await store.appendLayer(runId, sampleLayer({ layer: 'l1', dim: 2 }));
        await store.appendLayer(runId, sampleLayer({ layer: 'l2', dim: 3 }));
      }
      await store.appendActivations(a, 'l1', makeMatrix(2, 2, Float32Array.of(1, 2, 3, 4)), Int32Array.of(5, 3));
      await store.appendActivations(a, 'l2', makeMatrix(1, 3, Float32Array.of(7, 8, 9)), Int32Array.of(3));
      await store.appendActivations(b, 'l1', makeMatrix(1, 2, Float32Array.of(-1, -2)), Int32Array.of(3));
      const l1 = await store.readActivations(a, 'l1');
      assert.deepEqual(Array.from(l1.inputIndex), [3, 5]);
      assert.deepEqual(Array.from(l1.matrix.data), [3, 4, 1, 2]);
      assert.deepEqual(Array.from((await store.readActivations(a, 'l2')).matrix.data), [7, 8, 9]);
      assert.deepEqual(Array.from((await store.readActivations(b, 'l1')).matrix.data), [-1, -2]);
      const empty = await store.readActivations(b, 'l2');
      assert.equal(empty.matrix.count, 0);
      assert.equal(empty.matrix.dim, 3);
    } finally {
      await done();
    }
  });

  it('refuses mismatched shapes and unknown layers', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      await store.appendLayer(runId, sampleLayer({ dim: 4 }));
      const matrix = makeMatrix(2, 3);
      await assert.rejects(store.appendActivations(runId, 'conv1', matrix, Int32Array.of(0, 1)), /3 columns.*dim 4/);
      await assert.rejects(
        store.appendActivations(runId, 'conv1', makeMatrix(2, 4), Int32Array.of(0)),
        /1 input indices for 2/,
      );
      await assert.rejects(
        store.appendActivations(runId, 'nope', makeMatrix(1, 4), Int32Array.of(0)),
        (e: unknown) => e instanceof NotFoundError && /"nope"/.test(e.message) && /conv1/.test(e.hint ?? ''),
      );
      await assert.rejects(store.readActivations(runId, 'nope'), NotFoundError);
    } finally {
      await done();
    }
  });

  it('stores nothing of an append that fails part-way', async () => {
    const { store, path, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      await store.appendLayer(runId, sampleLayer({ dim: 4 }));
      const count = 5000;
      // The last row repeats input 0: the key violation comes after two full chunks were appended.
      const indices = Int32Array.from({ length: count }, (_, i) => (i === count - 1 ? 0 : i));
      await assert.rejects(
        store.appendActivations(runId, 'conv1', makeMatrix(count, 4), indices),
        /[Dd]uplicate|constraint/,
      );
      assert.equal((await store.readActivations(runId, 'conv1')).matrix.count, 0);
      await store.appendActivations(runId, 'conv1', makeMatrix(2, 4), Int32Array.of(0, 1));
      await store.close();
      assert.equal(await countRows(path, 'activations'), 2);
    } finally {
      await done();
    }
  });
});
