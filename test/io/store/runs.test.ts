import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, NotFoundError } from '../../../src/errors.js';
import { NapStore, type StoredRunStatus } from '../../../src/io/store/index.js';
import { assertClose, countRows, sampleInputs, sampleLayer, sampleRun, tempStore } from './helpers.js';

describe('NapStore runs', () => {
  it('round-trips every run field and starts runs as running', async () => {
    const { store, done } = await tempStore();
    try {
      const info = sampleRun();
      const before = Date.now();
      const runId = await store.createRun(info);
      const run = await store.getRun(runId);
      assert.equal(run.runId, runId);
      assert.equal(run.status, 'running');
      assert.ok(
        Math.abs(run.createdAt.getTime() - before) < 60_000,
        `created_at ${run.createdAt.toISOString()} is now`,
      );
      assert.deepEqual(run, { ...info, runId, status: 'running', createdAt: run.createdAt });

      const second = await store.createRun(
        sampleRun({ name: 'second', predictionLabels: null, config: [1, 'two', null] }),
      );
      assert.notEqual(second, runId);
      const runs = await store.listRuns();
      assert.deepEqual(
        runs.map((r) => r.runId),
        [runId, second],
      );
      assert.equal(runs[1]!.predictionLabels, null);
      assert.deepEqual(runs[1]!.config, [1, 'two', null]);
    } finally {
      await done();
    }
  });

  it('sets the status and refuses unknown statuses and runs', async () => {
    const { store, done } = await tempStore();
    try {
      const runId = await store.createRun(sampleRun());
      await store.setRunStatus(runId, 'failed');
      assert.equal((await store.getRun(runId)).status, 'failed');
      await assert.rejects(store.setRunStatus(runId, 'done' as StoredRunStatus), InputError);
      await assert.rejects(store.setRunStatus(runId + 7, 'complete'), NotFoundError);
      await assert.rejects(
        store.getRun(runId + 7),
        (error: unknown) => error instanceof NotFoundError && /run \d+ does not exist/.test(error.message),
      );
      await assert.rejects(store.getRun(-1), InputError);
      await assert.rejects(store.createRun(sampleRun({ name: '' })), InputError);
      await assert.rejects(store.createRun(sampleRun({ config: () => 1 })), /cannot be stored as JSON/);
    } finally {
      await done();
    }
  });

  it("reads a run left 'running' by a store that closed as interrupted, and as running again once resumed", async () => {
    const { store, path, done } = await tempStore();
    let again: NapStore | undefined;
    try {
      const runId = await store.createRun(sampleRun());
      assert.equal((await store.getRun(runId)).status, 'running', 'this store writes it');
      const finished = await store.createRun(sampleRun({ name: 'finished' }));
      await store.setRunStatus(finished, 'complete');
      await store.close();
      for (const readOnly of [true, false]) {
        again = await NapStore.open(path, { readOnly });
        assert.deepEqual(
          (await again.listRuns()).map((run) => run.status),
          ['interrupted', 'complete'],
          'no process writes it: its writer ended before recording an outcome',
        );
        assert.equal((await again.getRun(runId)).status, 'interrupted');
        const run = sampleRun();
        const unfinished = await again.findUnfinishedRun(
          run.modelSha256,
          run.datasetFingerprint,
          run.extractionConfigHash,
        );
        assert.equal(unfinished?.status, 'interrupted');
        if (!readOnly) {
          await again.setRunStatus(runId, 'running');
          assert.equal((await again.getRun(runId)).status, 'running', 'resumed by this store');
          await again.setRunStatus(runId, 'failed');
          assert.equal((await again.getRun(runId)).status, 'failed');
        }
        await again.close();
        again = undefined;
      }
    } finally {
      await again?.close();
      await done().catch(() => undefined);
    }
  });

  it('finds the newest complete run with the same model, dataset and extraction config', async () => {
    const { store, done } = await tempStore();
    try {
      const running = await store.createRun(sampleRun());
      assert.equal(await store.findCompleteRun('a'.repeat(64), 'fp-1', 'cfg-1'), null, 'running runs are not reusable');
      const older = await store.createRun(sampleRun());
      const newer = await store.createRun(sampleRun());
      const otherConfig = await store.createRun(sampleRun({ extractionConfigHash: 'cfg-2' }));
      for (const id of [older, newer, otherConfig]) await store.setRunStatus(id, 'complete');
      const failed = await store.createRun(sampleRun());
      await store.setRunStatus(failed, 'failed');

      assert.equal((await store.findCompleteRun('a'.repeat(64), 'fp-1', 'cfg-1'))?.runId, newer);
      assert.equal((await store.findCompleteRun('a'.repeat(64), 'fp-1', 'cfg-2'))?.runId, otherConfig);
      assert.equal(await store.findCompleteRun('b'.repeat(64), 'fp-1', 'cfg-1'), null);
      assert.equal(await store.findCompleteRun('a'.repeat(64), 'fp-2', 'cfg-1'), null);
      assert.equal((await store.getRun(running)).status, 'running');
    } finally {
      await done();
    }
  });

  it('deletes a run with everything stored for it and leaves other runs alone', async () => {
    const { store, path, done } = await tempStore();
    try {
      const doomed = await store.createRun(sampleRun());
      const kept = await store.createRun(sampleRun());
      for (const runId of [doomed, kept]) {
        await store.appendInputs(runId, sampleInputs(10));
        await store.appendLayer(runId, sampleLayer({ dim: 2 }));
        await store.appendActivations(
          runId,
          'conv1',
          { count: 2, dim: 2, data: Float32Array.of(1, 2, 3, 4) },
          Int32Array.of(0, 1),
        );
        await store.saveClustering(runId, 'conv1', {
          unit: null,
          params: {},
          labels: new Int32Array(10),
          probabilities: new Float64Array(10).fill(1),
          outlierScores: new Float64Array(10),
          persistence: Float64Array.of(0.5),
          condensedTree: {
            parent: Int32Array.of(10),
            child: Int32Array.of(0),
            lambda: Float64Array.of(1),
            childSize: Int32Array.of(1),
          },
        });
      }
      await store.deleteRun(doomed);
      await assert.rejects(store.getRun(doomed), NotFoundError);
      assert.deepEqual(
        (await store.listRuns()).map((run) => run.runId),
        [kept],
      );
      assert.equal((await store.readInputs(kept)).index.length, 10);
      assert.equal((await store.listClusterings(kept)).length, 1);
      assertClose((await store.readActivations(kept, 'conv1')).matrix.data, [1, 2, 3, 4]);
      await assert.rejects(store.deleteRun(doomed), NotFoundError);
      await store.close();
      const expected = {
        runs: 1,
        inputs: 10,
        layers: 1,
        activations: 2,
        clusterings: 1,
        patterns: 1,
        memberships: 10,
        condensed_tree: 1,
      };
      for (const [table, rows] of Object.entries(expected)) assert.equal(await countRows(path, table), rows, table);
    } finally {
      await done();
    }
  });
});
