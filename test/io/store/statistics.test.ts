import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, NotFoundError } from '../../../src/errors.js';
import type { NapStore, UnitStatsToSave } from '../../../src/io/store/index.js';
import { assertClose, random, sampleInputs, sampleLayer, sampleRun, tempStore } from './helpers.js';

const STAT_NAMES = ['min', 'max', 'mean', 'q1', 'q3', 'iqr', 'lower', 'upper'] as const;

function sampleStats(rows: number, seed: number, patternId?: Int32Array): UnitStatsToSave {
  const next = random(seed);
  const column = () => Float64Array.from({ length: rows }, () => next() * 2 - 1);
  return {
    unit: Int32Array.from({ length: rows }, (_, i) => i % 8),
    min: column(),
    max: column(),
    mean: Float32Array.from({ length: rows }, () => next()),
    q1: column(),
    q3: column(),
    iqr: column(),
    lower: column(),
    upper: column(),
    ...(patternId ? { patternId } : {}),
  };
}

async function storeWithClustering(): Promise<{
  store: NapStore;
  done: () => Promise<void>;
  runId: number;
  clusteringId: number;
}> {
  const opened = await tempStore();
  const runId = await opened.store.createRun(sampleRun());
  await opened.store.appendInputs(runId, sampleInputs(6));
  await opened.store.appendLayer(runId, sampleLayer());
  const clusteringId = await opened.store.saveClustering(runId, 'conv1', {
    unit: null,
    params: {},
    labels: Int32Array.of(0, 0, 1, 1, 2, -1),
    probabilities: new Float64Array(6).fill(1),
    outlierScores: new Float64Array(6),
    persistence: Float64Array.of(1, 2, 3),
    condensedTree: {
      parent: new Int32Array(0),
      child: new Int32Array(0),
      lambda: new Float64Array(0),
      childSize: new Int32Array(0),
    },
  });
  return { ...opened, runId, clusteringId };
}

function assertStats(
  actual: Record<(typeof STAT_NAMES)[number], ArrayLike<number>>,
  expected: UnitStatsToSave,
  rows: number[],
): void {
  for (const name of STAT_NAMES)
    assertClose(
      actual[name],
      rows.map((row) => expected[name][row]!),
      1e-7,
      name,
    );
}

