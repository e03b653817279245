/**
 * Conv and ConvTranspose, channels-last in tf.js. Each convolution is a pair of linear maps, the forward
 * convolution and its adjoint (the transposed convolution), and each is the other's gradient: both run as
 * forward convolutions (conv-adjoint.ts), so a gradient costs about what the forward pass costs; the
 * weights never get a gradient here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convolutionAdjoint, flippedFilter } from './conv-adjoint.js';
import { withGradient } from './custom-gradient.js';
import { required, tensorOf, type NodeContext, type OpTranslator } from '../node-context.js';
import { arranged, channelsLastPerm, type Value } from '../value.js';
import { effectiveKernel, resolvePads, windowAttributes, type Pads, type WindowAttributes } from './spatial.js';

const NHWC: readonly number[] = channelsLastPerm(4);

/** tf.js's explicit padding (not exported by tfjs-core): [[0, 0], [top, bottom], [left, right], [0, 0]]. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** A convolution with fixed weights: `kind` depthwise has filter [kh, kw, C, multiplier], regular [kh, kw, C, M]. */
class Convolution {
  private backwardFilter: tf.Tensor4D | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly filter: tf.Tensor4D,
    private readonly depthwise: boolean,
    private readonly window: WindowAttributes,
  ) {}

  /** The convolution of NHWC `x` with `pads`; its gradient is the adjoint. */
  forward(x: tf.Tensor4D, pads: Pads): tf.Tensor4D {
    const inputSize: [number, number] = [x.shape[1], x.shape[2]];
    return withGradient(
      x,
      (input) => this.convolve(input as tf.Tensor4D, pads),
      (dy) => this.adjointOf(dy, pads, inputSize),
    );
  }

  /** The adjoint of forward() for inputs of `inputSize` (a transposed convolution); its gradient is forward(). */
  adjoint(y: tf.Tensor4D, pads: Pads, inputSize: [number, number]): tf.Tensor4D {
    return withGradient(
      y,
      (input) => this.adjointOf(input as tf.Tensor4D, pads, inputSize),
      (dy) => this.convolve(dy, pads),
    );
  }

  private convolve(x: tf.Tensor4D, pads: Pads): tf.Tensor4D {
    const { strides, dilations } = this.window;
    if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) {
      throw this.ctx.error(
        `strides [${strides.join(', ')}] together with dilations [${dilations.join(', ')}] are not supported by tf.js`,
        'feature visualization needs a model whose dilated convolutions have stride 1',
      );
    }
    const explicit: ExplicitPadding = [
      [0, 0],
      [pads[0], pads[2]],
      [pads[1], pads[3]],
      [0, 0],
    ];
    const anyPad = pads.some((p) => p !== 0);
    return this.depthwise
      ? tf.depthwiseConv2d(x, this.filter, strides, anyPad ? explicit : 'valid', 'NHWC', dilations)
      : tf.conv2d(x, this.filter, strides, anyPad ? explicit : 'valid', 'NHWC', dilations);
  }

  private adjointOf(dy: tf.Tensor4D, pads: Pads, inputSize: [number, number]): tf.Tensor4D {
    this.backwardFilter ??= this.ctx.keep(flippedFilter(this.filter, this.depthwise));
    return convolutionAdjoint(dy, this.filter, this.backwardFilter, this.depthwise, this.window, pads, inputSize);
  }
}

/** The ONNX weight [M, C/group, kh, kw] as constant data, or an error: feature visualization needs fixed weights. */
function constantWeight(ctx: NodeContext, index: number): tf.Tensor4D {
  const data = ctx.constantInput(index);
  if (data === undefined || data.dims.length !== 4) {
    throw ctx.error(
      data === undefined
        ? 'its weights are computed, not constant'
        : `weights of rank ${data.dims.length} are not supported`,
      'feature visualization translates 2-D convolutions with constant weights',
    );
  }
  return tensorOf(data) as tf.Tensor4D;
}

function biasOf(ctx: NodeContext, index: number): tf.Tensor1D | undefined {
  if (ctx.node.input[index] === undefined || ctx.node.input[index] === '') return undefined;
  const data = ctx.constantInput(index);
  if (data === undefined)
    throw ctx.error('its bias is computed, not constant', 'export the model with a constant bias');
  return ctx.keep(tf.reshape<tf.Rank.R1>(tensorOf(data), [-1]));
}

function withBias(y: tf.Tensor4D, bias: tf.Tensor1D | undefined): Value {
  return { tensor: bias === undefined ? y : tf.add(y, bias), perm: NHWC };
}

