/**
 * The input gradient of a 2-D convolution with fixed weights, computed as its adjoint: a stride-1 forward
 * convolution of the output gradient (spread out by the stride) with the filter turned by 180 degrees. It
 * runs on forward kernels (XNNPACK on the wasm backend), where tf.js's own input gradients are slow (wasm
 * Conv2DBackpropInput, 12x a forward 3x3 convolution) or missing (wasm DepthwiseConv2dNativeBackpropInput).
 * The ONNX translation (conv.ts) and TF.js models run by tf.js itself (src/io/tfjs/gradients.ts) share it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { effectiveKernel, padOrCrop, type Pads, type WindowAttributes } from './spatial.js';

export type ConvolutionWindow = Pick<WindowAttributes, 'kernel' | 'strides' | 'dilations'>;

/** The filter turned by 180 degrees, with input and output channels swapped for a regular convolution. */
export function flippedFilter(filter: tf.Tensor4D, depthwise: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const flipped = tf.reverse(filter, [0, 1]);
    return depthwise ? flipped : tf.transpose(flipped, [0, 1, 3, 2]);
  });
}

/**
 * dx[i] = sum over k of dy at (i + pad - k * dilation) / stride times w[k]: dy spread out by the stride,
 * padded so that a stride-1 convolution with the flipped filter gives `inputSize` positions. `filter` is
 * tf.js's [kh, kw, C, M] (depthwise [kh, kw, C, multiplier]); `flipped` is flippedFilter(filter, depthwise).
 */
export function convolutionAdjoint(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  flipped: tf.Tensor4D,
  depthwise: boolean,
  window: ConvolutionWindow,
  pads: Pads,
  inputSize: [number, number],
): tf.Tensor4D {
  const { strides, dilations } = window;
  const spread = spreadByStride(dy, strides);
  const begin = ([0, 1] as const).map((axis) => effectiveKernel(window, axis) - 1 - pads[axis]);
  const end = ([0, 1] as const).map(
    (axis) => inputSize[axis] + effectiveKernel(window, axis) - 1 - begin[axis]! - spread.shape[axis + 1]!,
  );
  const padded = padOrCrop(spread, [begin[0]!, begin[1]!, end[0]!, end[1]!]);
  if (!depthwise) return tf.conv2d(padded, flipped, 1, 'valid', 'NHWC', dilations);
  const [, , channels, multiplier] = filter.shape;
  if (multiplier === 1) return tf.depthwiseConv2d(padded, flipped, 1, 'valid', 'NHWC', dilations);
  // Output channel c * multiplier + j of the forward pass came from input channel c through filter [:, :, c, j].
  const [n, h, w] = padded.shape;
  const split = tf.reshape(padded, [n, h, w, channels, multiplier]);
  let sum: tf.Tensor4D | undefined;
  for (let j = 0; j < multiplier; j++) {
    const part = tf.reshape(tf.slice(split, [0, 0, 0, 0, j], [-1, -1, -1, -1, 1]), [n, h, w, channels]);
    const term: tf.Tensor4D = tf.depthwiseConv2d(
      part as tf.Tensor4D,
      tf.slice(flipped, [0, 0, 0, j], [-1, -1, -1, 1]),
      1,
      'valid',
      'NHWC',
      dilations,
    );
    sum = sum === undefined ? term : tf.add<tf.Tensor4D>(sum, term);
  }
  return sum!;
}

/** Inserts stride - 1 zeros between neighbouring positions: [N, h, w, C] -> [N, (h-1)*sh+1, (w-1)*sw+1, C]. */
function spreadByStride(x: tf.Tensor4D, strides: [number, number]): tf.Tensor4D {
  const [sh, sw] = strides;
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const six = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const spread = tf.reshape<tf.Rank.R4>(six, [n, h * sh, w * sw, c]);
  return tf.slice(spread, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}
