/**
 * TF.js models run by tf.js itself for feature visualization (src/io/tfjs/direct-model.ts) against the other
 * path nap differentiates, the ONNX conversion translated to tf.js (whose ops are checked against finite
 * differences in test/io/onnx-to-tfjs): each layer's output and the input gradient of a fixed weighted sum of it
 * agree, on a LayersModel with MobileNetV2's layers (Conv2D, BatchNormalization, DepthwiseConv2D,
 * ReLU 6, a residual Add, Dense) and on a GraphModel of tensorflowjs_converter's fused ops (_FusedConv2D
 * with Relu6, FusedDepthwiseConv2dNative, _FusedMatMul), on tf.js's wasm backend.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../../src/errors.js';
import { logical, TranslatedModel, useTfjsBackend } from '../../../src/io/onnx-to-tfjs/index.js';
import { convertTfjsModelFile } from '../../../src/io/tfjs/load.js';
import { missingGradientError, TfjsModel } from '../../../src/io/tfjs/direct-model.js';
import { GraphDef, ints, nhwc, text } from './graph-def.js';
import { saveLayersModel, setSeededWeights, tf as tfjs } from './tfjs-reference.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-direct-'));
  await useTfjsBackend('wasm');
});
after(async () => rm(dir, { recursive: true, force: true }));

function seededInput(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5),
    shape,
  );
}

const maxAbs = (t: tf.Tensor): number => Math.max(...(t.abs().max().dataSync() as Float32Array));
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => maxAbs(tf.sub(a, b));

/** A fixed weighted sum of `layer`'s output (every unit and position), as a function of the input. */
const weightedSum = (model: { run: TfjsModel['run'] }, layer: string) => (x: tf.Tensor) => {
  const output = logical(model.run(x, [layer])[0]!);
  return tf.sum(tf.mul(output, seededInput(output.shape, 7)));
};

async function assertPathsAgree(file: string, layers: string[], shape: number[]): Promise<void> {
  const direct = await TfjsModel.load(file);
  const translated = TranslatedModel.fromBytes(await convertTfjsModelFile(file), file, { redirectedRelu: true });
  try {
    for (const layer of layers) {
      tf.tidy(() => {
        const x = seededInput(shape, layers.indexOf(layer));
        const a = logical(direct.run(x, [layer])[0]!);
        const b = logical(translated.run(x, [layer])[0]!);
        assert.deepEqual(a.shape, b.shape, `${layer} shape`);
        const scale = Math.max(1, maxAbs(b));
        assert.ok(maxDiff(a, b) <= 1e-4 * scale, `${layer}: outputs differ by ${maxDiff(a, b)}`);
        const ga = tf.grad(weightedSum(direct, layer))(x);
        const gb = tf.grad(weightedSum(translated, layer))(x);
        assert.ok(maxAbs(gb) > 0, `${layer}: the gradient is not zero`);
        const error = maxDiff(ga, gb) / maxAbs(gb);
        assert.ok(error <= 1e-3, `${layer}: gradients differ by ${error} (relative)`);
      });
    }
  } finally {
    direct.dispose();
    translated.dispose();
  }
}

test('a LayersModel with MobileNetV2 layers and same-padded pools: outputs and input gradients equal the ONNX path', async () => {
  const L = tfjs.layers;
  const input = tfjs.input({ shape: [12, 12, 3], name: 'image' });
  const apply = (layer: tfjs.layers.Layer, x: tfjs.SymbolicTensor | tfjs.SymbolicTensor[]) =>
    layer.apply(x) as tfjs.SymbolicTensor;
  const c1 = apply(
    L.conv2d({ name: 'c1', filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
    input,
  );
  const bn1 = apply(L.batchNormalization({ name: 'bn1', epsilon: 0.001 }), c1);
  const r1 = apply(L.reLU({ name: 'r1', maxValue: 6 }), bn1);
  const dw = apply(L.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'same' }), r1);
  const bn2 = apply(L.batchNormalization({ name: 'bn2' }), dw);
  const r2 = apply(L.activation({ name: 'r2', activation: 'relu6' }), bn2);
  const project = apply(L.conv2d({ name: 'project', filters: 8, kernelSize: 1 }), r2);
  const res = apply(L.add({ name: 'res' }), [project, c1]);
  // InceptionV3's mixed blocks average over 3x3 windows with 'same' padding (the count leaves the padding out).
  const pool = apply(L.averagePooling2d({ name: 'pool', poolSize: 3, strides: 1, padding: 'same' }), res);
  const maxed = apply(L.maxPooling2d({ name: 'maxed', poolSize: 3, strides: 1, padding: 'same' }), pool);
  const c3 = apply(L.conv2d({ name: 'c3', filters: 5, kernelSize: 3, strides: 2, activation: 'relu' }), maxed);
  // InceptionV3's batch norms have no scale.
  const bn3 = apply(L.batchNormalization({ name: 'bn3', scale: false }), c3);
  const gap = apply(L.globalAveragePooling2d({ name: 'gap' }), bn3);
  const out = apply(L.dense({ name: 'out', units: 4, activation: 'softmax' }), gap);
  const model = tfjs.model({ inputs: input, outputs: out });
  setSeededWeights(model, 5);
  const file = await saveLayersModel(model, path.join(dir, 'keras'));
  model.dispose();
  await assertPathsAgree(
    file,
    ['c1', 'bn1', 'r1', 'dw', 'r2', 'project', 'res', 'pool', 'maxed', 'c3', 'bn3', 'gap', 'out'],
    [2, 12, 12, 3],
  );
});

