/**
 * nap visualize on a TF.js LayersModel (model.json, as tensorflowjs_converter writes it): tf.js runs and
 * differentiates the model.json itself (src/io/tfjs/direct-model.ts). The value each stored image reaches
 * equals what TF.js (tfjs-layers running the model.json) computes from the stored pixels, and the images
 * made through the ONNX conversion translated to tf.js (viaOnnx) reach the same values.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../src/engine/analyze.js';
import { visualizeLayer } from '../../src/engine/visualize.js';
import { NapStore } from '../../src/io/store/index.js';
import { predictLayer, saveLayersModel, setSeededWeights, tf, useWasmBackend } from '../io/tfjs/tfjs-reference.js';

const LAYER = 'c2';
let dir: string;
let model: tf.LayersModel;
let out: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-visualize-tfjs-'));
  await useWasmBackend();
  const L = tf.layers;
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  const c1 = L.conv2d({ name: 'c1', filters: 4, kernelSize: 3, activation: 'relu' }).apply(input);
  const c2 = L.conv2d({ name: LAYER, filters: 6, kernelSize: 3, strides: 2, activation: 'relu' }).apply(c1);
  const flat = L.flatten({ name: 'flat' }).apply(c2);
  const logits = L.dense({ name: 'logits', units: 10, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor;
  model = tf.model({ inputs: input, outputs: logits });
  setSeededWeights(model, 3);
  const file = await saveLayersModel(model, path.join(dir, 'keras'));
  out = path.join(dir, 'r.duckdb');
  await analyze({ model: file, data: 'mnist', out, limit: 100, layers: [LAYER], threads: 1, projection: 'none' });
});
after(async () => {
  model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

test("a TF.js LayersModel's unit images reach the value that TF.js computes from their pixels", async () => {
  const store = await NapStore.open(out);
  try {
    const result = await visualizeLayer(store, { layer: LAYER, units: [0, 3], steps: 8, restarts: 1, refine: 4 });
    assert.equal(result.objectives.length, 2);
    const images = await store.readFeatureVisualizations(result.runId, LAYER);
    assert.deepEqual(
      images.map((image) => [image.objective, image.target, image.width, image.height, image.channels]),
      [
        ['unit', 0, 28, 28, 1],
        ['unit', 3, 28, 28, 1],
      ],
    );
    for (const image of images) {
      const batch = Float32Array.from(image.pixels, (p) => p / 255);
      // c2 in the model's own channels-last layout: [1, 12, 12, 6].
      const { data, dims } = await predictLayer(model, batch, [1, 28, 28, 1], LAYER);
      assert.deepEqual(dims, [1, 12, 12, 6]);
      let sum = 0;
      for (let p = 0; p < 12 * 12; p++) sum += data[p * 6 + image.target]!;
      const expected = sum / (12 * 12);
      assert.ok(
        Math.abs(image.value - expected) <= 1e-4 * Math.max(1, Math.abs(expected)),
        `unit ${image.target}: ${image.value} vs TF.js ${expected}`,
      );
      assert.ok(new Set(image.pixels).size > 8, 'the image is not flat');
    }
  } finally {
    await store.close();
  }
});

test('TF.js models go to tf.js directly; the ONNX conversion path gives the same images', async () => {
  const store = await NapStore.open(out);
  try {
    const settings = { layer: LAYER, units: [1, 2], steps: 8, restarts: 1, refine: 4, force: true };
    const direct = await visualizeLayer(store, settings);
    const [stored] = await store.readFeatureVisualizations(direct.runId, LAYER, { objective: 'unit', target: 1 });
    assert.equal((stored!.params as { through?: string }).through, 'tfjs');
    const viaOnnx = await visualizeLayer(store, { ...settings, viaOnnx: true });
    const [again] = await store.readFeatureVisualizations(direct.runId, LAYER, { objective: 'unit', target: 1 });
    assert.equal((again!.params as { through?: string }).through, 'onnx');
    direct.objectives.forEach((o, i) => {
      const [a, b] = [o.values[0]!, viaOnnx.objectives[i]!.values[0]!];
      assert.ok(Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b)), `unit ${o.target}: ${a} (tf.js) vs ${b} (ONNX)`);
      assert.equal(o.datasetMax, viaOnnx.objectives[i]!.datasetMax);
    });
  } finally {
    await store.close();
  }
});
