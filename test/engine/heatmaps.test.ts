/**
 * Pattern heatmaps of a real run of the tiny conv net (known weights) over MNIST digits, checked against a
 * hand computation from the plain-loop reference forward pass.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyze } from '../../src/engine/analyze.js';
import { computePatternHeatmaps } from '../../src/engine/heatmaps.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { openDataset } from '../../src/io/datasets/open.js';
import type { Preprocessing } from '../../src/io/datasets/types.js';
import { MEAN_HEATMAP, NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet, tinyConvNetReference } from '../helpers/tiny-models.js';

const LIMIT = 240;
const UNITS = 2;
const POSITIONS = 16;
/** Divisors are stored as float32, so the hand computation agrees to about this. */
const TOLERANCE = 1e-4;

let dir: string;
let model: string;
let storePath: string;
let runId: number;
let reluClustering: number;
let patternCount: number;

/** The relu layer of every input (NCHW [N, 2, 4, 4]) in input-index order, from the reference forward pass. */
let relu: Float32Array;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-heatmaps-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'results.duckdb');
  const result = await analyze({
    model,
    data: 'mnist',
    out: storePath,
    limit: LIMIT,
    layers: [TINY.relu, TINY.logits],
    threads: 1,
  });
  runId = result.runId;
  const reluSummary = result.layers.find((layer) => layer.layer === TINY.relu)!;
  reluClustering = reluSummary.clusteringId;
  patternCount = reluSummary.patterns;
  assert.ok(patternCount >= 2, `the fixture needs at least two relu patterns, got ${patternCount}`);

  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const run = await store.getRun(runId);
    const inputs = await store.readInputs(runId);
    const dataset = await openDataset('mnist');
    const itemOf = new Map(dataset.items.map((item) => [item.path, item.index]));
    const items = Array.from(inputs.path, (p) => itemOf.get(p!)!);
    const batch = await dataset.load(items, (run.config as { preprocessing: Preprocessing }).preprocessing);
    relu = tinyConvNetReference(batch.data, items.length).relu;
  } finally {
    await store.close();
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** By hand: mean per unit, divisors = max |mean| over inputs, normalized rows, their mean (baseline). */
function handNormalization(): { divisors: number[]; rows: number[][]; baseline: number[] } {
  const means = Array.from({ length: LIMIT }, (_, n) =>
    Array.from({ length: UNITS }, (_, u) => {
      let sum = 0;
      for (let p = 0; p < POSITIONS; p++) sum += relu[(n * UNITS + u) * POSITIONS + p]!;
      return sum / POSITIONS;
    }),
  );
  const divisors = Array.from({ length: UNITS }, (_, u) => Math.max(...means.map((row) => Math.abs(row[u]!))));
  const rows = means.map((row) => row.map((value, u) => value / divisors[u]!));
  const baseline = Array.from({ length: UNITS }, (_, u) => rows.reduce((sum, row) => sum + row[u]!, 0) / LIMIT);
  return { divisors, rows, baseline };
}

/** max(0, cos(v - b, c - b)) for 2-vectors. */
function similarity(v: number[], centroid: number[], baseline: number[]): number {
  const a = v.map((x, u) => x - baseline[u]!);
  const d = centroid.map((x, u) => x - baseline[u]!);
  const dot = a[0]! * d[0]! + a[1]! * d[1]!;
  const norms = Math.hypot(a[0]!, a[1]!) * Math.hypot(d[0]!, d[1]!);
  return norms > 0 ? Math.max(0, dot / norms) : 0;
}

describe('computePatternHeatmaps on the tiny conv net', () => {
  test('analyze stores the layer divisors: max |mean activation| of each unit', async () => {
    const store = await NapStore.open(storePath, { readOnly: true });
    try {
      const stored = await store.readLayerDivisors(runId, TINY.relu);
      const { divisors } = handNormalization();
      assert.equal(stored.length, UNITS);
      divisors.forEach((d, u) => assert.ok(Math.abs(stored[u]! - d) <= 1e-6 * d, `unit ${u}: ${stored[u]} vs ${d}`));
    } finally {
      await store.close();
    }
  });

  test('every member heatmap matches the hand computation at every position', async () => {
    const store = await NapStore.open(storePath);
    let result;
    try {
      result = await computePatternHeatmaps(store, { layer: TINY.relu, threads: 1, batchSize: 7 });
    } finally {
      await store.close();
    }
    assert.equal(result.clusteringId, reluClustering);
    assert.deepEqual([result.height, result.width, result.imageHeight, result.imageWidth], [4, 4, 4, 4]);
    assert.equal(result.patterns.length, patternCount);
    assert.deepEqual(result.skipped, []);

    const readOnly = await NapStore.open(storePath, { readOnly: true });
    try {
      const memberships = await readOnly.readMemberships(reluClustering);
      const { divisors, rows, baseline } = handNormalization();
      let checked = 0;
      for (let pattern = 0; pattern < patternCount; pattern++) {
        const members = Array.from(memberships.inputIndex).filter((_, r) => memberships.patternId[r] === pattern);
        const centroid = [0, 1].map((u) => members.reduce((sum, n) => sum + rows[n]![u]!, 0) / members.length);
        const stored = await readOnly.readPatternHeatmaps(reluClustering, pattern);
        assert.deepEqual(
          Array.from(stored.inputIndex),
          [MEAN_HEATMAP, ...members],
          `pattern ${pattern}: the mean and one heatmap per member`,
        );
        assert.equal(result.patterns[pattern]!.members, members.length);
        members.forEach((n, i) => {
          for (let p = 0; p < POSITIONS; p++) {
            const v = [0, 1].map((u) => relu[(n * UNITS + u) * POSITIONS + p]! / divisors[u]!);
            const expected = similarity(v, centroid, baseline);
            const actual = stored.values[(i + 1) * POSITIONS + p]!;
            assert.ok(
              Math.abs(actual - expected) <= TOLERANCE,
              `pattern ${pattern}, input ${n}, position ${p}: ${actual} vs ${expected}`,
            );
            checked++;
          }
        });
        // The mean heatmap is the mean of the members' heatmaps, and is what the result reports.
        for (let p = 0; p < POSITIONS; p++) {
          let sum = 0;
          for (let i = 0; i < members.length; i++) sum += stored.values[(i + 1) * POSITIONS + p]!;
          assert.ok(Math.abs(stored.values[p]! - sum / members.length) <= 1e-6, `pattern ${pattern} mean at ${p}`);
          assert.ok(Math.abs(result.patterns[pattern]!.mean[p]! - stored.values[p]!) <= 1e-6);
        }
      }
      assert.equal(checked, (LIMIT - (await readOnly.getClustering(reluClustering)).noiseCount) * POSITIONS);
      const all = Array.from({ length: patternCount }, (_, p) => p);
      for (const p of all) {
        const stored = await readOnly.readPatternHeatmaps(reluClustering, p);
        assert.ok(
          stored.values.every((v) => v >= 0 && v <= 1 + 1e-6),
          'values lie in [0, 1]',
        );
      }
      assert.ok(
        result.patterns.some((p) => Math.max(...p.mean) > 0.5),
        'some pattern has a clear place in the image',
      );
    } finally {
      await readOnly.close();
    }
  });

  test('recomputing one pattern replaces its heatmaps and leaves the others', async () => {
    const store = await NapStore.open(storePath);
    try {
      const before1 = await store.readPatternHeatmaps(reluClustering, 1);
      const before0 = await store.readPatternHeatmaps(reluClustering, 0);
      const result = await computePatternHeatmaps(store, { runId, layer: TINY.relu, patterns: [0], threads: 1 });
      assert.deepEqual(
        result.patterns.map((p) => p.patternId),
        [0],
      );
      const after0 = await store.readPatternHeatmaps(reluClustering, 0);
      assert.deepEqual(Array.from(after0.inputIndex), Array.from(before0.inputIndex), 'no duplicate rows');
      assert.deepEqual(Array.from(after0.values), Array.from(before0.values));
      assert.deepEqual(
        Array.from((await store.readPatternHeatmaps(reluClustering, 1)).values),
        Array.from(before1.values),
      );
      const index = await store.readHeatmapIndex(reluClustering, 0);
      assert.equal(index.hasMean, true);
      assert.deepEqual(Array.from(index.inputIndex), Array.from(after0.inputIndex).slice(1));
      const picked = await store.readPatternHeatmaps(
        reluClustering,
        0,
        Int32Array.of(after0.inputIndex[2]!, MEAN_HEATMAP),
      );
      assert.deepEqual(Array.from(picked.values), [
        ...after0.values.subarray(2 * POSITIONS, 3 * POSITIONS),
        ...after0.values.subarray(0, POSITIONS),
      ]);
    } finally {
      await store.close();
    }
  });

  test('refuses layers without a grid, noise, unknown patterns and layers, and another model', async () => {
    const store = await NapStore.open(storePath);
    try {
      await assert.rejects(
        computePatternHeatmaps(store, { layer: TINY.logits }),
        (error: unknown) =>
          error instanceof InputError && /no spatial map/.test(error.message) && /convolutional/.test(error.message),
      );
      await assert.rejects(
        computePatternHeatmaps(store, { layer: TINY.relu, patterns: [-1] }),
        (error: unknown) =>
          error instanceof InputError && /patterns \[-1\] is not a list of whole numbers >= 0/.test(error.message),
      );
      await assert.rejects(
        computePatternHeatmaps(store, { layer: TINY.relu, patterns: [patternCount] }),
        (error: unknown) =>
          error instanceof InputError && new RegExp(`pattern ${patternCount} does not exist`).test(error.message),
      );
      await assert.rejects(
        computePatternHeatmaps(store, { layer: 'nope' }),
        (error: unknown) =>
          error instanceof NotFoundError &&
          /layer "nope" is not in run/.test(error.message) &&
          error.message.includes(TINY.relu),
      );
      await assert.rejects(computePatternHeatmaps(store, { layer: TINY.relu, runId: 99 }), NotFoundError);
      await assert.rejects(
        computePatternHeatmaps(store, { layer: TINY.relu, batchSize: 0 }),
        /batchSize 0 is not a whole number >= 1/,
      );
      const other = path.join(dir, 'other.onnx');
      await writeFile(other, tinyConvNet({ channels: 3 }));
      await assert.rejects(
        computePatternHeatmaps(store, { layer: TINY.relu, model: other }),
        (error: unknown) => error instanceof InputError && /not the model run \d+ analysed/.test(error.message),
      );
    } finally {
      await store.close();
    }
  });
});
