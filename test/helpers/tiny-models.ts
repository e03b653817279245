/**
 * Tiny ONNX models with known weights, built with OnnxGraphBuilder, plus plain-loop reference forward
 * passes so tests can check onnxruntime's activations value by value.
 */
import { OnnxGraphBuilder } from '../../src/io/onnx/builder.js';

export const IMAGE_SIZE = 4;
export const FILTERS = 2;
export const CLASSES = 3;

export interface TinyConvNetOptions {
  /** 'NHWC' puts a Transpose to NCHW at the start of the graph. Default 'NCHW'. */
  layout?: 'NCHW' | 'NHWC';
  /** Input channels. Default 1. */
  channels?: number;
  /** A fixed batch dimension instead of the symbolic 'batch'. */
  fixedBatch?: number;
}

/** Activations of every tiny conv net layer, row-major, batch first. */
export interface TinyConvNetActivations {
  conv: Float32Array; // [N, 2, 4, 4]
  relu: Float32Array; // [N, 2, 4, 4]
  pool: Float32Array; // [N, 2, 2, 2]
  logits: Float32Array; // [N, 3]
  probs: Float32Array; // [N, 3]
}

/** Tensor names of the tiny conv net, as tests pass them to the runner. */
export const TINY = {
  input: 'image',
  nchw: 'image_nchw',
  conv: 'conv_out',
  relu: 'relu_out',
  pool: 'pool_out',
  flat: 'flat_out',
  logits: 'logits',
  probs: 'probs',
} as const;

/**
 * Filter 0 reads the centre pixel of channel 0 (conv = x, bias 0); filter 1 sums the 3x3 neighbourhood
 * over all channels with bias -1. The dense layer sums channel 0's pooled values into logit 0,
 * channel 1's into logit 1, and logit 2 is the constant 1.
 */
export function tinyConvNetWeights(channels: number): {
  conv: Float32Array;
  convBias: Float32Array;
  dense: Float32Array;
  denseBias: Float32Array;
} {
  const conv = new Float32Array(FILTERS * channels * 9);
  conv[4] = 1; // filter 0, channel 0, centre
  conv.fill(1, channels * 9, 2 * channels * 9); // filter 1: all ones
  const dense = new Float32Array(CLASSES * 8); // [3, 8], used with transB = 1
  dense.fill(1, 0, 4);
  dense.fill(1, 8 + 4, 8 + 8);
  return { conv, convBias: new Float32Array([0, -1]), dense, denseBias: new Float32Array([0, 0, 1]) };
}

/** Input [batch,C,4,4] (or [batch,4,4,C]) -> Conv 3x3 pad 1 -> Relu -> MaxPool 2 -> Flatten -> Gemm(3) -> Softmax. */
export function tinyConvNet(options: TinyConvNetOptions = {}): Uint8Array {
  const layout = options.layout ?? 'NCHW';
  const channels = options.channels ?? 1;
  const batch = options.fixedBatch ?? 'batch';
  const w = tinyConvNetWeights(channels);
  const builder = new OnnxGraphBuilder('tiny_conv_net');
  let convInput: string = TINY.input;
  if (layout === 'NHWC') {
    builder.input(TINY.input, [batch, IMAGE_SIZE, IMAGE_SIZE, channels]);
    builder.node('Transpose', [TINY.input], [TINY.nchw], { perm: [0, 3, 1, 2] }, 'to_nchw');
    convInput = TINY.nchw;
  } else {
    builder.input(TINY.input, [batch, channels, IMAGE_SIZE, IMAGE_SIZE]);
  }
  return builder
    .output(TINY.probs, [batch, CLASSES])
    .initializer('conv_w', [FILTERS, channels, 3, 3], w.conv)
    .initializer('conv_b', [FILTERS], w.convBias)
    .initializer('dense_w', [CLASSES, 8], w.dense)
    .initializer('dense_b', [CLASSES], w.denseBias)
    .node('Conv', [convInput, 'conv_w', 'conv_b'], [TINY.conv], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv')
    .node('Relu', [TINY.conv], [TINY.relu], {}, 'relu')
    .node('MaxPool', [TINY.relu], [TINY.pool], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool')
    .node('Flatten', [TINY.pool], [TINY.flat], { axis: 1 }, 'flatten')
    .node('Gemm', [TINY.flat, 'dense_w', 'dense_b'], [TINY.logits], { transB: 1 }, 'dense')
    .node('Softmax', [TINY.logits], [TINY.probs], { axis: 1 }, 'softmax')
    .toBytes();
}

/** The tiny conv net's forward pass in plain loops; `input` is NCHW [count, channels, 4, 4]. */
export function tinyConvNetReference(input: Float32Array, count: number, channels = 1): TinyConvNetActivations {
  const s = IMAGE_SIZE;
  const w = tinyConvNetWeights(channels);
  const conv = new Float32Array(count * FILTERS * s * s);
  for (let n = 0; n < count; n++) {
    for (let f = 0; f < FILTERS; f++) {
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          let sum = w.convBias[f]!;
          for (let c = 0; c < channels; c++) {
            for (let ky = 0; ky < 3; ky++) {
              for (let kx = 0; kx < 3; kx++) {
                const iy = y + ky - 1;
                const ix = x + kx - 1;
                if (iy < 0 || iy >= s || ix < 0 || ix >= s) continue;
                sum += w.conv[((f * channels + c) * 3 + ky) * 3 + kx]! * input[((n * channels + c) * s + iy) * s + ix]!;
              }
            }
          }
          conv[((n * FILTERS + f) * s + y) * s + x] = sum;
        }
      }
    }
  }
  const relu = conv.map((v) => Math.max(v, 0));
  const half = s / 2;
  const pool = new Float32Array(count * FILTERS * half * half);
  for (let nf = 0; nf < count * FILTERS; nf++) {
    for (let y = 0; y < half; y++) {
      for (let x = 0; x < half; x++) {
        const at = (dy: number, dx: number): number => relu[(nf * s + 2 * y + dy) * s + 2 * x + dx]!;
        pool[(nf * half + y) * half + x] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
      }
    }
  }
  const logits = new Float32Array(count * CLASSES);
  const probs = new Float32Array(count * CLASSES);
  for (let n = 0; n < count; n++) {
    for (let k = 0; k < CLASSES; k++) {
      let sum = w.denseBias[k]!;
      for (let j = 0; j < 8; j++) sum += w.dense[k * 8 + j]! * pool[n * 8 + j]!;
      logits[n * CLASSES + k] = sum;
    }
    const row = logits.subarray(n * CLASSES, (n + 1) * CLASSES);
    const max = Math.max(...row);
    const exps = Array.from(row, (v) => Math.exp(v - max));
    const total = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, k) => (probs[n * CLASSES + k] = e / total));
  }
  return { conv, relu, pool, logits, probs };
}

