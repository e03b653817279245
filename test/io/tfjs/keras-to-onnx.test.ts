import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { listLayersOfBytes } from '../../../src/io/onnx/inspect.js';
import { openOnnxBytes } from '../../../src/io/onnx/runner.js';
import { convertTfjsModelFile } from '../../../src/io/tfjs/load.js';
import {
  maxAbsDiff,
  nchwToNhwc,
  predictLayer,
  saveLayersModel,
  setSeededWeights,
  tf,
  useWasmBackend,
} from './tfjs-reference.js';

const TOLERANCE = 1e-4;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-keras-'));
  await useWasmBackend();
});
after(async () => rm(dir, { recursive: true, force: true }));

function seededBatch(size: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: size }, () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  });
}

/**
 * Runs the converted model through nap's runner with every named layer read out, and compares each layer
 * (moved back to channels-last) and the output with tfjs's own prediction for the same batch.
 */
async function assertMatchesTfjs(
  model: tf.LayersModel,
  name: string,
  layers: string[],
  dims: number[],
  tfjsNames: Record<string, string> = {},
): Promise<void> {
  const file = await saveLayersModel(model, path.join(dir, name));
  const bytes = await convertTfjsModelFile(file);
  const batch = seededBatch(
    dims.reduce((a, b) => a * b, 1),
    7,
  );
  const runner = await openOnnxBytes(bytes, file, { layers, threads: 1 });
  try {
    const result = await runner.run(batch, dims);
    assert.equal(result.layers.length, layers.length);
    for (const layer of result.layers) {
      const expected = await predictLayer(model, batch, dims, tfjsNames[layer.name] ?? layer.name);
      const got = layer.dims.length === 4 ? nchwToNhwc(layer.data, layer.dims) : layer.data;
      const gotDims =
        layer.dims.length === 4 ? [layer.dims[0], layer.dims[2], layer.dims[3], layer.dims[1]] : layer.dims;
      assert.deepEqual(gotDims, expected.dims, `${name}/${layer.name} dims`);
      const diff = maxAbsDiff(got, expected.data);
      assert.ok(diff <= TOLERANCE, `${name}/${layer.name}: max abs diff ${diff}`);
    }
    const expected = await predictLayer(model, batch, dims);
    assert.ok(maxAbsDiff(result.output.data, expected.data) <= TOLERANCE, `${name} output`);
  } finally {
    await runner.close();
  }
}

