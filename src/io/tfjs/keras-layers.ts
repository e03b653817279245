/**
 * One converter per supported Keras layer class: each adds the ONNX nodes that compute the layer (the
 * last one named after the layer call's output) and returns the output's Keras shape.
 */
import {
  layerError,
  NHWC_TO_NCHW,
  onnxAxis,
  pair,
  toKerasOrder,
  type ConversionContext,
  type Tensor,
} from './conversion-context.js';
import { activate, isLinear } from './keras-activations.js';
import { conv2d, depthwiseConv2d, globalPooling2d, imageInput, pooling2d, separableConv2d } from './keras-conv.js';
import type { KerasShape, LayerCall } from './keras-topology.js';
import { configText } from './model-json.js';

export type LayerConverter = (ctx: ConversionContext, call: LayerCall, inputs: Tensor[]) => KerasShape;

function one(ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): Tensor {
  if (inputs.length !== 1) throw layerError(ctx, call, `has ${inputs.length} inputs`, 'this layer takes one input');
  return inputs[0]!;
}

/** The ONNX axis of the channels (Keras' last axis). */
function channelAxis(shape: KerasShape): number {
  return onnxAxis(-1, shape.length);
}

function product(dims: KerasShape): number | null {
  return dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a * b, 1);
}

function numberOption(ctx: ConversionContext, call: LayerCall, key: string, fallback: number): number {
  const value = call.config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw layerError(ctx, call, `has ${key} = ${configText(value)}`, `${key} must be a number`);
  return value;
}

const identity: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  ctx.node('Identity', [x.name], call.output);
  return x.shape;
};

const activation: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  activate(ctx, call.config.activation, x.name, call.output, channelAxis(x.shape));
  return x.shape;
};

const relu: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const max = call.config.max_value;
  const slope = numberOption(ctx, call, 'negative_slope', 0);
  if (numberOption(ctx, call, 'threshold', 0) !== 0 || (slope !== 0 && max != null)) {
    throw layerError(
      ctx,
      call,
      'combines a threshold or a negative slope with a max value',
      'nap converts ReLU with either max_value or negative_slope, and threshold 0',
    );
  }
  if (slope !== 0) ctx.node('LeakyRelu', [x.name], call.output, { alpha: { float: slope } });
  else if (max == null) ctx.node('Relu', [x.name], call.output);
  else ctx.node('Clip', [x.name, ctx.scalar(0), ctx.scalar(numberOption(ctx, call, 'max_value', 0))], call.output);
  return x.shape;
};

const leakyRelu: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const alpha = numberOption(ctx, call, 'alpha', numberOption(ctx, call, 'negative_slope', 0.3));
  ctx.node('LeakyRelu', [x.name], call.output, { alpha: { float: alpha } });
  return x.shape;
};

const elu: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  ctx.node('Elu', [x.name], call.output, { alpha: { float: numberOption(ctx, call, 'alpha', 1) } });
  return x.shape;
};

const thresholdedRelu: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  ctx.node('ThresholdedRelu', [x.name], call.output, { alpha: { float: numberOption(ctx, call, 'theta', 1) } });
  return x.shape;
};

const softmax: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const axis = call.config.axis ?? -1;
  if (typeof axis !== 'number')
    throw layerError(ctx, call, `normalizes over axes ${JSON.stringify(axis)}`, 'nap converts a softmax over one axis');
  ctx.node('Softmax', [x.name], call.output, { axis: onnxAxis(axis, x.shape.length) });
  return x.shape;
};

/** Keras' BatchNormalization(axis=-1) at inference: (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta. */
const batchNormalization: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const rawAxis: unknown =
    Array.isArray(call.config.axis) && call.config.axis.length === 1 ? call.config.axis[0] : (call.config.axis ?? -1);
  if (typeof rawAxis !== 'number' || x.shape.length < 2 || onnxAxis(rawAxis, x.shape.length) !== 1) {
    throw layerError(
      ctx,
      call,
      `normalizes axis ${JSON.stringify(call.config.axis)} of a rank-${x.shape.length} tensor`,
      'nap converts batch normalization over the channel (last) axis of image or feature tensors',
    );
  }
  const channels = x.shape[x.shape.length - 1];
  if (typeof channels !== 'number')
    throw layerError(ctx, call, 'reads a tensor with an unknown channel count', 'declare the model input shape');
  const param = (key: string, enabled: boolean, fallback: number): string =>
    ctx.constant(
      `${call.layer}/${key}`,
      [channels],
      enabled ? ctx.weight(call, key, [channels]).data : new Float32Array(channels).fill(fallback),
    );
  const gamma = param('gamma', call.config.scale !== false, 1);
  const beta = param('beta', call.config.center !== false, 0);
  const mean = param('moving_mean', true, 0);
  const variance = param('moving_variance', true, 1);
  ctx.node('BatchNormalization', [x.name, gamma, beta, mean, variance], call.output, {
    epsilon: { float: numberOption(ctx, call, 'epsilon', 1e-3) },
  });
  return x.shape;
};

