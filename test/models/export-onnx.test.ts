import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { FASHION_MNIST_CNN, MNIST_CNN, type CnnSpec } from '../../scripts/train/cnn-spec.js';
import { exportCnnToOnnx, hwcRowsToChwRows, hwioToOihw } from '../../scripts/train/export-onnx.js';
import { onnxProbabilities } from '../../scripts/train/onnx-inference.js';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { initialWeights, predictProbabilities, type CnnWeights } from '../../scripts/train/tfjs-cnn.js';

await tf.setBackend('cpu');

test('hwioToOihw moves kernel[r][c][i][o] to [o][i][r][c]', () => {
  const [kh, kw, inC, outC] = [2, 3, 2, 4];
  const hwio = Float32Array.from({ length: kh * kw * inC * outC }, (_, i) => i);
  const oihw = hwioToOihw(hwio, kh, kw, inC, outC);
  for (let r = 0; r < kh; r++) for (let c = 0; c < kw; c++) for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) {
    assert.equal(oihw[((o * inC + i) * kh + r) * kw + c], hwio[((r * kw + c) * inC + i) * outC + o]);
  }
});

test('hwcRowsToChwRows keeps each row intact and is a permutation', () => {
  const [h, w, c, units] = [2, 3, 4, 2];
  const kernel = Float32Array.from({ length: h * w * c * units }, (_, i) => i);
  const permuted = hwcRowsToChwRows(kernel, h, w, c, units);
  assert.deepEqual([...permuted].sort((a, b) => a - b), [...kernel]);
  // row (y=1, x=2, ch=3) in HWC order lands at CHW row (3*h + 1)*w + 2
  const from = ((1 * w + 2) * c + 3) * units;
  const to = ((3 * h + 1) * w + 2) * units;
  assert.deepEqual([...permuted.subarray(to, to + units)], [...kernel.subarray(from, from + units)]);
});

/** Untrained weights with non-zero biases, so that a bias or layout slip changes the output. */
function randomizedWeights(spec: CnnSpec, seed: number): CnnWeights {
  const weights = initialWeights(spec, seed);
  const random = mulberry32(seed);
  for (const { bias } of weights.values()) {
    bias.assign(tf.tensor1d(Array.from({ length: bias.size }, () => random() * 0.2 - 0.1)));
  }
  return weights;
}

for (const spec of [MNIST_CNN, FASHION_MNIST_CNN]) {
  test(`${spec.name}: exported ONNX matches tfjs within 1e-5 on random images`, async () => {
    const weights = randomizedWeights(spec, 7);
    const count = 6;
    const random = mulberry32(3);
    const pixels = Float32Array.from({ length: count * spec.side * spec.side }, () => random());
    const session = await ort.InferenceSession.create(exportCnnToOnnx(spec, weights));
    const onnx = await onnxProbabilities(session, pixels, count, spec.side);
    const reference = predictProbabilities(spec, weights, pixels, count);
    await session.release();
    assert.equal(onnx.length, count * spec.classes);
    let maxDifference = 0;
    for (let i = 0; i < onnx.length; i++) maxDifference = Math.max(maxDifference, Math.abs(onnx[i]! - reference[i]!));
    assert.ok(maxDifference < 1e-5, `max |onnx - tfjs| = ${maxDifference}`);
    // The probabilities must not be uniform, or the comparison above proves nothing.
    const spread = Math.max(...reference) - Math.min(...reference);
    assert.ok(spread > 1e-3, `tfjs probabilities barely vary (${spread})`);
  });
}
