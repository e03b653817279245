/**
 * nap visualize on the built-in MNIST CNN: the stored images, the value each reaches (recomputed here with
 * onnxruntime and plain loops from the stored 8-bit pixels), the dataset's best value (recomputed from the
 * stored activations), determinism, and resuming.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../src/engine/analyze.js';
import { visualizeLayer } from '../../src/engine/visualize.js';
import { openOnnxModel } from '../../src/io/onnx/runner.js';
import { NapStore } from '../../src/io/store/index.js';

const MODEL = 'models/mnist-cnn.onnx';
const LAYER = 'conv2'; // [N, 64, 11, 11], ReLU
const STEPS = 24;
let dir: string;
let out: string;
let runId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-visualize-'));
  out = path.join(dir, 'r.duckdb');
  runId = (
    await analyze({ model: MODEL, data: 'mnist', out, limit: 200, threads: 1, layers: [LAYER], projection: 'none' })
  ).runId;
});
after(async () => rm(dir, { recursive: true, force: true }));

/** conv2 of the stored pixels through onnxruntime: [64, 121] per image, channels-first. */
async function conv2Of(pixels: Uint8Array): Promise<Float32Array> {
  const runner = await openOnnxModel(MODEL, { layers: [LAYER], threads: 1 });
  try {
    const { layers } = await runner.run(
      Float32Array.from(pixels, (p) => p / 255),
      [1, 1, 28, 28],
    );
    return layers[0]!.data;
  } finally {
    await runner.close();
  }
}

test('unit and pattern images: stored, reaching the stored value, with the dataset best from the stored rows', async () => {
  const store = await NapStore.open(out);
  try {
    const result = await visualizeLayer(store, { layer: LAYER, units: [0, 5], patterns: [0], steps: STEPS, seed: 3 });
    assert.deepEqual(
      result.objectives.map((o) => [o.objective, o.target, o.reused]),
      [
        ['unit', 0, false],
        ['unit', 5, false],
        ['pattern', 0, false],
      ],
    );
    const activations = await store.readActivations(runId, LAYER);
    const divisors = await store.readLayerDivisors(runId, LAYER);
    const clustering = (await store.listClusterings(runId, LAYER)).filter((c) => c.unit === null).at(-1)!;
    const memberships = await store.readMemberships(clustering.clusteringId);
    const { count, dim, data } = activations.matrix;
    const centroid = new Float64Array(dim);
    let members = 0;
    memberships.patternId.forEach((p, row) => {
      if (p !== 0) return;
      const r = Array.from(activations.inputIndex).indexOf(memberships.inputIndex[row]!);
      for (let c = 0; c < dim; c++) centroid[c]! += data[r * dim + c]!;
      members++;
    });
    centroid.forEach((v, c) => (centroid[c] = v / members));
    const cosine = (row: ArrayLike<number>): number => {
      let dot = 0;
      let norm = 0;
      for (let c = 0; c < dim; c++) {
        dot += row[c]! * centroid[c]!;
        norm += row[c]! * row[c]!;
      }
      return dot / (Math.sqrt(norm) * Math.hypot(...centroid));
    };

    for (const o of result.objectives) {
      const [image] = await store.readFeatureVisualizations(runId, LAYER, { objective: o.objective, target: o.target });
      assert.ok(image, `${o.objective} ${o.target} is stored`);
      assert.deepEqual([image.width, image.height, image.channels, image.pixels.length], [28, 28, 1, 784]);
      assert.equal(image.value, o.values[0]);
      const conv2 = await conv2Of(image.pixels);
      const means = Array.from(
        { length: 64 },
        (_, u) => conv2.subarray(u * 121, (u + 1) * 121).reduce((a, b) => a + b, 0) / 121,
      );
      let expected: number;
      let best = -Infinity;
      if (o.objective === 'unit') {
        expected = means[o.target]!;
        for (let r = 0; r < count; r++) best = Math.max(best, data[r * dim + o.target]! * divisors[o.target]!);
      } else {
        expected = cosine(means.map((m, u) => (divisors[u]! > 1e-12 ? m / divisors[u]! : 0)));
        for (let r = 0; r < count; r++) best = Math.max(best, cosine(data.subarray(r * dim, (r + 1) * dim)));
      }
      assert.ok(
        Math.abs(image.value - expected) <= 1e-4 * Math.max(1, Math.abs(expected)),
        `${o.objective} ${o.target}: ${image.value} vs ${expected}`,
      );
      assert.ok(
        Math.abs(image.datasetMax! - best) <= 1e-5 * Math.max(1, Math.abs(best)),
        `dataset best ${image.datasetMax} vs ${best}`,
      );
      assert.ok(new Set(image.pixels).size > 8, 'the image is not flat');
    }
  } finally {
    await store.close();
  }
});

