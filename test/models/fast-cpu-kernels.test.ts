import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { installFastCpuKernels } from '../../scripts/train/fast-cpu-kernels.js';

await tf.setBackend('cpu');
const stock = installFastCpuKernels();

function runStock(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): Float32Array {
  const kernel = stock[kernelName];
  assert.ok(kernel, `no stock kernel ${kernelName}`);
  const backend = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } };
  const info = kernel({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  return backend.data.get(info.dataId).values;
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance * (1 + Math.abs(expected[i]!)), `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('installFastCpuKernels is idempotent and keeps the stock kernels', () => {
  assert.equal(installFastCpuKernels(), stock);
  assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc, stock['Conv2DBackpropFilter']);
});

for (const strides of [1, 2]) {
  test(`Conv2DBackpropFilter (valid, stride ${strides}) equals the stock kernel`, () => {
    const x = tf.randomUniform([3, 9, 8, 4], -1, 1, 'float32', 1).relu();
    const outH = Math.floor((9 - 3) / strides) + 1;
    const outW = Math.floor((8 - 3) / strides) + 1;
    const dy = tf.randomNormal([3, outH, outW, 5], 0, 1, 'float32', 2);
    const attrs = { strides, pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, 4, 5] };
    const fast = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap);
    assert.deepEqual(fast.shape, [3, 3, 4, 5]);
    assertClose(fast.dataSync() as Float32Array, runStock('Conv2DBackpropFilter', { x, dy }, attrs), 1e-5);
  });
}

for (const strides of [1, 2]) {
  test(`Conv2D and Conv2DBackpropInput (valid, stride ${strides}) equal the stock kernels`, () => {
    const x = tf.randomUniform([2, 9, 8, 3], -1, 1, 'float32', 11).relu();
    const filter = tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 12);
    const forwardAttrs = { strides, pad: 'valid', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
    const y = tf.engine().runKernel<tf.Tensor>('Conv2D', { x, filter }, forwardAttrs as unknown as tf.NamedAttrMap);
    assert.deepEqual(y.shape, [2, Math.floor(6 / strides) + 1, Math.floor(5 / strides) + 1, 5]);
    assertClose(y.dataSync() as Float32Array, runStock('Conv2D', { x, filter }, forwardAttrs), 1e-5);

    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 13).relu();
    const backAttrs = { strides, pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [2, 9, 8, 3] };
    const dx = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter }, backAttrs as unknown as tf.NamedAttrMap);
    assert.deepEqual(dx.shape, [2, 9, 8, 3]);
    assertClose(dx.dataSync() as Float32Array, runStock('Conv2DBackpropInput', { dy, filter }, backAttrs), 1e-5);
  });
}

test('Conv2DBackpropFilter with same padding falls back to the stock kernel', () => {
  const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 3);
  const dy = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 4);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, 2, 3] };
  const fast = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap);
  assertClose(fast.dataSync() as Float32Array, runStock('Conv2DBackpropFilter', { x, dy }, attrs), 1e-6);
});

test('MaxPoolGrad equals the stock kernel, ties (ReLU zeros) included', () => {
  const input = tf.randomUniform([2, 10, 9, 3], -1, 1, 'float32', 5).relu();
  const output = tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid');
  const dy = tf.randomNormal(output.shape, 0, 1, 'float32', 6);
  const attrs = { filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: undefined };
  const fast = tf.engine().runKernel<tf.Tensor>('MaxPoolGrad', { dy, input, output }, attrs as unknown as tf.NamedAttrMap);
  assertClose(fast.dataSync() as Float32Array, runStock('MaxPoolGrad', { dy, input, output }, attrs), 0);
});

test('a conv + pool gradient through tf.grad uses the fast kernels and matches finite differences', () => {
  const x = tf.randomUniform([1, 6, 6, 1], 0, 1, 'float32', 8);
  const kernel = tf.randomNormal([3, 3, 1, 2], 0, 1, 'float32', 9);
  const loss = (k: tf.Tensor): tf.Tensor => tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid').sum();
  const gradient = tf.grad(loss)(kernel).dataSync();
  const base = kernel.dataSync();
  const h = 1e-2;
  for (const index of [0, 5, 13]) {
    const plus = Float32Array.from(base);
    plus[index]! += h;
    const minus = Float32Array.from(base);
    minus[index]! -= h;
    const numeric = (loss(tf.tensor4d(plus, [3, 3, 1, 2])).dataSync()[0]! - loss(tf.tensor4d(minus, [3, 3, 1, 2])).dataSync()[0]!) / (2 * h);
    assert.ok(Math.abs(numeric - gradient[index]!) < 2e-2 * (1 + Math.abs(numeric)), `weight ${index}: analytic ${gradient[index]} vs numeric ${numeric}`);
  }
});

test('Sum over all axes but the last equals the stock kernel; other reductions still work', () => {
  const x = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 14);
  for (const [axis, keepDims] of [[[0, 1, 2], false], [[2, 0, 1], true], [[-4, -3, -2], false]] as const) {
    const attrs = { axis: [...axis], keepDims };
    const fast = tf.engine().runKernel<tf.Tensor>('Sum', { x }, attrs);
    assert.deepEqual(fast.shape, keepDims ? [1, 1, 1, 6] : [6]);
    assertClose(fast.dataSync() as Float32Array, runStock('Sum', { x }, attrs), 1e-5);
  }
  const middle = tf.sum(x, 1).dataSync();
  const values = x.dataSync();
  let expected = 0;
  for (let j = 0; j < 4; j++) expected += values[(1 * 4 + j) * 30 + 2 * 6 + 3]!;
  assert.ok(Math.abs(middle[(1 * 5 + 2) * 6 + 3]! - expected) < 1e-5);
});

test('the ReLU gradient passes dy where x > 0 and zero elsewhere', () => {
  const x = tf.tensor1d([-2, -0, 0, 0.5, 3]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5]);
  const [gradient] = tf.grads((v: tf.Tensor) => tf.relu(v))([x], dy);
  assert.deepEqual([...gradient!.dataSync()], [0, 0, 0, 4, 5]);
});