test('a functional CNN with every image layer class matches tfjs layer by layer', async () => {
  const L = tf.layers;
  const input = tf.input({ shape: [9, 9, 3], name: 'image' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  // An odd input with stride 2 and 'same' padding needs TF's bottom/right-heavy padding.
  const c1 = apply(
    L.conv2d({ name: 'c1', filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    input,
  );
  const bn = apply(L.batchNormalization({ name: 'bn', epsilon: 0.01 }), c1);
  const dw = apply(L.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'same' }), bn);
  const r6 = apply(L.reLU({ name: 'r6', maxValue: 6 }), dw);
  const sep = apply(L.separableConv2d({ name: 'sep', filters: 8, kernelSize: 3, activation: 'elu' }), r6);
  const zp = apply(
    L.zeroPadding2d({
      name: 'zp',
      padding: [
        [1, 0],
        [0, 1],
      ],
    }),
    sep,
  );
  const mp = apply(L.maxPooling2d({ name: 'mp', poolSize: 3, strides: 1, padding: 'same' }), zp);
  const ap = apply(L.averagePooling2d({ name: 'ap', poolSize: 3, strides: 2, padding: 'same' }), zp);
  const up = apply(L.upSampling2d({ name: 'up', size: [2, 2] }), ap);
  const cat = apply(L.concatenate({ name: 'cat' }), [mp, up]);
  const c2 = apply(
    L.conv2d({ name: 'c2', filters: 16, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'swish' }),
    cat,
  );
  const sum = apply(L.add({ name: 'sum' }), [cat, c2]);
  const prod = apply(L.multiply({ name: 'prod' }), [sum, c2, cat]);
  const most = apply(L.maximum({ name: 'most' }), [prod, sum]);
  const least = apply(L.minimum({ name: 'least' }), [most, c2]);
  const mean = apply(L.average({ name: 'mean' }), [least, sum]);
  const crop = apply(
    L.cropping2D({
      name: 'crop',
      cropping: [
        [1, 0],
        [0, 1],
      ],
    }),
    mean,
  );
  const leaky = apply(L.leakyReLU({ name: 'leaky', alpha: 0.1 }), crop);
  const pixelDense = apply(L.dense({ name: 'pixel_dense', units: 5, activation: 'tanh' }), leaky);
  const perm = apply(L.permute({ name: 'perm', dims: [3, 1, 2] }), pixelDense);
  const gmp = apply(L.globalMaxPooling2d({ name: 'gmp' }), perm);
  const gap = apply(L.globalAveragePooling2d({ name: 'gap' }), leaky);
  const flat = apply(L.flatten({ name: 'flat' }), leaky);
  const features = apply(L.concatenate({ name: 'features' }), [flat, gmp, gap]);
  const out = apply(L.dense({ name: 'out', units: 4, activation: 'softmax' }), features);
  const model = tf.model({ inputs: input, outputs: out });
  setSeededWeights(model, 3);
  const layers = [
    'c1',
    'bn',
    'dw',
    'r6',
    'sep',
    'zp',
    'mp',
    'ap',
    'up',
    'cat',
    'c2',
    'sum',
    'prod',
    'most',
    'least',
    'mean',
    'crop',
    'leaky',
    'pixel_dense',
    'perm',
    'gmp',
    'gap',
    'flat',
    'features',
    'out',
  ];
  await assertMatchesTfjs(model, 'functional', layers, [2, 9, 9, 3]);
});

test('a Sequential model on feature vectors, reshaped into an image and back, matches tfjs', async () => {
  const L = tf.layers;
  const model = tf.sequential({
    layers: [
      L.dense({ name: 'd1', units: 16, activation: 'selu', inputShape: [12] }),
      L.rescaling({ name: 'rescale', scale: 0.5, offset: 0.25 }),
      L.reshape({ name: 'to_image', targetShape: [2, 2, 4] }),
      L.conv2d({ name: 'conv', filters: 3, kernelSize: 2, padding: 'same', activation: 'softplus' }),
      L.prelu({ name: 'prelu' }),
      L.gaussianNoise({ name: 'noise', stddev: 0.5 }),
      L.flatten({ name: 'flat' }),
      L.dropout({ name: 'drop', rate: 0.5 }),
      L.dense({ name: 'd2', units: 6, activation: 'sigmoid' }),
      L.thresholdedReLU({ name: 'thresh', theta: 0.5 }),
      L.elu({ name: 'elu' }),
      L.dense({ name: 'd3', units: 3, activation: 'hardSigmoid' }),
      L.softmax({ name: 'probs' }),
    ],
  });
  setSeededWeights(model, 5);
  await assertMatchesTfjs(
    model,
    'sequential',
    ['d1', 'rescale', 'to_image', 'conv', 'prelu', 'noise', 'flat', 'drop', 'd2', 'thresh', 'elu', 'd3', 'probs'],
    [3, 12],
  );
});

test('a nested model and a shared layer are inlined, with one tensor per layer call', async () => {
  const L = tf.layers;
  const baseInput = tf.input({ shape: [6, 6, 2], name: 'base_in' });
  const baseConv = L.conv2d({ name: 'base_conv', filters: 4, kernelSize: 3, activation: 'relu' }).apply(
    baseInput,
  ) as tf.SymbolicTensor;
  const base = tf.model({ name: 'base', inputs: baseInput, outputs: baseConv });
  const input = tf.input({ shape: [6, 6, 2], name: 'outer_in' });
  const shared = L.conv2d({ name: 'shared', filters: 2, kernelSize: 1 });
  const once = shared.apply(input) as tf.SymbolicTensor;
  const twice = shared.apply(once) as tf.SymbolicTensor;
  const features = base.apply(twice) as tf.SymbolicTensor;
  const pooled = L.globalAveragePooling2d({ name: 'pooled' }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: pooled });
  setSeededWeights(model, 9);
  const file = await saveLayersModel(model, path.join(dir, 'nested'));
  const layers = await listLayersOfBytes(await convertTfjsModelFile(file), file, { threads: 1 });
  assert.deepEqual(
    layers.map((l) => l.name),
    ['outer_in/nchw', 'shared', 'shared:1', 'base_conv/linear', 'base_conv', 'pooled'],
  );
  // Inside tfjs the inlined base_conv tensor is the nested model's output for its outer call.
  await assertMatchesTfjs(model, 'nested', ['shared', 'shared:1', 'base_conv', 'pooled'], [2, 6, 6, 2], {
    shared: 'shared:0',
    base_conv: 'base:1',
  });
});

test('the converted graph keeps the Keras input layout and names nodes after layers', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }),
      tf.layers.flatten({ name: 'flat' }),
    ],
  });
  const file = await saveLayersModel(model, path.join(dir, 'layout'));
  const layers = await listLayersOfBytes(await convertTfjsModelFile(file), file, { threads: 1 });
  assert.deepEqual(
    layers.map((l) => [l.name, l.nodeName, l.opType, l.dims]),
    [
      ['conv_input/nchw', 'conv_input/nchw', 'Transpose', [1, 1, 5, 5]],
      ['conv', 'conv', 'Conv', [1, 2, 3, 3]],
      ['flat/nhwc', 'flat/nhwc', 'Transpose', [1, 3, 3, 2]],
      ['flat', 'flat', 'Flatten', [1, 18]],
    ],
  );
});
