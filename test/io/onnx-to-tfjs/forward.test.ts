/**
 * The tf.js translation computes what onnxruntime computes: every float layer of every model the project
 * tests, within 1e-4 of the layer's largest value (at least 1), on deterministic image-like inputs.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { residualSwishModel, shapeOpsModel, tinyConvNet } from '../../helpers/tiny-models.js';
import { beyond, compareWithOnnxRuntime } from './compare.js';

const TOLERANCE = 1e-4;

async function assertMatches(bytes: Uint8Array, source: string, dims: number[]): Promise<void> {
  const differences = await compareWithOnnxRuntime(bytes, source, dims);
  assert.ok(differences.length > 0, 'the model has layers');
  assert.deepEqual(beyond(differences, TOLERANCE), [], `${source}: layers beyond ${TOLERANCE}`);
}

test('the built-in MNIST and Fashion-MNIST CNNs', async () => {
  for (const name of ['mnist-cnn', 'fashion-mnist-cnn']) {
    await assertMatches(await readFile(`models/${name}.onnx`), name, [3, 1, 28, 28]);
  }
});

test('the tiny test models: NCHW and NHWC conv nets, shape arithmetic, residual swish', async () => {
  await assertMatches(tinyConvNet(), 'tiny NCHW', [2, 1, 4, 4]);
  await assertMatches(tinyConvNet({ layout: 'NHWC', channels: 3 }), 'tiny NHWC', [2, 4, 4, 3]);
  await assertMatches(tinyConvNet({ fixedBatch: 1 }), 'tiny fixed batch', [1, 1, 4, 4]);
  await assertMatches(shapeOpsModel(), 'shape ops', [2, 1, 4, 4]);
  await assertMatches(residualSwishModel(), 'residual swish', [2, 4]);
});

test('a tiny ViT from both PyTorch exporters (TorchScript opset 17, dynamo opset 18)', async () => {
  for (const exporter of ['torchscript', 'dynamo']) {
    const file = `test/fixtures/vit/tiny-vit-${exporter}.onnx`;
    await assertMatches(await readFile(file), file, [2, 3, 16, 16]);
  }
});
