/**
 * The gradients feature visualization takes through a TF.js model run by tf.js itself, registered for tf.js's
 * kernels while such a model is loaded (tf.js keeps one gradient per kernel for the whole process):
 * - Conv2D and DepthwiseConv2dNative: the input gradient as the adjoint, forward convolutions
 *   (src/io/onnx-to-tfjs/ops/conv-adjoint.ts): wasm has no DepthwiseConv2dNativeBackpropInput kernel, and its
 *   Conv2DBackpropInput is 12x slower than a forward convolution;
 * - FusedBatchNorm: the input gradient as a broadcast product (tf.js tiles the scale to the input's shape
 *   first, which took most of a MobileNetV2 backward pass on wasm);
 * - Relu, Relu6 and ClipByValue from 0: the redirected ReLU gradient, as the ONNX translation gives them
 *   (src/io/onnx-to-tfjs/ops/redirected-relu.ts);
 * - AvgPool with padding: tf.js's gradient divides by the whole window where the forward pass divides by the
 *   values inside the input (0.78 relative error on a 6x6 'same' pool; InceptionV3's mixed blocks have them),
 *   so the input is padded explicitly and the gradient of the unpadded pool scaled by each window's share;
 * - MaxPool: each window's gradient to its first maximum, as the ONNX translation gives it (tf.js's own is zero
 *   for a window whose values tie, as behind a dead ReLU).
 * The other inputs' gradients stay tf.js's own, computed only when asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convolutionAdjoint, flippedFilter } from '../onnx-to-tfjs/ops/conv-adjoint.js';
import { firstArgmaxGradient, MAX_POOL_PADDING } from '../onnx-to-tfjs/ops/pool.js';
import { padOrCrop, type Pads } from '../onnx-to-tfjs/ops/spatial.js';
import { redirectedClipGradient } from '../onnx-to-tfjs/ops/redirected-relu.js';

type GradientMap = Record<string, () => tf.Tensor>;
type InputGradient = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => tf.Tensor;

interface Replacement {
  /** The kernel's input names (the keys of its gradient map). */
  inputs: string[];
  x: InputGradient;
}

interface ConvolutionAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const REPLACEMENTS: Record<string, Replacement> = {
  Conv2D: { inputs: ['x', 'filter'], x: convolutionGradient(false) },
  DepthwiseConv2dNative: { inputs: ['x', 'filter'], x: convolutionGradient(true) },
  FusedBatchNorm: {
    inputs: ['x', 'mean', 'variance', 'offset', 'scale'],
    x: (dy, [, , variance, scale], attrs) => {
      const factor = tf.rsqrt(tf.add(variance!, (attrs as { varianceEpsilon: number }).varianceEpsilon));
      return tf.mul(dy, scale === undefined ? factor : tf.mul(factor, scale));
    },
  },
  Relu: { inputs: ['x'], x: (dy, [x]) => redirectedClipGradient(dy, x!, 0, Infinity) },
  Relu6: { inputs: ['x'], x: (dy, [x]) => redirectedClipGradient(dy, x!, 0, 6) },
  ClipByValue: { inputs: ['x'], x: clipGradient },
  AvgPool: { inputs: ['x'], x: averagePoolGradient },
  MaxPool: { inputs: ['x'], x: maxPoolGradient },
};

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

let users = 0;
const originals = new Map<string, tf.GradConfig>();

/** Registers the gradients; returns the function that restores tf.js's own once every user released them. */
export function useVisualizationGradients(): () => void {
  if (users++ === 0) {
    for (const [kernelName, replacement] of Object.entries(REPLACEMENTS)) {
      const original = tf.getGradient(kernelName);
      if (original === undefined) continue;
      originals.set(kernelName, original);
      tf.registerGradient({ ...original, gradFunc: replaced(original, replacement) });
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) {
      for (const original of originals.values()) tf.registerGradient(original);
      originals.clear();
    }
  };
}