test('a GraphModel of fused ops: outputs and input gradients equal the ONNX path', async () => {
  const g = new GraphDef();
  const fused = (...ops: string[]) => ({ list: { s: ops.map((op) => text(op).s) } });
  const conv = { strides: ints(1, 1, 1, 1), data_format: nhwc, dilations: ints(1, 1, 1, 1), T: { type: 'DT_FLOAT' } };
  const image = g.placeholder('image', [-1, 8, 8, 3]);
  const c1 = g.op('c1', '_FusedConv2D', [image, g.constant('w1', [3, 3, 3, 4]), g.constant('b1', [4])], {
    ...conv,
    padding: text('SAME'),
    fused_ops: fused('BiasAdd', 'Relu6'),
    num_args: { i: '1' },
  });
  const dw = g.op('dw', 'FusedDepthwiseConv2dNative', [c1, g.constant('w2', [3, 3, 4, 1]), g.constant('b2', [4])], {
    ...conv,
    strides: ints(1, 2, 2, 1),
    padding: text('SAME'),
    fused_ops: fused('BiasAdd', 'Relu6'),
    num_args: { i: '1' },
  });
  const project = g.op('project', '_FusedConv2D', [dw, g.constant('w3', [1, 1, 4, 6]), g.constant('b3', [6])], {
    ...conv,
    padding: text('VALID'),
    fused_ops: fused('BiasAdd'),
    num_args: { i: '1' },
  });
  const pool = g.op('pool', 'Mean', [project, g.constant('hw', [2], [1, 2], 'int32')], { keep_dims: { b: false } });
  const fc = g.op('fc', '_FusedMatMul', [pool, g.constant('w4', [6, 5]), g.constant('b4', [5])], {
    transpose_a: { b: false },
    transpose_b: { b: false },
    fused_ops: fused('BiasAdd'),
    num_args: { i: '1' },
    T: { type: 'DT_FLOAT' },
  });
  g.op('probs', 'Softmax', [fc]);
  const file = await g.write(path.join(dir, 'graph'));
  await assertPathsAgree(file, ['c1', 'dw', 'project', 'pool', 'fc', 'probs'], [2, 8, 8, 3]);
});

test("tf.js's own gradients come back when the model is disposed; an unknown layer is named", async () => {
  const relu = tf.getGradient('Relu');
  const L = tfjs.layers;
  const input = tfjs.input({ shape: [4, 4, 1], name: 'image' });
  const c = L.conv2d({ name: 'c', filters: 2, kernelSize: 3 }).apply(input) as tfjs.SymbolicTensor;
  const keras = tfjs.model({ inputs: input, outputs: c });
  const file = await saveLayersModel(keras, path.join(dir, 'tiny'));
  keras.dispose();
  const model = await TfjsModel.load(file);
  try {
    assert.notEqual(tf.getGradient('Relu'), relu, 'the redirected ReLU gradient is registered while loaded');
    assert.throws(
      () => model.prepare(['nope']),
      (error: unknown) => error instanceof InputError && /layer 'nope' is not an output/.test(error.message),
    );
  } finally {
    model.dispose();
  }
  assert.equal(tf.getGradient('Relu')?.gradFunc, relu?.gradFunc);
});

test('an op without a tf.js gradient is an error that names the op and the layer', async () => {
  const g = new GraphDef();
  const image = g.placeholder('image', [-1, 2, 2, 4]);
  g.op('mix', 'DepthToSpace', [image], { block_size: { i: '2' }, data_format: nhwc, T: { type: 'DT_FLOAT' } });
  const file = await g.write(path.join(dir, 'depth-to-space'));
  const model = await TfjsModel.load(file);
  try {
    const x = seededInput([2, 2, 2, 4], 1);
    assert.deepEqual(logical(model.run(x, ['mix'])[0]!).shape, [2, 1, 4, 4]);
    let caught: unknown;
    try {
      tf.grad((input) => tf.sum(logical(model.run(input, ['mix'])[0]!)))(x);
    } catch (error) {
      caught = missingGradientError(error, file, 'mix');
    }
    assert.ok(
      caught instanceof InputError &&
        /no gradient for the DepthToSpace op that .* before layer 'mix'/.test(caught.message),
      String(caught),
    );
  } finally {
    model.dispose();
  }
});