describe('NapStore unit statistics', () => {
  it('round-trips layer-wide and per-pattern statistics, each replacing only its own scope', async () => {
    const { store, runId, clusteringId, done } = await storeWithClustering();
    try {
      const layerStats = sampleStats(8, 1);
      await store.saveUnitStats({ runId, layer: 'conv1' }, layerStats);
      // Rows given pattern-major but out of order: patterns 2, 0, 1, -1 (noise), 8 units each.
      const patternId = Int32Array.from({ length: 32 }, (_, i) => [2, 0, 1, -1][Math.floor(i / 8)]!);
      const patternStats = sampleStats(32, 2, patternId);
      await store.saveUnitStats({ clusteringId }, patternStats);

      const layer = await store.readUnitStats({ runId, layer: 'conv1' });
      assert.equal(layer.patternId, null);
      assert.deepEqual(Array.from(layer.unit), [0, 1, 2, 3, 4, 5, 6, 7]);
      assertStats(layer, layerStats, [0, 1, 2, 3, 4, 5, 6, 7]);

      const all = await store.readUnitStats({ clusteringId });
      assert.deepEqual(
        Array.from(all.patternId!),
        [-1, 0, 1, 2].flatMap((p) => Array<number>(8).fill(p)),
      );
      const rowsOf = (p: number) => Array.from({ length: 8 }, (_, unit) => patternId.indexOf(p) + unit);
      assertStats(all, patternStats, [-1, 0, 1, 2].flatMap(rowsOf));

      const one = await store.readUnitStats({ clusteringId }, 1);
      assert.deepEqual(Array.from(one.patternId!), Array<number>(8).fill(1));
      assertStats(one, patternStats, rowsOf(1));

      const replacement = sampleStats(8, 3);
      await store.saveUnitStats({ runId, layer: 'conv1' }, replacement);
      assertStats(await store.readUnitStats({ runId, layer: 'conv1' }), replacement, [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal((await store.readUnitStats({ clusteringId })).unit.length, 32, 'pattern stats untouched');
    } finally {
      await done();
    }
  });

  it('refuses statistics that do not fit their scope', async () => {
    const { store, runId, clusteringId, done } = await storeWithClustering();
    try {
      await assert.rejects(store.saveUnitStats({ clusteringId }, sampleStats(8, 1)), /lack pattern ids/);
      await assert.rejects(
        store.saveUnitStats({ runId, layer: 'conv1' }, sampleStats(8, 1, new Int32Array(8))),
        /given pattern ids/,
      );
      await assert.rejects(
        store.saveUnitStats({ clusteringId }, sampleStats(8, 1, new Int32Array(8).fill(3))),
        /pattern 3, outside -1\.\.2/,
      );
      await assert.rejects(
        store.saveUnitStats({ clusteringId }, sampleStats(8, 1, new Int32Array(7))),
        /patternId has 7 rows/,
      );
      await assert.rejects(
        store.saveUnitStats({ runId, layer: 'conv1' }, { ...sampleStats(8, 1), q3: new Float64Array(2) }),
        InputError,
      );
      await assert.rejects(store.saveUnitStats({ runId, layer: 'nope' }, sampleStats(8, 1)), NotFoundError);
      await assert.rejects(
        store.saveUnitStats({ clusteringId: 999 }, sampleStats(8, 1, new Int32Array(8))),
        NotFoundError,
      );
      await assert.rejects(store.readUnitStats({ runId, layer: 'conv1' }, 0), InputError);
      assert.equal((await store.readUnitStats({ clusteringId })).unit.length, 0);
    } finally {
      await done();
    }
  });
});

describe('NapStore max activations', () => {
  it('round-trips max activations, reads one unit, and replaces them', async () => {
    const { store, runId, done } = await storeWithClustering();
    try {
      const columns = {
        unit: Int32Array.of(-1, -1, 0, 0, 1, 1),
        rank: Int32Array.of(1, 0, 0, 1, 0, 1),
        inputIndex: Int32Array.of(4, 2, 5, 0, 1, 3),
        value: Float32Array.of(3.5, 9.25, 1.5, 0.5, 2.75, -1),
      };
      await store.saveMaxActivations(runId, 'conv1', columns);
      const all = await store.readMaxActivations(runId, 'conv1');
      assert.deepEqual(Array.from(all.unit), [-1, -1, 0, 0, 1, 1]);
      assert.deepEqual(Array.from(all.rank), [0, 1, 0, 1, 0, 1]);
      assert.deepEqual(Array.from(all.inputIndex), [2, 4, 5, 0, 1, 3]);
      assertClose(all.value, [9.25, 3.5, 1.5, 0.5, 2.75, -1]);
      const unit = await store.readMaxActivations(runId, 'conv1', 1);
      assert.deepEqual(Array.from(unit.inputIndex), [1, 3]);

      await store.saveMaxActivations(runId, 'conv1', {
        unit: Int32Array.of(-1),
        rank: Int32Array.of(0),
        inputIndex: Int32Array.of(5),
        value: Float64Array.of(7),
      });
      const replaced = await store.readMaxActivations(runId, 'conv1');
      assert.deepEqual(Array.from(replaced.inputIndex), [5]);
      await assert.rejects(
        store.saveMaxActivations(runId, 'conv1', { ...columns, value: new Float64Array(5) }),
        /value has 5 rows, expected 6/,
      );
      await assert.rejects(
        store.saveMaxActivations(runId, 'conv1', { ...columns, rank: new Int32Array(6) }),
        /[Dd]uplicate|constraint/,
      );
      assert.deepEqual(
        Array.from((await store.readMaxActivations(runId, 'conv1')).inputIndex),
        [5],
        'failed save kept the old rows',
      );
    } finally {
      await done();
    }
  });
});

describe('NapStore average images', () => {
  it('round-trips pattern average images byte for byte and replaces them', async () => {
    const { store, clusteringId, done } = await storeWithClustering();
    try {
      const [width, height, channels] = [5, 4, 3];
      const size = width * height * channels;
      const pixels = Uint8Array.from({ length: 3 * size }, (_, i) => (i * 37) % 256);
      await store.saveAverageImages(clusteringId, {
        patternId: Int32Array.of(2, 0, 1),
        width,
        height,
        channels,
        pixels,
      });
      const all = await store.readAverageImages(clusteringId);
      assert.deepEqual(Array.from(all.patternId), [0, 1, 2]);
      assert.deepEqual([all.width, all.height, all.channels], [width, height, channels]);
      assert.deepEqual(Array.from(all.pixels.subarray(0, size)), Array.from(pixels.subarray(size, 2 * size)));
      assert.deepEqual(Array.from(all.pixels.subarray(2 * size)), Array.from(pixels.subarray(0, size)));
      const one = await store.readAverageImages(clusteringId, 1);
      assert.deepEqual(Array.from(one.pixels), Array.from(pixels.subarray(2 * size)));

      const gray = new Uint8Array(2 * 3).fill(200);
      await store.saveAverageImages(clusteringId, {
        patternId: Int32Array.of(0),
        width: 2,
        height: 3,
        channels: 1,
        pixels: gray,
      });
      const replaced = await store.readAverageImages(clusteringId);
      assert.deepEqual(
        [Array.from(replaced.patternId), replaced.width, replaced.height, replaced.channels],
        [[0], 2, 3, 1],
      );
      assert.deepEqual(Array.from(replaced.pixels), Array.from(gray));
      await assert.rejects(store.readAverageImages(clusteringId, 2), NotFoundError);
      await assert.rejects(
        store.saveAverageImages(clusteringId, {
          patternId: Int32Array.of(0, 1),
          width: 2,
          height: 3,
          channels: 1,
          pixels: gray,
        }),
        /hold 6 bytes, expected 2 images/,
      );
      await assert.rejects(
        store.saveAverageImages(clusteringId, {
          patternId: Int32Array.of(3),
          width: 2,
          height: 3,
          channels: 1,
          pixels: gray,
        }),
        /pattern 3/,
      );
      await assert.rejects(
        store.saveAverageImages(clusteringId, {
          patternId: Int32Array.of(0),
          width: 0,
          height: 3,
          channels: 1,
          pixels: gray,
        }),
        /width 0/,
      );
    } finally {
      await done();
    }
  });
});

describe('NapStore concurrency', () => {
  it('serves concurrent reads and writes, and reads see each write once it has completed', async () => {
    const { store, runId, done } = await storeWithClustering();
    try {
      const writes = Array.from({ length: 5 }, (_, i) => store.createRun(sampleRun({ name: `run ${i}` })));
      const reads = Array.from({ length: 5 }, () => store.readInputs(runId));
      const [ids, inputs] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
      assert.equal(new Set(ids).size, 5);
      for (const read of inputs) assert.equal(read.index.length, 6);
      const names = (await store.listRuns()).map((run) => run.name);
      for (let i = 0; i < 5; i++) assert.ok(names.includes(`run ${i}`));
    } finally {
      await done();
    }
  });
});