function replaced(original: tf.GradConfig, replacement: Replacement): tf.GradFunc {
  return (dy, saved, attrs) => {
    let others: GradientMap | undefined;
    const gradients: GradientMap = {};
    for (const input of replacement.inputs) {
      gradients[input] =
        input === 'x'
          ? () => replacement.x(dy as tf.Tensor, saved, attrs)
          : () => (others ??= original.gradFunc(dy, saved, attrs))[input]!();
    }
    return gradients;
  };
}

function clipGradient(dy: tf.Tensor, [x]: tf.Tensor[], attrs: tf.NamedAttrMap): tf.Tensor {
  const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number };
  if (clipValueMin === 0) return redirectedClipGradient(dy, x!, 0, clipValueMax);
  const inside = tf.mul(tf.step(tf.sub(x!, clipValueMin)), tf.step(tf.sub(clipValueMax, x!)));
  return tf.mul(dy, inside);
}

function convolutionGradient(depthwise: boolean): InputGradient {
  return (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const conv = attrs as unknown as ConvolutionAttrs;
    if (conv.dataFormat === 'NCHW') {
      throw new Error(`nap computes the input gradient of channels-last convolutions only (${conv.dataFormat})`);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filter.shape,
      conv.strides,
      conv.dilations ?? 1,
      conv.pad,
      conv.dimRoundingMode,
      depthwise,
    );
    const { top, left, bottom, right } = info.padInfo;
    const window = {
      kernel: [info.filterHeight, info.filterWidth] as [number, number],
      strides: [info.strideHeight, info.strideWidth] as [number, number],
      dilations: [info.dilationHeight, info.dilationWidth] as [number, number],
    };
    const flipped = flippedFilter(filter, depthwise);
    const size: [number, number] = [x.shape[1], x.shape[2]];
    return convolutionAdjoint(dy as tf.Tensor4D, filter, flipped, depthwise, window, [top, left, bottom, right], size);
  };
}

/**
 * The input gradient of an average pool that leaves padding out of its counts: each window's dy divided by the
 * share of the window inside the input, spread by the unpadded pool's gradient over the padded input, cropped.
 */
function averagePoolGradient(dy: tf.Tensor, [x]: tf.Tensor[], attrs: tf.NamedAttrMap): tf.Tensor {
  const input = x as tf.Tensor4D;
  const { kernel, strides, pads } = poolWindow(input, attrs);
  const inside = padOrCrop(tf.ones<tf.Rank.R4>([1, input.shape[1], input.shape[2], 1]), pads);
  const share = tf.avgPool(inside, kernel, strides, 'valid');
  const spread = tf
    .engine()
    .runKernel<tf.Tensor4D>(
      'AvgPoolGrad',
      { dy: tf.div(dy, share), input: padOrCrop(input, pads) },
      { filterSize: kernel, strides, pad: 'valid' },
    );
  return padOrCrop(spread, cropping(pads));
}

function maxPoolGradient(dy: tf.Tensor, [x]: tf.Tensor[], attrs: tf.NamedAttrMap): tf.Tensor {
  const input = x as tf.Tensor4D;
  const { kernel, strides, pads } = poolWindow(input, attrs);
  const spread = firstArgmaxGradient(dy, padOrCrop(input, pads, MAX_POOL_PADDING), kernel, strides);
  return padOrCrop(spread, cropping(pads));
}

/** The pads that crop what `pads` added (padOrCrop leaves a tensor as it is for zero pads). */
const cropping = ([top, left, bottom, right]: Pads): Pads => [-top, -left, -bottom, -right];

/** A pool kernel's window and its [top, left, bottom, right] pads over `input`. */
function poolWindow(
  input: tf.Tensor4D,
  attrs: tf.NamedAttrMap,
): { kernel: [number, number]; strides: [number, number]; pads: Pads } {
  const pool = attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape,
    pool.filterSize,
    pool.strides,
    1,
    pool.pad,
    pool.dimRoundingMode,
  );
  const { top, left, bottom, right } = info.padInfo;
  return {
    kernel: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    pads: [top, left, bottom, right],
  };
}
