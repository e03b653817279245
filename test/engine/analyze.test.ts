import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { sampleIndices } from '../../src/io/datasets/sample.js';
import { NapStore } from '../../src/io/store/index.js';
import { CancelledError, InputError } from '../../src/errors.js';
import { TINY, tinyConvNet, tinyConvNetReference, nchwToNhwc } from '../helpers/tiny-models.js';

let dir: string;
let nchwModel: string;
let nhwcModel: string;
const LIMIT = 240;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-analyze-'));
  nchwModel = path.join(dir, 'tiny-nchw.onnx');
  nhwcModel = path.join(dir, 'tiny-nhwc.onnx');
  await writeFile(nchwModel, tinyConvNet());
  await writeFile(nhwcModel, tinyConvNet({ layout: 'NHWC' }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Mean over the 4x4 positions of each ReLU unit, then each unit divided by its max |value| over inputs. */
async function expectedReluMeans(): Promise<{ rows: Float32Array; units: number }> {
  const dataset = await openDataset('mnist');
  const items = sampleIndices(dataset.items, { limit: LIMIT, seed: 0 });
  const batch = await dataset.load(items, { width: 4, height: 4, channels: 1, layout: 'NCHW' });
  const { relu } = tinyConvNetReference(batch.data, items.length);
  const units = 2;
  const rows = new Float32Array(items.length * units);
  for (let n = 0; n < items.length; n++) {
    for (let u = 0; u < units; u++) {
      let sum = 0;
      for (let p = 0; p < 16; p++) sum += relu[(n * units + u) * 16 + p]!;
      rows[n * units + u] = sum / 16;
    }
  }
  for (let u = 0; u < units; u++) {
    let max = 0;
    for (let n = 0; n < items.length; n++) max = Math.max(max, Math.abs(rows[n * units + u]!));
    for (let n = 0; n < items.length; n++) rows[n * units + u] = max > 0 ? rows[n * units + u]! / max : 0;
  }
  return { rows, units };
}

test('analyze stores inputs, normalized activations, patterns, statistics, max activations and average images', async () => {
  const out = path.join(dir, 'nchw.duckdb');
  const result = await analyze({
    model: nchwModel,
    data: 'mnist',
    out,
    limit: LIMIT,
    layers: [TINY.relu, TINY.pool, TINY.logits],
  });
  assert.equal(result.reusedActivations, false);
  assert.deepEqual(
    result.layers.map((l) => l.layer),
    [TINY.relu, TINY.pool, TINY.logits],
  );

  const store = await NapStore.open(out, { readOnly: true });
  try {
    const run = await store.getRun(result.runId);
    assert.equal(run.status, 'complete');
    const inputs = await store.readInputs(result.runId);
    assert.equal(inputs.index.length, LIMIT);
    assert.ok(inputs.path.every((p) => p !== null && p.startsWith('mnist#')));

    const expected = await expectedReluMeans();
    const stored = await store.readActivations(result.runId, TINY.relu);
    assert.equal(stored.matrix.dim, expected.units);
    stored.matrix.data.forEach((value, i) =>
      assert.ok(Math.abs(value - expected.rows[i]!) < 1e-5, `relu mean ${i}: ${value} vs ${expected.rows[i]}`),
    );

    for (const summary of result.layers) {
      const memberships = await store.readMemberships(summary.clusteringId);
      assert.equal(memberships.inputIndex.length, LIMIT, `${summary.layer}: every input has a membership`);
      const patterns = await store.readPatterns(summary.clusteringId);
      assert.equal(patterns.patternId.length, summary.patterns);
      assert.equal(patterns.size.reduce((a, b) => a + b, 0) + summary.noise, LIMIT);
      const stats = await store.readUnitStats({ clusteringId: summary.clusteringId });
      const layerInfo = (await store.listLayers(result.runId)).find((l) => l.layer === summary.layer)!;
      assert.equal(stats.unit.length, summary.patterns * layerInfo.dim);
      const images = await store.readAverageImages(summary.clusteringId);
      assert.equal(images.patternId.length, summary.patterns);
      assert.equal(images.width * images.height * images.channels, 16);
      const max = await store.readMaxActivations(result.runId, summary.layer, -1);
      assert.equal(max.inputIndex.length, 16);
      for (let r = 1; r < max.value.length; r++) assert.ok(max.value[r - 1]! >= max.value[r]!, 'ranked by value');
    }
    const layerStats = await store.readUnitStats({ runId: result.runId, layer: TINY.relu });
    for (let u = 0; u < expected.units; u++) {
      const column = Array.from({ length: LIMIT }, (_, n) => expected.rows[n * expected.units + u]!);
      assert.ok(Math.abs(layerStats.max[u]! - Math.max(...column)) < 1e-6);
      assert.ok(Math.abs(layerStats.min[u]! - Math.min(...column)) < 1e-6);
    }
  } finally {
    await store.close();
  }

  const again = await analyze({
    model: nchwModel,
    data: 'mnist',
    out,
    limit: LIMIT,
    layers: [TINY.relu, TINY.pool, TINY.logits],
  });
  assert.equal(again.runId, result.runId);
  assert.equal(again.reusedActivations, true);
  assert.deepEqual(
    again.layers.map((l) => l.clusteringId),
    result.layers.map((l) => l.clusteringId),
  );

  const reclustered = await analyze({
    model: nchwModel,
    data: 'mnist',
    out,
    limit: LIMIT,
    layers: [TINY.relu, TINY.pool, TINY.logits],
    clustering: { minClusterSize: 10 },
  });
  assert.equal(reclustered.reusedActivations, true);
  assert.ok(reclustered.layers.every((l, i) => l.clusteringId !== result.layers[i]!.clusteringId));
  assert.deepEqual(
    [...result.layers, ...again.layers, ...reclustered.layers].map((l) => l.spanningTree),
    Array<string>(9).fill('exact'),
  );

  const approximate = await analyze({
    model: nchwModel,
    data: 'mnist',
    out,
    limit: LIMIT,
    layers: [TINY.logits],
    clustering: { spanningTree: 'approximate' },
  });
  assert.deepEqual(
    approximate.layers.map((l) => l.spanningTree),
    ['approximate'],
  );
});

test('an NHWC model gives the same activations as its NCHW twin', async () => {
  const a = await analyze({
    model: nchwModel,
    data: 'mnist',
    out: path.join(dir, 'a.duckdb'),
    limit: 60,
    layers: [TINY.pool],
  });
  const b = await analyze({
    model: nhwcModel,
    data: 'mnist',
    out: path.join(dir, 'b.duckdb'),
    limit: 60,
    layers: [TINY.pool],
  });
  const read = async (file: string, runId: number) => {
    const store = await NapStore.open(file, { readOnly: true });
    try {
      return (await store.readActivations(runId, TINY.pool)).matrix.data;
    } finally {
      await store.close();
    }
  };
  assert.deepEqual(await read(path.join(dir, 'a.duckdb'), a.runId), await read(path.join(dir, 'b.duckdb'), b.runId));
  assert.ok(nchwToNhwc); // the NHWC model transposes inside the graph; pool_out is NCHW in both
});

test('bad input gives errors that name the value', async () => {
  await assert.rejects(
    analyze({ model: nchwModel, data: 'mnist', out: path.join(dir, 'bad.duckdb'), limit: 20, layers: ['relu_ou'] }),
    (error: unknown) => error instanceof InputError && /relu_out/.test(error.message),
  );
  await assert.rejects(
    analyze({ model: path.join(dir, 'missing.onnx'), data: 'mnist', out: path.join(dir, 'bad.duckdb') }),
    (error: unknown) => error instanceof InputError && /missing\.onnx/.test(error.message),
  );
  const empty = path.join(dir, 'empty');
  await mkdir(empty);
  await assert.rejects(
    analyze({ model: nchwModel, data: empty, out: path.join(dir, 'bad.duckdb') }),
    (error: unknown) => error instanceof InputError && error.message.includes(empty),
  );
  await assert.rejects(
    analyze({ model: nchwModel, data: 'mnist', out: path.join(dir, 'bad.duckdb'), aggregation: 'median' as never }),
    /median/,
  );
});

test('a cancelled analysis resumes from its committed batches and ends identical to an uninterrupted one', async () => {
  const layers = [TINY.relu, TINY.logits];
  const whole = await analyze({
    model: nchwModel,
    data: 'mnist',
    out: path.join(dir, 'whole.duckdb'),
    limit: LIMIT,
    layers,
    batchSize: 32,
  });
  const out = path.join(dir, 'resumed.duckdb');
  const controller = new AbortController();
  await assert.rejects(
    analyze(
      { model: nchwModel, data: 'mnist', out, limit: LIMIT, layers, batchSize: 32, commitRows: 64 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'extracting activations' && p.done >= 96) controller.abort();
        },
      },
    ),
    CancelledError,
  );
  const seen: string[] = [];
  const resumed = await analyze(
    { model: nchwModel, data: 'mnist', out, limit: LIMIT, layers, batchSize: 50 },
    { onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) },
  );
  assert.ok(
    seen.some((line) => line.startsWith('resuming run')),
    'says it resumes',
  );
  // Cancelled after the third 32-input batch: the first 64 inputs were committed as one, and the buffered
  // third batch was stored when the extraction stopped, so no computed batch is extracted again.
  assert.ok(
    seen.includes(`extracting activations ${LIMIT - 96}/${LIMIT - 96}`),
    `extracts only the missing inputs: ${seen.filter((l) => l.startsWith('extract')).join(', ')}`,
  );
  const read = async (file: string, runId: number) => {
    const store = await NapStore.open(file, { readOnly: true });
    try {
      const inputs = await store.readInputs(runId);
      const activations = await Promise.all(layers.map((layer) => store.readActivations(runId, layer)));
      const memberships = await Promise.all(
        layers.map(
          async (layer) =>
            (await store.readMemberships((await store.listClusterings(runId, layer))[0]!.clusteringId)).patternId,
        ),
      );
      return {
        index: Array.from(inputs.index),
        prediction: Array.from(inputs.prediction),
        activations: activations.map((a) => Array.from(a.matrix.data)),
        memberships: memberships.map((m) => Array.from(m)),
        status: (await store.getRun(runId)).status,
      };
    } finally {
      await store.close();
    }
  };
  const a = await read(path.join(dir, 'whole.duckdb'), whole.runId);
  const b = await read(out, resumed.runId);
  assert.equal(b.status, 'complete');
  assert.deepEqual(b.index, a.index, 'no duplicate or missing inputs');
  assert.deepEqual(b.prediction, a.prediction);
  assert.deepEqual(b.activations, a.activations);
  assert.deepEqual(b.memberships, a.memberships);
});

