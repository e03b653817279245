/**
 * Every translated op on its own, in one-node (or few-node) graphs: the forward pass against onnxruntime
 * (within 1e-4 of the largest value) and the input gradient against central finite differences (relative
 * error <= 1e-3 along three random directions). Inputs are distinct values spaced 0.05 apart and 0.025 away
 * from 0, so no finite-difference step of 0.01 crosses a kink (ReLU, max pooling, clipping).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../../../src/io/onnx/builder.js';
import { TranslatedModel, useTfjsBackend } from '../../../src/io/onnx-to-tfjs/index.js';
import { seededValues } from '../../helpers/tiny-models.js';

interface OpCase {
  name: string;
  /** Dims of the graph input x. */
  x: number[];
  /** Rank of the graph output y. */
  rank: number;
  /** Adds initializers and nodes that read 'x' and write 'y'. */
  build(b: OnnxGraphBuilder): void;
  opset?: number;
  /** Inputs > 0 (Log, Sqrt, Pow). */
  positive?: boolean;
}

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const weights = (dims: number[], seed: number): Float32Array => seededValues(count(dims), seed);
const ints = (values: number[]): BigInt64Array => BigInt64Array.from(values.map(BigInt));

function single(
  name: string,
  op: string,
  x: number[],
  rank: number,
  attributes: Parameters<OnnxGraphBuilder['node']>[3] = {},
  extra: { initializers?: [string, number[], Float32Array | BigInt64Array][]; opset?: number; positive?: boolean } = {},
): OpCase {
  return {
    name,
    x,
    rank,
    ...(extra.opset === undefined ? {} : { opset: extra.opset }),
    ...(extra.positive === undefined ? {} : { positive: extra.positive }),
    build: (b) => {
      for (const [init, dims, data] of extra.initializers ?? []) b.initializer(init, dims, data);
      b.node(op, ['x', ...(extra.initializers ?? []).map(([init]) => init)], ['y'], attributes);
    },
  };
}

const IMAGE = [2, 3, 6, 6];

