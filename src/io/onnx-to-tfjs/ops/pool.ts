/** MaxPool, AveragePool and the global pools, channels-last in tf.js. */
import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './custom-gradient.js';
import { required, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, channelsLastPerm, type Value } from '../value.js';
import { effectiveKernel, padOrCrop, resolvePads, windowAttributes, windowOutput, type Pads } from './spatial.js';

const NHWC: readonly number[] = channelsLastPerm(4);

/** What a max pool's padding holds: below any float32 value a window can have, so never its maximum. */
export const MAX_POOL_PADDING = -3.4e38;

/** Explicit pads plus, in ceil mode, the end padding that the last partial window reaches into. */
function windowPads(window: ReturnType<typeof windowAttributes>, size: [number, number]): { pads: Pads; reach: Pads } {
  const pads = resolvePads(window, size);
  const out = windowOutput(window, size, pads);
  const reach = ([0, 1] as const).map((axis) =>
    Math.max(
      pads[axis + 2]!,
      (out[axis] - 1) * window.strides[axis] + effectiveKernel(window, axis) - size[axis] - pads[axis],
    ),
  );
  return { pads, reach: [pads[0], pads[1], reach[0]!, reach[1]!] };
}

function maxPool(ctx: NodeContext): ReturnType<OpTranslator> {
  const window = windowAttributes(ctx);
  if (window.dilations.some((d) => d !== 1)) {
    throw ctx.error('dilated max pooling is not supported', 'feature visualization translates undilated pools');
  }
  if (ctx.node.output.length > 1 && ctx.node.output[1] !== '') {
    throw ctx.error('the indices output is not supported', 'export the model without MaxPool indices');
  }
  return (inputs) => {
    const x = arranged(required(ctx, inputs, 0), NHWC) as tf.Tensor4D;
    const { reach } = windowPads(window, [x.shape[1], x.shape[2]]);
    const padded = reach.some((p) => p !== 0) ? padOrCrop(x, reach, MAX_POOL_PADDING) : x;
    return [{ tensor: maxPoolFirstArgmax(padded, window.kernel, window.strides), perm: NHWC }];
  };
}

/**
 * tf.maxPool whose gradient goes to the first maximum of each window. tf.js's own gradient is zero for a
 * channel whose window values tie (all zero behind a dead ReLU, as from a gray start image), which left
 * feature visualization of pooled units stuck at zero.
 */
function maxPoolFirstArgmax(x: tf.Tensor4D, kernel: [number, number], strides: [number, number]): tf.Tensor4D {
  return withGradient(
    x,
    (input) => tf.maxPool(input as tf.Tensor4D, kernel, strides, 'valid'),
    (dy, input) => firstArgmaxGradient(dy, input, kernel, strides),
  );
}

/** The input gradient of an unpadded max pool of `input`, each window's dy to its first maximum. */
export function firstArgmaxGradient(
  dy: tf.Tensor,
  input: tf.Tensor,
  kernel: [number, number],
  strides: [number, number],
): tf.Tensor4D {
  return tf.tensor4d(
    maxPoolAdjoint(
      input.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      input.shape,
      dy.shape,
      kernel,
      strides,
    ),
    input.shape as [number, number, number, number],
  );
}

function maxPoolAdjoint(
  x: Float32Array,
  dy: Float32Array,
  inShape: readonly number[],
  outShape: readonly number[],
  kernel: [number, number],
  strides: [number, number],
): Float32Array {
  const [batch, height, width, channels] = inShape as [number, number, number, number];
  const [, outHeight, outWidth] = outShape as [number, number, number, number];
  const dx = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const out = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < kernel[0]; ky++) {
            const row = (b * height + oy * strides[0] + ky) * width;
            for (let kx = 0; kx < kernel[1]; kx++) {
              const index = (row + ox * strides[1] + kx) * channels + c;
              if (x[index]! > best) [best, at] = [x[index]!, index];
            }
          }
          if (at >= 0) dx[at]! += dy[out + c]!;
        }
      }
    }
  }
  return dx;
}

/**
 * The average over each window of the values inside the input (count_include_pad 0) or inside the input and
 * its explicit pads (1): a sum pool divided by a count pool of a mask, both as average pools of padded tensors.
 */
function averagePool(ctx: NodeContext): ReturnType<OpTranslator> {
  const window = windowAttributes(ctx);
  if (window.dilations.some((d) => d !== 1)) {
    throw ctx.error('dilated average pooling is not supported', 'feature visualization translates undilated pools');
  }
  const includePad = ctx.int('count_include_pad', 0) === 1;
  return (inputs) => {
    const x = arranged(required(ctx, inputs, 0), NHWC) as tf.Tensor4D;
    const size: [number, number] = [x.shape[1], x.shape[2]];
    const { pads, reach } = windowPads(window, size);
    if (reach.every((p) => p === 0)) {
      return [{ tensor: tf.avgPool(x, window.kernel, window.strides, 'valid'), perm: NHWC }];
    }
    const sums = tf.avgPool(padOrCrop(x, reach), window.kernel, window.strides, 'valid');
    const ones = tf.ones<tf.Rank.R4>([1, size[0], size[1], 1]);
    const mask = includePad
      ? padOrCrop(padOrCrop(ones, pads, 1), [0, 0, reach[2] - pads[2], reach[3] - pads[3]])
      : padOrCrop(ones, reach);
    const counts = tf.avgPool(mask, window.kernel, window.strides, 'valid');
    return [{ tensor: tf.div(sums, counts), perm: NHWC }];
  };
}

/** Global pools reduce every axis after the channels: stored channels-last, the result keeps that order. */
function globalPool(reduce: (x: tf.Tensor, axes: number[]) => tf.Tensor): OpTranslator {
  return (ctx) => (inputs) => {
    const input = required(ctx, inputs, 0);
    const rank = input.perm.length;
    const perm = channelsLastPerm(rank);
    const x = arranged(input, perm);
    const axes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
    return [{ tensor: reduce(x, axes), perm } satisfies Value];
  };
}

export const POOL_OPS: Record<string, OpTranslator> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalPool((x, axes) => tf.mean(x, axes, true)),
  GlobalMaxPool: globalPool((x, axes) => tf.max(x, axes, true)),
};
