import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../../src/engine/analyze.js';
import { openDataset } from '../../../src/io/datasets/open.js';
import type { Dataset } from '../../../src/io/datasets/types.js';
import { listLayers } from '../../../src/io/onnx/inspect.js';
import { openOnnxBytes } from '../../../src/io/onnx/runner.js';
import { readModelFile } from '../../../src/io/onnx/session.js';
import { NapStore } from '../../../src/io/store/index.js';
import { NSFW_CLASSES, writeNsfwModel } from './nsfwjs-models.js';
import {
  loadGraphModel,
  loadLayersModel,
  maxAbsDiff,
  nchwToNhwc,
  predictGraph,
  predictLayers,
  scaledMaxDiff,
} from './tfjs-reference.js';

const TOLERANCE = 1e-4;
let dir: string;
let mnist: Dataset;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-nsfwjs-'));
  mnist = await openDataset('mnist');
});
after(async () => rm(dir, { recursive: true, force: true }));

/** Two real-looking RGB images, [2, size, size, 3] in [0, 1] as nsfwjs feeds them: an MNIST digit and seeded colour noise. */
async function images(size: number): Promise<{ data: Float32Array; dims: number[] }> {
  const digit = await mnist.load([3], { width: size, height: size, channels: 3, layout: 'NHWC' });
  const data = new Float32Array(2 * size * size * 3);
  data.set(digit.data);
  let state = 11;
  for (let i = size * size * 3; i < data.length; i++) {
    state = (state * 48271) % 2147483647;
    data[i] = state / 2147483647;
  }
  return { data, dims: [2, size, size, 3] };
}

/**
 * Runs model.json through nap (converted in memory) reading `layers`, and compares them with tfjs: the
 * predictions within 1e-4 absolute, intermediate layers (unbounded activations) within 1e-4 of their
 * largest value.
 */
async function assertLayersMatch(file: string, size: number, layers: string[]): Promise<void> {
  const { data, dims } = await images(size);
  const runner = await openOnnxBytes(await readModelFile(file), file, { layers, threads: 2 });
  const model = await loadLayersModel(file);
  try {
    const got = await runner.run(data, dims);
    const expected = await predictLayers(model, data, dims, [...layers, model.layers.at(-1)!.name]);
    got.layers.forEach((layer, i) => {
      const values = layer.dims.length === 4 ? nchwToNhwc(layer.data, layer.dims) : layer.data;
      const diff = scaledMaxDiff(values, expected[i]!);
      assert.ok(diff <= TOLERANCE, `${layer.name}: max abs diff ${diff} of the largest value`);
    });
    assert.equal(got.output.data.length, 2 * NSFW_CLASSES.length);
    const diff = maxAbsDiff(got.output.data, expected.at(-1)!);
    assert.ok(diff <= TOLERANCE, `output: max abs diff ${diff}`);
    // The two images must not be classified identically, or the comparison would prove little.
    assert.ok(maxAbsDiff(got.output.data.subarray(0, 5), got.output.data.subarray(5)) > 1e-3);
  } finally {
    model.dispose();
    await runner.close();
  }
}

test('nsfwjs MobileNetV2 (LayersModel): nap lists its Keras layers and matches tfjs layer by layer', async () => {
  const file = await writeNsfwModel('mobilenet_v2', dir);
  const layers = await listLayers(file, { threads: 2 });
  const names = new Set(layers.map((l) => l.name));
  for (const name of [
    'Conv1',
    'bn_Conv1',
    'Conv1_relu',
    'block_2_add',
    'block_16_project_BN',
    'out_relu',
    'flatten_1',
    'dense_3',
  ])
    assert.ok(names.has(name), `${name} is listed`);
  assert.deepEqual(layers.find((l) => l.name === 'out_relu')!.dims, [1, 1280, 7, 7]);
  assert.ok(
    layers.filter((l) => l.isDefault).some((l) => l.name === 'block_15_add'),
    'residual block outputs are defaults',
  );
  await assertLayersMatch(file, 224, ['Conv1_relu', 'block_2_add', 'block_9_add', 'out_relu', 'dense_1']);
});

test('nsfwjs InceptionV3 (LayersModel): mixed0..mixed10 and the predictions match tfjs', async () => {
  const file = await writeNsfwModel('inception_v3', dir);
  const mixed = Array.from({ length: 11 }, (_, i) => `mixed${i}`);
  await assertLayersMatch(file, 299, [...mixed, 'mixed9_0', 'mixed9_1']);
});

test('nsfwjs MobileNetV2 (GraphModel): the converted graph matches tfjs', async () => {
  const file = await writeNsfwModel('mobilenet_v2_mid', dir);
  const { data, dims } = await images(224);
  const runner = await openOnnxBytes(await readModelFile(file), file, { layers: [], threads: 2 });
  const model = await loadGraphModel(file);
  try {
    const got = (await runner.run(data, dims)).output.data;
    const diff = maxAbsDiff(got, await predictGraph(model, data, dims));
    assert.ok(diff <= TOLERANCE, `max abs diff ${diff}`);
  } finally {
    model.dispose();
    await runner.close();
  }
  const layers = await listLayers(file, { threads: 2 });
  assert.ok(layers.some((l) => l.name.endsWith('MobilenetV2/expanded_conv_2/add') && l.isDefault));
});

test('a full analysis of 200 MNIST digits runs on MobileNetV2 model.json, with tfjs predictions stored', async () => {
  const file = await writeNsfwModel('mobilenet_v2', dir);
  const out = path.join(dir, 'mobilenet.duckdb');
  const result = await analyze({ model: file, data: 'mnist', out, limit: 200, threads: 2, classNames: NSFW_CLASSES });
  const analyzed = result.layers.map((l) => l.layer);
  for (const name of ['Conv1_relu', 'block_2_add', 'block_15_add', 'out_relu', 'dense_1', 'dense_2'])
    assert.ok(analyzed.includes(name), `${name} is analyzed by default`);
  const store = await NapStore.open(out, { readOnly: true });
  try {
    assert.equal((await store.getRun(result.runId)).status, 'complete');
    for (const summary of result.layers)
      assert.equal((await store.readMemberships(summary.clusteringId)).inputIndex.length, 200, summary.layer);
    const inputs = await store.readInputs(result.runId);
    const sample = Array.from(inputs.index.subarray(0, 4));
    const batch = await mnist.load(sample, { width: 224, height: 224, channels: 3, layout: 'NHWC' });
    const model = await loadLayersModel(file);
    const [probs] = await predictLayers(model, batch.data, batch.dims, ['dense_3']);
    model.dispose();
    sample.forEach((_, row) => {
      const scores = Array.from(probs!.subarray(row * 5, row * 5 + 5));
      assert.equal(inputs.predictionLabel[row], NSFW_CLASSES[scores.indexOf(Math.max(...scores))]);
    });
  } finally {
    await store.close();
  }
});
