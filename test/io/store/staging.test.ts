import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StagedBatch } from '../../../src/io/store/staging.js';
import { random, sampleInputs, sampleRun, tempStore } from './helpers.js';

/** A batch of the inputs `index`, with a 3-wide and a 2-wide layer of seeded values. */
function batch(start: number, count: number, index: number[], seed: number): StagedBatch {
  const next = random(seed);
  const inputs = { ...sampleInputs(index.length, seed), index: Int32Array.from(index) };
  const floats = (length: number) => Float32Array.from({ length }, () => next() * 10 - 5);
  return {
    start,
    count,
    inputs,
    layers: [
      { layer: 'wide', values: floats(index.length * 3), dim: 3, unitMax: floats(index.length * 3), units: 3 },
      { layer: 'narrow', values: floats(index.length * 2), dim: 2, unitMax: floats(index.length), units: 1 },
    ],
  };
}

describe('NapStore staged batches', () => {
  it('reads every layer back by input index, bit for bit, whatever the commit order and skipped rows', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const later = batch(4, 4, [4, 5, 7], 2); // input 6 was skipped
      const first = batch(0, 4, [0, 1, 2, 3], 1);
      await store.appendStagedBatch(runId, later);
      await store.appendStagedBatch(runId, first);
      assert.deepEqual(await store.stagedBatches(runId), [
        { start: 0, count: 4 },
        { start: 4, count: 4 },
      ]);
      for (const [l, { layer, dim, units }] of first.layers.entries()) {
        const staged = await store.readStagedLayer(runId, layer, dim, units);
        assert.deepEqual(Array.from(staged.inputIndex), [0, 1, 2, 3, 4, 5, 7]);
        assert.deepEqual(Array.from(staged.values), [...first.layers[l]!.values, ...later.layers[l]!.values]);
        assert.deepEqual(Array.from(staged.unitMax), [...first.layers[l]!.unitMax, ...later.layers[l]!.unitMax]);
      }
      const other = await store.createRun(sampleRun({ name: 'other' }));
      assert.equal((await store.readStagedLayer(other, 'wide', 3, 3)).inputIndex.length, 0);
    } finally {
      await done();
    }
  });

  it('hands the unit maxima to a visitor batch by batch, by input index, when asked', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const later = batch(4, 4, [4, 5, 7], 2);
      const first = batch(0, 4, [0, 1, 2, 3], 1);
      await store.appendStagedBatch(runId, later);
      await store.appendStagedBatch(runId, first);
      const seen: { unitMax: number[]; inputs: number[] }[] = [];
      const staged = await store.readStagedLayer(runId, 'wide', 3, 3, (unitMax, inputIndex) =>
        seen.push({ unitMax: Array.from(unitMax), inputs: Array.from(inputIndex) }),
      );
      assert.deepEqual(seen, [
        { unitMax: Array.from(first.layers[0]!.unitMax), inputs: [0, 1, 2, 3] },
        { unitMax: Array.from(later.layers[0]!.unitMax), inputs: [4, 5, 7] },
      ]);
      assert.equal(staged.unitMax.length, 0);
      assert.deepEqual(Array.from(staged.values), [...first.layers[0]!.values, ...later.layers[0]!.values]);
    } finally {
      await done();
    }
  });

  it('refuses a layer whose arrays do not fit its rows, and storing nothing of that batch', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      const bad = batch(0, 4, [0, 1, 2, 3], 3);
      bad.layers[1] = { ...bad.layers[1]!, values: bad.layers[1]!.values.subarray(1) };
      await assert.rejects(store.appendStagedBatch(runId, bad), /staged layer 'narrow' holds 7 values/);
      assert.deepEqual(await store.stagedBatches(runId), []);
      assert.equal((await store.readStagedLayer(runId, 'wide', 3, 3)).inputIndex.length, 0);
    } finally {
      await done();
    }
  });
});