/** Dense on the last axis: Gemm for [N, features], MatMul in Keras order for higher ranks. */
const dense: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const units = numberOption(ctx, call, 'units', 0);
  const features = x.shape[x.shape.length - 1];
  if (typeof features !== 'number' || x.shape.length < 2)
    throw layerError(
      ctx,
      call,
      `reads a tensor shaped [${x.shape.map(String).join(', ')}]`,
      'Dense needs a known feature count on the last axis',
    );
  const kernel = ctx.constant(
    `${call.layer}/kernel`,
    [features, units],
    ctx.weight(call, 'kernel', [features, units]).data,
  );
  const bias =
    call.config.use_bias === false
      ? undefined
      : ctx.constant(`${call.layer}/bias`, [units], ctx.weight(call, 'bias', [units]).data);
  const linear = isLinear(call.config.activation);
  const shape = [...x.shape.slice(0, -1), units];
  if (x.shape.length === 2) {
    const output = linear ? call.output : `${call.output}/linear`;
    ctx.node('Gemm', [x.name, kernel, ...(bias ? [bias] : [])], output);
    if (!linear) activate(ctx, call.config.activation, output, call.output, 1);
    return shape;
  }
  // Keras order puts the features last for MatMul; a rank-4 result goes back to channels-first at the end.
  const steps: ((input: string, output: string) => string)[] = [
    (input, output) => ctx.node('MatMul', [input, kernel], output),
  ];
  if (bias) steps.push((input, output) => ctx.node('Add', [input, bias], output));
  if (!linear) steps.push((input, output) => activate(ctx, call.config.activation, input, output, shape.length - 1));
  if (shape.length === 4) steps.push((input, output) => ctx.node('Transpose', [input], output, { perm: NHWC_TO_NCHW }));
  let current = toKerasOrder(ctx, x, `${call.output}/nhwc`);
  steps.forEach((step, i) => {
    current = step(current, i === steps.length - 1 ? call.output : `${call.output}/step${i}`);
  });
  return shape;
};

const flatten: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  // Keras flattens channels-last, so a channels-first image goes back to [N,H,W,C] first.
  const source = toKerasOrder(ctx, x, `${call.output}/nhwc`);
  ctx.node('Flatten', [source], call.output, { axis: 1 });
  return [x.shape[0] ?? null, product(x.shape.slice(1))];
};

const reshape: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const target = call.config.target_shape;
  if (
    !Array.isArray(target) ||
    !target.every((d) => typeof d === 'number' && Number.isInteger(d) && (d > 0 || d === -1))
  ) {
    throw layerError(
      ctx,
      call,
      `has target_shape ${JSON.stringify(target)}`,
      'target_shape must list positive sizes and at most one -1',
    );
  }
  const known = product(x.shape.slice(1));
  const fixed = (target as number[]).filter((d) => d > 0).reduce((a, b) => a * b, 1);
  const shape: KerasShape = [
    x.shape[0] ?? null,
    ...(target as number[]).map((d) => (d === -1 ? (known === null ? null : known / fixed) : d)),
  ];
  const source = toKerasOrder(ctx, x, `${call.output}/nhwc`);
  const reshaped = ctx.node(
    'Reshape',
    [source, ctx.int64s([0, ...(target as number[])])],
    shape.length === 4 ? `${call.output}/nhwc_out` : call.output,
  );
  if (shape.length === 4) ctx.node('Transpose', [reshaped], call.output, { perm: NHWC_TO_NCHW });
  return shape;
};