/** NCHW [count, C, H, W] -> NHWC [count, H, W, C]. */
export function nchwToNhwc(data: Float32Array, count: number, channels: number, size = IMAGE_SIZE): Float32Array {
  const out = new Float32Array(data.length);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < size * size; p++)
        out[(n * size * size + p) * channels + c] = data[(n * channels + c) * size * size + p]!;
    }
  }
  return out;
}

/** Deterministic values in [-1, 1) from a small LCG, so tests do not depend on Math.random. */
export function seededValues(length: number, seed = 1): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Input [batch,1,4,4] -> Reshape to [N,16] through a Shape/Gather/Unsqueeze/Concat chain (int64 tensors,
 * plus a Constant) -> MatMul [16,3] -> bias Add -> Relu. Only the float, input-dependent outputs
 * (flat, matmul_out, bias_out, out) are layers.
 */
export function shapeOpsModel(): Uint8Array {
  const weights = new Float32Array(16 * 3).map((_, i) => (i % 3 === 0 ? 1 : 0));
  return new OnnxGraphBuilder('shape_ops')
    .input('x', ['batch', 1, 4, 4])
    .output('out', ['batch', 3])
    .initializer('zero_index', [], new BigInt64Array([0n]))
    .initializer('axes0', [1], new BigInt64Array([0n]))
    .initializer('w', [16, 3], weights)
    .initializer('b', [3], new Float32Array([0.5, -0.5, 0]))
    .node('Shape', ['x'], ['x_shape'])
    .node('Gather', ['x_shape', 'zero_index'], ['batch_size'], { axis: 0 })
    .node('Unsqueeze', ['batch_size', 'axes0'], ['batch_1d'])
    .node('Constant', [], ['minus_one'], { value_ints: [-1] }, 'const_minus_one')
    .node('Concat', ['batch_1d', 'minus_one'], ['target_shape'], { axis: 0 })
    .node('Reshape', ['x', 'target_shape'], ['flat'])
    .node('MatMul', ['flat', 'w'], ['matmul_out'])
    .node('Add', ['matmul_out', 'b'], ['bias_out'])
    .node('Relu', ['bias_out'], ['out'])
    .toBytes();
}

/**
 * Input [batch,4] -> Gemm a -> Relu r1 -> Gemm b -> Add(b, r1) -> Relu r2 -> Mul(r2, Sigmoid(r2)).
 * Default layers by the rule: r1, b_out, r2, swish (not a_out, the residual sum or the sigmoid gate).
 */
export function residualSwishModel(): Uint8Array {
  const identity = new Float32Array(16).map((_, i) => (i % 5 === 0 ? 1 : 0));
  return new OnnxGraphBuilder('residual_swish')
    .input('x', ['batch', 4])
    .output('swish', ['batch', 4])
    .initializer('wa', [4, 4], identity)
    .initializer(
      'wb',
      [4, 4],
      identity.map((v) => 2 * v),
    )
    .node('Gemm', ['x', 'wa'], ['a_out'])
    .node('Relu', ['a_out'], ['r1'])
    .node('Gemm', ['r1', 'wb'], ['b_out'])
    .node('Add', ['b_out', 'r1'], ['residual'])
    .node('Relu', ['residual'], ['r2'])
    .node('Sigmoid', ['r2'], ['gate'])
    .node('Mul', ['r2', 'gate'], ['swish'])
    .toBytes();
}

/**
 * A vector model for inputs that are rows of numbers: input [batch, width] (named 'input', as a table's
 * numeric columns are fed) -> Gemm `hidden` -> Relu -> Gemm `classes` -> Softmax, with seeded weights.
 * Layers: hidden_relu, logits.
 */
export function tinyVectorModel(width: number, hidden = 6, classes = 3): Uint8Array {
  return new OnnxGraphBuilder('tiny_vector')
    .input('input', ['batch', width])
    .output('probs', ['batch', classes])
    .initializer('w1', [width, hidden], seededValues(width * hidden, 3))
    .initializer('b1', [hidden], new Float32Array(hidden))
    .initializer('w2', [hidden, classes], seededValues(hidden * classes, 5))
    .initializer('b2', [classes], new Float32Array(classes))
    .node('Gemm', ['input', 'w1', 'b1'], ['hidden'], {}, 'dense1')
    .node('Relu', ['hidden'], ['hidden_relu'], {}, 'relu1')
    .node('Gemm', ['hidden_relu', 'w2', 'b2'], ['logits'], {}, 'dense2')
    .node('Softmax', ['logits'], ['probs'], { axis: 1 }, 'softmax')
    .toBytes();
}