/** The convolutions of each group: one depthwise convolution when every group has one input channel. */
function groupConvolutions(
  ctx: NodeContext,
  weight: tf.Tensor4D,
  group: number,
  window: WindowAttributes,
): Convolution[] {
  const [outChannels, groupInputs] = weight.shape;
  // ONNX [M, C/g, kh, kw] -> tf.js [kh, kw, C/g, M].
  const filter = tf.transpose(weight, [2, 3, 1, 0]);
  if (group === 1) return [new Convolution(ctx, ctx.keep(filter), false, window)];
  if (groupInputs === 1) {
    // Depthwise: output channel c * multiplier + j reads input channel c.
    const multiplier = outChannels / group;
    const depthwise = tf.transpose(
      tf.reshape(weight, [group, multiplier, window.kernel[0], window.kernel[1]]),
      [2, 3, 0, 1],
    );
    return [new Convolution(ctx, ctx.keep(depthwise as tf.Tensor4D), true, window)];
  }
  const perGroup = outChannels / group;
  return Array.from(
    { length: group },
    (_, g) =>
      new Convolution(ctx, ctx.keep(tf.slice(filter, [0, 0, 0, g * perGroup], [-1, -1, -1, perGroup])), false, window),
  );
}

function conv(ctx: NodeContext): ReturnType<OpTranslator> {
  const weight = constantWeight(ctx, 1);
  const window = windowAttributes(ctx, [weight.shape[2], weight.shape[3]]);
  const group = ctx.int('group', 1);
  const convolutions = groupConvolutions(ctx, weight, group, window);
  const bias = biasOf(ctx, 2);
  return (inputs) => {
    const x = arranged(required(ctx, inputs, 0), NHWC) as tf.Tensor4D;
    const pads = resolvePads(window, [x.shape[1], x.shape[2]]);
    if (convolutions.length === 1) return [withBias(convolutions[0]!.forward(x, pads), bias)];
    const parts = tf.split<tf.Tensor4D>(x, convolutions.length, 3);
    return [
      withBias(
        tf.concat(
          parts.map((part, g) => convolutions[g]!.forward(part, pads)),
          3,
        ),
        bias,
      ),
    ];
  };
}

function convTranspose(ctx: NodeContext): ReturnType<OpTranslator> {
  const weight = constantWeight(ctx, 1);
  const window = windowAttributes(ctx, [weight.shape[2], weight.shape[3]]);
  if (ctx.int('group', 1) !== 1) {
    throw ctx.error('grouped transposed convolutions are not supported', 'export the model with group = 1');
  }
  // ConvTranspose is the adjoint of the Conv whose ONNX weight is this one read as [C_in, M, kh, kw].
  const convolution = new Convolution(ctx, ctx.keep(tf.transpose(weight, [2, 3, 1, 0])), false, window);
  const bias = biasOf(ctx, 2);
  const outputPadding = ctx.ints('output_padding') ?? [0, 0];
  const outputShape = ctx.ints('output_shape');
  return (inputs) => {
    const x = arranged(required(ctx, inputs, 0), NHWC) as tf.Tensor4D;
    const size: [number, number] = [x.shape[1], x.shape[2]];
    const full = ([0, 1] as const).map(
      (axis) => window.strides[axis] * (size[axis] - 1) + (outputPadding[axis] ?? 0) + effectiveKernel(window, axis),
    );
    let pads: Pads;
    let out: [number, number];
    if (outputShape !== undefined) {
      out = [outputShape[outputShape.length - 2]!, outputShape[outputShape.length - 1]!];
      const total = ([0, 1] as const).map((axis) => full[axis]! - out[axis]);
      const begin = total.map((t) => (window.autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2)));
      pads = [begin[0]!, begin[1]!, total[0]! - begin[0]!, total[1]! - begin[1]!];
    } else if (window.autoPad === 'SAME_UPPER' || window.autoPad === 'SAME_LOWER') {
      out = [size[0] * window.strides[0], size[1] * window.strides[1]];
      const total = ([0, 1] as const).map((axis) => full[axis]! - out[axis]);
      const begin = total.map((t) => (window.autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2)));
      pads = [begin[0]!, begin[1]!, total[0]! - begin[0]!, total[1]! - begin[1]!];
    } else {
      pads = window.autoPad === 'VALID' ? [0, 0, 0, 0] : window.pads;
      out = [full[0]! - pads[0] - pads[2], full[1]! - pads[1] - pads[3]];
    }
    return [withBias(convolution.adjoint(x, pads, out), bias)];
  };
}

export const CONV_OPS: Record<string, OpTranslator> = { Conv: conv, ConvTranspose: convTranspose };