/** Permute(dims) reorders Keras axes 1..; both sides' storage orders are folded into one Transpose. */
const permute: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const dims = call.config.dims;
  const rank = x.shape.length;
  if (!Array.isArray(dims) || dims.length !== rank - 1)
    throw layerError(ctx, call, `has dims ${JSON.stringify(dims)}`, `give a permutation of 1..${rank - 1}`);
  const kerasPerm = [0, ...(dims as number[])];
  const storage = rank === 4 ? NHWC_TO_NCHW : kerasPerm.map((_, i) => i);
  // ONNX axis j of the output holds Keras output axis storage[j] = Keras input axis kerasPerm[storage[j]].
  const perm = storage.map((kerasAxis) => storage.indexOf(kerasPerm[kerasAxis]!));
  ctx.node('Transpose', [x.name], call.output, { perm });
  return kerasPerm.map((axis) => x.shape[axis] ?? null);
};

/** Keras padding/cropping options: n, [h, w] or [[top, bottom], [left, right]]. */
function edges(value: unknown, fallback: number): [number, number, number, number] {
  if (Array.isArray(value) && value.length === 2 && value.every(Array.isArray)) {
    const [[top, bottom], [left, right]] = value as [number[], number[]];
    return [top ?? 0, bottom ?? 0, left ?? 0, right ?? 0];
  }
  const [h, w] = pair(value, fallback);
  return [h, h, w, w];
}

const grow = (size: number | null, by: number): number | null => (size === null ? null : size + by);

const zeroPadding2d: LayerConverter = (ctx, call, inputs) => {
  const x = imageInput(ctx, call, inputs);
  const [top, bottom, left, right] = edges(call.config.padding, 1);
  ctx.node('Pad', [x.name, ctx.int64s([0, 0, top, left, 0, 0, bottom, right])], call.output, { mode: 'constant' });
  return [
    x.shape[0] ?? null,
    grow(x.shape[1] ?? null, top + bottom),
    grow(x.shape[2] ?? null, left + right),
    x.channels,
  ];
};

const cropping2d: LayerConverter = (ctx, call, inputs) => {
  const x = imageInput(ctx, call, inputs);
  const [top, bottom, left, right] = edges(call.config.cropping, 0);
  // Negative ends count from the end, so the crop does not need the image size.
  const end = (crop: number) => (crop > 0 ? -crop : Number.MAX_SAFE_INTEGER);
  ctx.node(
    'Slice',
    [x.name, ctx.int64s([top, left]), ctx.int64s([end(bottom), end(right)]), ctx.int64s([2, 3])],
    call.output,
  );
  return [
    x.shape[0] ?? null,
    grow(x.shape[1] ?? null, -top - bottom),
    grow(x.shape[2] ?? null, -left - right),
    x.channels,
  ];
};

/** TF.js UpSampling2D resizes without aligned corners or half-pixel centres: ONNX's 'asymmetric' transform. */
const upSampling2d: LayerConverter = (ctx, call, inputs) => {
  const x = imageInput(ctx, call, inputs);
  const [sh, sw] = pair(call.config.size, 2);
  const interpolation = configText(call.config.interpolation ?? 'nearest');
  if (interpolation !== 'nearest' && interpolation !== 'bilinear')
    throw layerError(ctx, call, `interpolates '${interpolation}'`, "nap converts 'nearest' and 'bilinear' upsampling");
  const scales = ctx.constant(`${call.layer}/scales`, [4], new Float32Array([1, 1, sh, sw]));
  ctx.node('Resize', [x.name, '', scales], call.output, {
    mode: interpolation === 'nearest' ? 'nearest' : 'linear',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
  const scale = (size: number | null, by: number) => (size === null ? null : size * by);
  return [x.shape[0] ?? null, scale(x.shape[1] ?? null, sh), scale(x.shape[2] ?? null, sw), x.channels];
};

/** Rescaling: x * scale + offset, each a number or one value per channel. */
const rescaling: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const operand = (key: string, fallback: number): string => {
    const value = call.config[key] ?? fallback;
    if (typeof value === 'number') return ctx.scalar(value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
      const dims = x.shape.length === 4 ? [value.length, 1, 1] : [value.length];
      return ctx.constant(`${call.layer}/${key}`, dims, Float32Array.from(value));
    }
    throw layerError(
      ctx,
      call,
      `has ${key} = ${JSON.stringify(value)}`,
      `${key} must be a number or one number per channel`,
    );
  };
  const scaled = ctx.node('Mul', [x.name, operand('scale', 1)], `${call.output}/scaled`);
  ctx.node('Add', [scaled, operand('offset', 0)], call.output);
  return x.shape;
};

/** PReLU's alpha has the input's shape without the batch ([H,W,C] for images, moved to [C,H,W]). */
const prelu: LayerConverter = (ctx, call, inputs) => {
  const x = one(ctx, call, inputs);
  const alpha = ctx.weight(call, 'alpha');
  let dims = alpha.shape;
  let data = alpha.data;
  if (x.shape.length === 4 && dims.length === 3) {
    const [h, w, c] = dims as [number, number, number];
    data = new Float32Array(data.length);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) data[k * h * w + i] = alpha.data[i * c + k]!;
    dims = [c, h, w];
  }
  ctx.node('PRelu', [x.name, ctx.constant(`${call.layer}/alpha`, dims, data)], call.output);
  return x.shape;
};