const CASES: OpCase[] = [
  // Elementwise
  ...['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Abs', 'Neg', 'Erf', 'Softplus', 'Softsign', 'Identity'].map((op) =>
    single(op, op, [2, 5], 2),
  ),
  single('Reciprocal', 'Reciprocal', [2, 5], 2, {}, { positive: true }),
  single('Log', 'Log', [2, 5], 2, {}, { positive: true }),
  single('Sqrt', 'Sqrt', [2, 5], 2, {}, { positive: true }),
  single('LeakyRelu', 'LeakyRelu', [2, 5], 2, { alpha: { float: 0.1 } }),
  single('Elu', 'Elu', [2, 5], 2, { alpha: { float: 0.7 } }),
  single('HardSigmoid', 'HardSigmoid', [2, 5], 2, { alpha: { float: 0.3 }, beta: { float: 0.4 } }),
  single('HardSwish', 'HardSwish', [3, 8], 2, {}, { opset: 14 }),
  single(
    'Clip (inputs)',
    'Clip',
    [3, 8],
    2,
    {},
    {
      initializers: [
        ['lo', [], Float32Array.of(-0.31)],
        ['hi', [], Float32Array.of(0.42)],
      ],
    },
  ),
  single(
    'Clip (attributes, opset 6)',
    'Clip',
    [3, 8],
    2,
    { min: { float: -0.31 }, max: { float: 0.42 } },
    { opset: 6 },
  ),
  single('Add per-channel constant', 'Add', IMAGE, 4, {}, { initializers: [['c', [3, 1, 1], weights([3, 1, 1], 2)]] }),
  single('Sub', 'Sub', [2, 4], 2, {}, { initializers: [['c', [4], weights([4], 3)]] }),
  single('Mul', 'Mul', IMAGE, 4, {}, { initializers: [['c', [1, 3, 1, 1], weights([3], 4)]] }),
  single('Div', 'Div', [2, 4], 2, {}, { initializers: [['c', [4], Float32Array.of(0.5, -2, 3, 1.5)]] }),
  single('Pow', 'Pow', [2, 4], 2, {}, { initializers: [['c', [], Float32Array.of(3)]], positive: true }),
  single('PRelu', 'PRelu', IMAGE, 4, {}, { initializers: [['slope', [3, 1, 1], Float32Array.of(0.1, 0.2, -0.3)]] }),
  single('Max', 'Max', [2, 4], 2, {}, { initializers: [['c', [4], Float32Array.of(0.01, -0.4, 0.2, 5)]] }),
  single('Min', 'Min', [2, 4], 2, {}, { initializers: [['c', [4], Float32Array.of(0.01, -0.4, 0.2, 5)]] }),
  single('Sum', 'Sum', [2, 4], 2, {}, { initializers: [['c', [4], weights([4], 5)]] }),
  single('Mean', 'Mean', [2, 4], 2, {}, { initializers: [['c', [4], weights([4], 6)]] }),
  {
    name: 'Mul of two dynamic operands (x times its transpose-stored conv output)',
    x: [1, 2, 5, 5],
    rank: 4,
    build: (b) =>
      b
        .initializer('w', [2, 2, 1, 1], weights([2, 2, 1, 1], 7))
        .node('Conv', ['x', 'w'], ['c'], { kernel_shape: [1, 1] })
        .node('Mul', ['c', 'x'], ['y']),
  },
  {
    name: 'Where with a constant mask',
    x: [2, 4],
    rank: 2,
    build: (b) =>
      b
        .initializer('m', [4], Float32Array.of(1, -1, 1, -1))
        .initializer('zero', [], Float32Array.of(0))
        .node('Greater', ['m', 'zero'], ['mask'])
        .node('Neg', ['x'], ['negative'])
        .node('Where', ['mask', 'x', 'negative'], ['y']),
  },
  // Convolutions
  single(
    'Conv 3x3 pads 1',
    'Conv',
    IMAGE,
    4,
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    {
      initializers: [
        ['w', [4, 3, 3, 3], weights([4, 3, 3, 3], 8)],
        ['b', [4], weights([4], 9)],
      ],
    },
  ),
  single(
    'Conv stride 2, asymmetric pads',
    'Conv',
    [1, 3, 7, 7],
    4,
    { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 2, 1] },
    {
      initializers: [['w', [2, 3, 3, 3], weights([2, 3, 3, 3], 10)]],
    },
  ),
  single(
    'Conv SAME_UPPER stride 2',
    'Conv',
    [1, 3, 6, 6],
    4,
    { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
    {
      initializers: [['w', [2, 3, 3, 3], weights([2, 3, 3, 3], 11)]],
    },
  ),
  single(
    'Conv dilation 2',
    'Conv',
    [1, 2, 7, 7],
    4,
    { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
    {
      initializers: [['w', [3, 2, 3, 3], weights([3, 2, 3, 3], 12)]],
    },
  ),
  single(
    'Conv 2 groups',
    'Conv',
    [1, 4, 5, 5],
    4,
    { kernel_shape: [3, 3], group: 2, pads: [1, 1, 1, 1] },
    {
      initializers: [['w', [6, 2, 3, 3], weights([6, 2, 3, 3], 13)]],
    },
  ),
  single(
    'Conv depthwise stride 2',
    'Conv',
    [1, 3, 7, 7],
    4,
    { kernel_shape: [3, 3], group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
    {
      initializers: [
        ['w', [3, 1, 3, 3], weights([3, 1, 3, 3], 14)],
        ['b', [3], weights([3], 15)],
      ],
    },
  ),
  single(
    'Conv depthwise multiplier 2',
    'Conv',
    [1, 2, 5, 5],
    4,
    { kernel_shape: [3, 3], group: 2 },
    {
      initializers: [['w', [4, 1, 3, 3], weights([4, 1, 3, 3], 16)]],
    },
  ),
  single(
    'Conv 1x4 kernel',
    'Conv',
    [1, 2, 5, 6],
    4,
    { kernel_shape: [1, 4], strides: [1, 2] },
    {
      initializers: [['w', [3, 2, 1, 4], weights([3, 2, 1, 4], 17)]],
    },
  ),
  single(
    'ConvTranspose stride 2, pads, output padding',
    'ConvTranspose',
    [1, 3, 4, 4],
    4,
    {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      output_padding: [1, 1],
    },
    {
      initializers: [
        ['w', [3, 2, 3, 3], weights([3, 2, 3, 3], 18)],
        ['b', [2], weights([2], 19)],
      ],
    },
  ),
  single(
    'ConvTranspose 2x2 stride 2',
    'ConvTranspose',
    [1, 2, 3, 3],
    4,
    { kernel_shape: [2, 2], strides: [2, 2] },
    {
      initializers: [['w', [2, 3, 2, 2], weights([2, 3, 2, 2], 20)]],
    },
  ),
  // Pools
  single('MaxPool 2x2', 'MaxPool', IMAGE, 4, { kernel_shape: [2, 2], strides: [2, 2] }),
  single('MaxPool 3x3 stride 2 pads 1', 'MaxPool', [1, 2, 7, 7], 4, {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  }),
  single('MaxPool ceil mode', 'MaxPool', [1, 2, 6, 6], 4, { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  single('AveragePool 2x2', 'AveragePool', IMAGE, 4, { kernel_shape: [2, 2], strides: [2, 2] }),
  single('AveragePool pads, padding excluded', 'AveragePool', [1, 2, 5, 5], 4, {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
  }),
  single('AveragePool pads, padding counted', 'AveragePool', [1, 2, 5, 5], 4, {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
    count_include_pad: 1,
  }),
  single('AveragePool ceil mode', 'AveragePool', [1, 2, 6, 6], 4, {
    kernel_shape: [3, 3],
    strides: [2, 2],
    ceil_mode: 1,
  }),
  single('GlobalAveragePool', 'GlobalAveragePool', IMAGE, 4),
  single('GlobalMaxPool', 'GlobalMaxPool', IMAGE, 4),
  // Normalization and linear algebra
  single(
    'BatchNormalization',
    'BatchNormalization',
    IMAGE,
    4,
    { epsilon: { float: 1e-3 } },
    {
      initializers: [
        ['gamma', [3], weights([3], 21)],
        ['beta', [3], weights([3], 22)],
        ['mean', [3], weights([3], 23)],
        ['var', [3], Float32Array.of(0.5, 1, 2)],
      ],
    },
  ),
  single(
    'LayerNormalization last axis',
    'LayerNormalization',
    [2, 3, 8],
    3,
    { epsilon: { float: 1e-5 } },
    {
      initializers: [
        ['scale', [8], weights([8], 24)],
        ['bias', [8], weights([8], 25)],
      ],
      opset: 17,
    },
  ),
  single(
    'LayerNormalization two axes',
    'LayerNormalization',
    [2, 3, 4],
    3,
    { axis: -2 },
    {
      initializers: [['scale', [3, 4], weights([3, 4], 26)]],
      opset: 17,
    },
  ),
  single(
    'MatMul with batch dims',
    'MatMul',
    [2, 3, 4, 5],
    4,
    {},
    { initializers: [['w', [3, 5, 2], weights([3, 5, 2], 27)]] },
  ),
  single(
    'MatMul of tokens by a matrix',
    'MatMul',
    [2, 3, 5],
    3,
    {},
    { initializers: [['w', [5, 4], weights([5, 4], 28)]] },
  ),
  single('MatMul by a vector', 'MatMul', [2, 5], 1, {}, { initializers: [['w', [5], weights([5], 29)]] }),
  {
    name: 'MatMul of two dynamic operands (attention scores)',
    x: [2, 2, 3, 4],
    rank: 4,
    build: (b) => b.node('Transpose', ['x'], ['xt'], { perm: [0, 1, 3, 2] }).node('MatMul', ['x', 'xt'], ['y']),
  },
  single(
    'Gemm transB, alpha, beta',
    'Gemm',
    [3, 4],
    2,
    { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } },
    {
      initializers: [
        ['w', [5, 4], weights([5, 4], 30)],
        ['c', [5], weights([5], 31)],
      ],
    },
  ),
  single('Gemm transA', 'Gemm', [4, 3], 2, { transA: 1 }, { initializers: [['w', [4, 2], weights([4, 2], 32)]] }),
  // Softmax and reductions
  single('Softmax last axis', 'Softmax', [2, 3, 5], 3, { axis: -1 }),
  single('Softmax axis 1', 'Softmax', [2, 3, 5], 3, { axis: 1 }),
  single('Softmax opset 11 (flattened from axis 1)', 'Softmax', [2, 3, 4], 3, { axis: 1 }, { opset: 11 }),
  single('LogSoftmax', 'LogSoftmax', [2, 6], 2, { axis: 1 }),
  single('ReduceMean keepdims', 'ReduceMean', IMAGE, 4, { axes: [2, 3] }),
  single(
    'ReduceMean axes input (opset 18)',
    'ReduceMean',
    IMAGE,
    3,
    { keepdims: 0 },
    {
      initializers: [['axes', [1], ints([1])]],
      opset: 18,
    },
  ),
  single('ReduceSum', 'ReduceSum', [2, 3, 4], 2, { keepdims: 0 }, { initializers: [['axes', [1], ints([-1])]] }),
  single('ReduceMax', 'ReduceMax', [2, 3, 4], 3, { axes: [1] }),
  single('ReduceMin', 'ReduceMin', [2, 3, 4], 2, { axes: [0], keepdims: 0 }),
  single('ReduceProd', 'ReduceProd', [2, 3], 2, { axes: [1] }),
  single('ReduceL2', 'ReduceL2', [2, 3], 2, { axes: [1] }),
  single('ReduceSumSquare', 'ReduceSumSquare', [2, 3], 2, { axes: [1] }),
  // Moving values
  single('Reshape with 0 and -1', 'Reshape', [2, 3, 4], 3, {}, { initializers: [['shape', [3], ints([0, -1, 2])]] }),
  single('Flatten axis 2', 'Flatten', [2, 3, 2, 2], 2, { axis: 2 }),
  single('Transpose', 'Transpose', [2, 3, 4], 3, { perm: [2, 0, 1] }),
  single('Squeeze', 'Squeeze', [2, 1, 3], 2, {}, { initializers: [['axes', [1], ints([1])]] }),
  single('Unsqueeze', 'Unsqueeze', [2, 3], 4, {}, { initializers: [['axes', [2], ints([0, -1])]] }),
  single(
    'Concat with a constant',
    'Concat',
    [2, 3],
    2,
    { axis: 1 },
    { initializers: [['c', [2, 2], weights([2, 2], 33)]] },
  ),
  {
    name: 'Split into three outputs, concatenated back in another order',
    x: [2, 6],
    rank: 2,
    build: (b) =>
      b
        .initializer('split', [3], ints([1, 2, 3]))
        .node('Split', ['x', 'split'], ['a', 'b', 'c'], { axis: 1 })
        .node('Concat', ['c', 'a', 'b'], ['y'], { axis: 1 }),
  },
  single(
    'Slice step 1',
    'Slice',
    [3, 6],
    2,
    {},
    {
      initializers: [
        ['starts', [2], ints([1, -5])],
        ['ends', [2], ints([3, 100])],
        ['axes', [2], ints([0, 1])],
      ],
    },
  ),
  single(
    'Slice step 2 and reversed',
    'Slice',
    [3, 7],
    2,
    {},
    {
      initializers: [
        ['starts', [2], ints([0, -1])],
        ['ends', [2], ints([3, -100])],
        ['axes', [2], ints([0, 1])],
        ['steps', [2], ints([2, -2])],
      ],
    },
  ),
  single(
    'Gather one index (class token)',
    'Gather',
    [2, 5, 3],
    2,
    { axis: 1 },
    { initializers: [['i', [], ints([0])]] },
  ),
  single(
    'Gather a matrix of indices',
    'Gather',
    [4, 3],
    3,
    { axis: 0 },
    { initializers: [['i', [2, 2], ints([3, -1, 0, 3])]] },
  ),
  single('Expand', 'Expand', [3, 1], 3, {}, { initializers: [['shape', [3], ints([2, 3, 4])]] }),
  single('Tile', 'Tile', [2, 3], 2, {}, { initializers: [['repeats', [2], ints([2, 3])]] }),
  single(
    'Pad constant',
    'Pad',
    [1, 2, 3, 3],
    4,
    {},
    {
      initializers: [
        ['pads', [8], ints([0, 0, 1, 2, 0, 0, 2, 0])],
        ['value', [], Float32Array.of(0.3)],
      ],
    },
  ),
  single(
    'Pad reflect with a crop',
    'Pad',
    [1, 2, 4, 4],
    4,
    { mode: 'reflect' },
    {
      initializers: [['pads', [8], ints([0, 0, 2, -1, 0, 0, 1, 1])]],
    },
  ),
  single(
    'Resize bilinear half_pixel',
    'Resize',
    [1, 2, 3, 4],
    4,
    { mode: 'linear' },
    {
      initializers: [
        ['roi', [0], new Float32Array(0)],
        ['scales', [4], Float32Array.of(1, 1, 2, 1.5)],
      ],
    },
  ),
  single(
    'Resize bilinear align_corners to sizes',
    'Resize',
    [1, 2, 3, 4],
    4,
    { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
    {
      initializers: [
        ['roi', [0], new Float32Array(0)],
        ['scales', [0], new Float32Array(0)],
        ['sizes', [4], ints([1, 2, 5, 3])],
      ],
    },
  ),
  single(
    'Resize nearest half_pixel round_prefer_floor',
    'Resize',
    [1, 2, 3, 4],
    4,
    { mode: 'nearest' },
    {
      initializers: [
        ['roi', [0], new Float32Array(0)],
        ['scales', [4], Float32Array.of(1, 1, 1.7, 0.75)],
      ],
    },
  ),
  single(
    'Resize nearest asymmetric floor',
    'Resize',
    [1, 2, 3, 3],
    4,
    {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    },
    {
      initializers: [
        ['roi', [0], new Float32Array(0)],
        ['scales', [4], Float32Array.of(1, 1, 2, 2)],
      ],
    },
  ),
  {
    name: 'Reshape to a shape computed from Shape, Gather, Unsqueeze, Concat',
    x: [2, 3, 4],
    rank: 2,
    build: (b) =>
      b
        .initializer('zero', [], ints([0]))
        .initializer('axes', [1], ints([0]))
        .initializer('minus_one', [1], ints([-1]))
        .node('Shape', ['x'], ['shape'])
        .node('Gather', ['shape', 'zero'], ['batch'], { axis: 0 })
        .node('Unsqueeze', ['batch', 'axes'], ['batch1'])
        .node('Concat', ['batch1', 'minus_one'], ['target'], { axis: 0 })
        .node('Reshape', ['x', 'target'], ['y']),
  },
];

/** Distinct values 0.05 apart, none within 0.025 of 0 (or, `positive`, all >= 0.3), in seeded order. */
function spacedValues(length: number, positive: boolean, seed: number): Float32Array {
  const order = Array.from(seededValues(length, seed), (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Float32Array(length);
  order.forEach(([, i], rank) => (out[i] = positive ? 0.3 + 0.05 * rank : 0.05 * (rank - length / 2) + 0.025));
  return out;
}

function modelOf(c: OpCase): Uint8Array {
  const builder = new OnnxGraphBuilder(c.name).input('x', c.x).output(
    'y',
    Array.from({ length: c.rank }, (_, i) => `d${i}`),
  );
  c.build(builder);
  return builder.toBytes(c.opset ?? 13);
}

before(async () => {
  await useTfjsBackend('wasm');
});

for (const c of CASES) {
  test(`${c.name}: forward as onnxruntime, gradient as finite differences`, async () => {
    const bytes = modelOf(c);
    const x = spacedValues(count(c.x), c.positive ?? false, 41);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const expected = (await session.run({ x: new ort.Tensor('float32', x, c.x) })).y!;
    await session.release();
    const model = TranslatedModel.fromBytes(bytes, c.name);
    try {
      const got = tf.tidy(() => model.runLogical(tf.tensor(x, c.x), ['y'])[0]!.dataSync().slice());
      const reference = expected.data as Float32Array;
      assert.equal(got.length, reference.length, 'output size');
      const scale = Math.max(1, ...Array.from(reference, Math.abs));
      const difference = Math.max(...Array.from(got, (v, i) => Math.abs(v - reference[i]!))) / scale;
      assert.ok(difference <= 1e-4, `forward differs from onnxruntime by ${difference}`);
      assertGradientMatches(model, x, c.x, reference.length);
    } finally {
      model.dispose();
    }
  });
}

/** f(x) = sum(w * y(x)) for fixed random w: tf.grad's directional derivatives against central differences. */
function assertGradientMatches(model: TranslatedModel, x: Float32Array, dims: number[], outputs: number): void {
  const w = tf.tensor(seededValues(outputs, 97));
  const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.reshape(model.runLogical(input, ['y'])[0]!, [-1]), w));
  const value = (input: Float32Array): number => tf.tidy(() => f(tf.tensor(input, dims)).dataSync()[0]!);
  const gradient = tf.tidy(() => tf.grad(f)(tf.tensor(x, dims)).dataSync().slice());
  const norm = Math.hypot(...gradient);
  const epsilon = 1e-2; // steps of at most 0.02 per value: no kink of the spaced inputs is crossed
  for (const seed of [5, 6, 7]) {
    const v = seededValues(x.length, seed);
    let analytic = 0;
    gradient.forEach((g, i) => (analytic += g * v[i]!));
    const at = (step: number): number => value(x.map((xi, i) => xi + step * epsilon * v[i]!));
    // Fourth-order central differences: exact for cubics, so curvature does not pass for a gradient error.
    const numeric = (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * epsilon);
    const typical = (norm * Math.hypot(...v)) / Math.sqrt(x.length);
    const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 0.1 * typical, 1e-6);
    assert.ok(
      error <= 1e-3,
      `direction ${seed}: tf.grad ${analytic}, finite differences ${numeric} (relative error ${error})`,
    );
  }
  w.dispose();
}

test('an op without a translation is named with its node, before anything runs; layers before it still work', () => {
  const bytes = new OnnxGraphBuilder('unsupported')
    .input('x', ['batch', 4])
    .output('y', ['batch', 4])
    .node('Relu', ['x'], ['r'], {}, 'first')
    .node('Einsum', ['r', 'r'], ['e'], { equation: 'bi,bi->bi' }, 'the_einsum')
    .node('Relu', ['e'], ['y'], {}, 'last')
    .toBytes(13);
  const model = TranslatedModel.fromBytes(bytes, 'unsupported.onnx');
  try {
    assert.throws(
      () => model.prepare(['y']),
      (error: Error) =>
        error.name === 'InputError' &&
        /unsupported\.onnx uses ONNX ops that the tf\.js translation does not support: Einsum \(node 'the_einsum'\)/.test(
          error.message,
        ) &&
        /supported ops: .*Conv/.test(error.message),
    );
    const r = tf.tidy(() => Array.from(model.runLogical(tf.tensor([[-1, 2, -3, 4]]), ['r'])[0]!.dataSync()));
    assert.deepEqual(r, [0, 2, 0, 4]);
  } finally {
    model.dispose();
  }
});

test('MaxPool with tied windows: the gradient goes to the first maximum of each window, in every channel', () => {
  const bytes = new OnnxGraphBuilder('ties')
    .input('x', [1, 2, 2, 4])
    .output('y', [1, 2, 1, 2])
    .node('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] })
    .toBytes(13);
  const model = TranslatedModel.fromBytes(bytes, 'ties.onnx');
  try {
    // Channel 0 distinct values; channel 1 all zero (a dead ReLU's output), where tf.js's own gradient is 0.
    const x = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 2, 4]);
    const gradient = tf.tidy(() =>
      Array.from(
        tf
          .grad((input: tf.Tensor) => tf.sum(model.runLogical(input, ['y'])[0]!))(x)
          .dataSync(),
      ),
    );
    assert.deepEqual(gradient, [0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
    x.dispose();
  } finally {
    model.dispose();
  }
});

test('redirected ReLU and Clip: the exact gradient for a row with any gradient, raising dead inputs for a dead row', () => {
  for (const [op, lo, hi] of [
    ['Relu', 0, Infinity],
    ['Clip', 0, 6],
  ] as const) {
    const builder = new OnnxGraphBuilder('redirected').input('x', [2, 4]).output('y', [2, 4]);
    if (op === 'Clip') {
      builder.initializer('lo', [], Float32Array.of(lo)).initializer('hi', [], Float32Array.of(hi));
      builder.node('Clip', ['x', 'lo', 'hi'], ['y']);
    } else builder.node('Relu', ['x'], ['y']);
    const bytes = builder.toBytes(13);
    const redirected = TranslatedModel.fromBytes(bytes, 'redirected.onnx', { redirectedRelu: true });
    const exact = TranslatedModel.fromBytes(bytes, 'exact.onnx');
    try {
      // Row 0 has live inputs; row 1 is dead (every input at or below lo).
      const x = [-1, 2, -3, 4, -1, -2, -0.5, -4];
      // Maximising y * w: dy = -w, which raises an input where w > 0.
      const w = tf.tensor([1, 1, -1, 1, 1, -1, 1, 1], [2, 4]);
      const gradientOf = (model: TranslatedModel) =>
        tf.tidy(() =>
          Array.from(
            tf
              .grad((input: tf.Tensor) => tf.neg(tf.sum(tf.mul(model.runLogical(input, ['y'])[0]!, w))))(
                tf.tensor(x, [2, 4]),
              )
              .dataSync(),
            (v) => v + 0, // -0 reads as 0
          ),
        );
      assert.deepEqual(gradientOf(exact), [0, -1, 0, -1, 0, 0, 0, 0], `${op}: the exact gradient`);
      assert.deepEqual(gradientOf(redirected), [0, -1, 0, -1, -1, 0, -1, -1], `${op}: row 1 raised where w > 0`);
      const forward = (model: TranslatedModel) =>
        tf.tidy(() => Array.from(model.runLogical(tf.tensor(x, [2, 4]), ['y'])[0]!.dataSync()));
      assert.deepEqual(forward(redirected), forward(exact), `${op}: the forward pass is unchanged`);
      w.dispose();
    } finally {
      redirected.dispose();
      exact.dispose();
    }
  }
});