test('the same settings give the same images; a second run reuses them; --force makes them again, identical', async () => {
  const store = await NapStore.open(out);
  try {
    const options = { layer: LAYER, units: [2], steps: STEPS, seed: 9, images: 2 };
    const first = await visualizeLayer(store, options);
    const stored = await store.readFeatureVisualizations(runId, LAYER, { objective: 'unit', target: 2 });
    assert.equal(stored.length, 2);
    assert.notDeepEqual(stored[0]!.pixels, stored[1]!.pixels, 'the two images of a batch differ');
    const again = await visualizeLayer(store, options);
    assert.equal(again.objectives[0]!.reused, true);
    assert.deepEqual(again.objectives[0]!.values, first.objectives[0]!.values);
    await visualizeLayer(store, { ...options, force: true });
    const remade = await store.readFeatureVisualizations(runId, LAYER, { objective: 'unit', target: 2 });
    assert.deepEqual(
      remade.map((image) => image.pixels),
      stored.map((image) => image.pixels),
    );
    const otherSeed = await visualizeLayer(store, { ...options, seed: 10 });
    assert.equal(otherSeed.objectives[0]!.reused, false, 'other settings make new images');
  } finally {
    await store.close();
  }
});

test('the channel objective at one position: the activation of the unit there, through onnxruntime', async () => {
  const store = await NapStore.open(out);
  try {
    const result = await visualizeLayer(store, {
      layer: LAYER,
      units: [5, 7],
      position: [3, 4],
      steps: STEPS,
      seed: 1,
    });
    assert.deepEqual(
      result.objectives.map((o) => [o.objective, o.target, o.position]),
      [
        ['channel', 5, 37],
        ['channel', 7, 37],
      ],
    );
    for (const o of result.objectives) {
      const [image] = await store.readFeatureVisualizations(runId, LAYER, { objective: 'channel', target: o.target });
      assert.equal(image!.position, 37);
      const expected = (await conv2Of(image!.pixels))[o.target * 121 + 37]!;
      assert.ok(Math.abs(image!.value - expected) <= 1e-4 * Math.max(1, expected), `${image!.value} vs ${expected}`);
      assert.ok(expected > 0, 'the optimised image activates the unit at the position');
      // The run stored mean-aggregated rows: they do not tell one position's best value.
      assert.equal(o.datasetMax, null);
    }
    const byIndex = await visualizeLayer(store, { layer: LAYER, units: [5], position: 37, steps: STEPS, seed: 1 });
    assert.equal(byIndex.objectives[0]!.reused, true, 'index 37 is row 3, column 4 of the 11 x 11 map');
  } finally {
    await store.close();
  }
});

test('objectives batched together get the images each gets alone (one random stream per objective)', async () => {
  const store = await NapStore.open(out);
  try {
    const settings = { layer: LAYER, steps: 8, seed: 4, restarts: 2, force: true };
    const batched = await visualizeLayer(store, { ...settings, units: [1, 6], batch: 2 });
    const together = (await store.readFeatureVisualizations(runId, LAYER, { objective: 'unit', target: 6 }))[0]!;
    const alone = await visualizeLayer(store, { ...settings, units: [6], batch: 1 });
    const single = (await store.readFeatureVisualizations(runId, LAYER, { objective: 'unit', target: 6 }))[0]!;
    const value = batched.objectives[1]!.values[0]!;
    assert.ok(Math.abs(alone.objectives[0]!.values[0]! - value) <= 1e-4 * Math.max(1, Math.abs(value)));
    const differing = together.pixels.filter((p, i) => Math.abs(p - single.pixels[i]!) > 1).length;
    assert.equal(differing, 0, 'pixels differ by more than rounding');
  } finally {
    await store.close();
  }
});

test('bad requests name the value: unknown unit, unknown pattern, unknown layer', async () => {
  const store = await NapStore.open(out);
  try {
    await assert.rejects(
      visualizeLayer(store, { layer: LAYER, units: [64], steps: 1 }),
      /unit 64 is not a unit of layer "conv2"[\s\S]*0\.\.63/,
    );
    await assert.rejects(
      visualizeLayer(store, { layer: LAYER, units: [], patterns: [999], steps: 1 }),
      /pattern 999 does not exist/,
    );
    await assert.rejects(visualizeLayer(store, { layer: 'nope', steps: 1 }), /layer "nope" is not in run/);
    await assert.rejects(
      visualizeLayer(store, { layer: LAYER, units: [0], position: [11, 0], steps: 1 }),
      /position 11,0 is not a position of layer "conv2"[\s\S]*11 rows and 11 columns/,
    );
    await assert.rejects(
      visualizeLayer(store, { layer: LAYER, units: [0], position: 121, steps: 1 }),
      /position 121 is not a position[\s\S]*0\.\.120/,
    );
    await assert.rejects(
      visualizeLayer(store, { layer: LAYER, units: [0], restarts: 0, steps: 1 }),
      /restarts 0 is not a positive whole number/,
    );
  } finally {
    await store.close();
  }
});