/** Elementwise merges; Keras requires equal ranks, and sizes broadcast where one side is 1. */
function merge(opType: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerConverter {
  return (ctx, call, inputs) => {
    if (inputs.length < 2 || (opType === 'Sub' && inputs.length !== 2)) {
      throw layerError(
        ctx,
        call,
        `merges ${inputs.length} tensors`,
        opType === 'Sub' ? 'Subtract takes exactly two inputs' : 'a merge layer takes two or more inputs',
      );
    }
    const rank = inputs[0]!.shape.length;
    if (inputs.some((t) => t.shape.length !== rank))
      throw layerError(ctx, call, 'merges tensors of different ranks', 'merge tensors of one rank');
    const names = inputs.map((t) => t.name);
    if (opType === 'Add' && names.length > 2) ctx.node('Sum', names, call.output);
    else if (opType === 'Add' || opType === 'Sub' || opType === 'Mul') {
      let current = names[0]!;
      for (let i = 1; i < names.length; i++)
        current = ctx.node(
          opType,
          [current, names[i]!],
          i === names.length - 1 ? call.output : `${call.output}/step${i}`,
        );
    } else ctx.node(opType, names, call.output);
    return inputs[0]!.shape.map((_, axis) => {
      const sizes = inputs.map((t) => t.shape[axis] ?? null);
      return sizes.find((s) => s !== null && s !== 1) ?? sizes.find((s) => s !== null) ?? null;
    });
  };
}

const concatenate: LayerConverter = (ctx, call, inputs) => {
  const rank = inputs[0]?.shape.length ?? 0;
  if (inputs.length < 2 || inputs.some((t) => t.shape.length !== rank))
    throw layerError(
      ctx,
      call,
      'concatenates fewer than two tensors or tensors of different ranks',
      'concatenate two or more tensors of one rank',
    );
  const axis = numberOption(ctx, call, 'axis', -1);
  const kerasAxis = axis < 0 ? axis + rank : axis;
  ctx.node(
    'Concat',
    inputs.map((t) => t.name),
    call.output,
    { axis: onnxAxis(axis, rank) },
  );
  const sizes = inputs.map((t) => t.shape[kerasAxis] ?? null);
  const joined = sizes.some((s) => s === null) ? null : (sizes as number[]).reduce((a, b) => a + b, 0);
  return inputs[0]!.shape.map((size, i) => (i === kerasAxis ? joined : size));
};

/** Layers that only act in training are identities at inference. */
const INFERENCE_IDENTITIES = [
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
];

export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  MaxPooling2D: pooling2d('MaxPool'),
  AveragePooling2D: pooling2d('AveragePool'),
  GlobalAveragePooling2D: globalPooling2d('ReduceMean'),
  GlobalMaxPooling2D: globalPooling2d('ReduceMax'),
  BatchNormalization: batchNormalization,
  Dense: dense,
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  PReLU: prelu,
  Softmax: softmax,
  Add: merge('Add'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Average: merge('Mean'),
  Concatenate: concatenate,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
  Rescaling: rescaling,
  ...Object.fromEntries(INFERENCE_IDENTITIES.map((name) => [name, identity])),
};