test("unit patterns cluster the requested units' spatial maps", async () => {
  const out = path.join(dir, 'units.duckdb');
  const result = await analyze({
    model: nchwModel,
    data: 'mnist',
    out,
    limit: 120,
    layers: [TINY.relu],
    unitPatterns: { [TINY.relu]: [0, 1] },
  });
  const store = await NapStore.open(out, { readOnly: true });
  try {
    const clusterings = await store.listClusterings(result.runId, TINY.relu);
    assert.deepEqual(clusterings.map((c) => c.unit).sort(), [0, 1, null]);
    const [relu] = await store.listLayers(result.runId);
    const positions = relu!.rawDims.slice(1).reduce((a, b) => a * b, 1);
    for (const clustering of clusterings) {
      const memberships = await store.readMemberships(clustering.clusteringId);
      assert.equal(memberships.inputIndex.length, 120);
      const images = await store.readAverageImages(clustering.clusteringId);
      assert.equal(images.patternId.length, clustering.patternCount);
      if (clustering.unit === null) continue;
      // A unit pattern's statistics run over the positions of the unit's map, one row per pattern and position.
      const stats = await store.readUnitStats({ clusteringId: clustering.clusteringId });
      assert.equal(stats.unit.length, clustering.patternCount * positions, `unit ${clustering.unit}`);
      for (let row = 0; row < stats.unit.length; row++) {
        assert.equal(stats.unit[row], row % positions);
        assert.ok(
          stats.min[row]! <= stats.q1[row]! && stats.q1[row]! <= stats.q3[row]! && stats.q3[row]! <= stats.max[row]!,
        );
        assert.ok(stats.min[row]! <= stats.mean[row]! && stats.mean[row]! <= stats.max[row]!);
      }
    }
  } finally {
    await store.close();
  }
  await assert.rejects(
    analyze({
      model: nchwModel,
      data: 'mnist',
      out,
      limit: 120,
      layers: [TINY.relu],
      unitPatterns: { [TINY.relu]: [2] },
    }),
    (error: unknown) => error instanceof InputError && /unit 2/.test(error.message) && /0\.\.1/.test(error.message),
  );
});
