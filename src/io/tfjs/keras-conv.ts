/** Keras convolution and pooling layers as ONNX Conv/MaxPool/AveragePool on channels-first tensors. */
import type { OnnxAttribute } from '../onnx/builder.js';
import { layerError, pair, type ConversionContext, type Tensor } from './conversion-context.js';
import { activate, isLinear } from './keras-activations.js';
import type { KerasShape, LayerCall } from './keras-topology.js';
import { configText } from './model-json.js';
import { hwioToOihw, slidingWindow, type Window, type WindowGeometry } from './window.js';

/** A channels-last image tensor [N,H,W,C] with a known channel count. */
/** An image batch [N, H, W, C] whose channel count is known; `batch` is N (null where unknown). */
type ImageTensor = Tensor & { batch: number | null; channels: number };

export function imageInput(ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): ImageTensor {
  if (inputs.length !== 1) throw layerError(ctx, call, `has ${inputs.length} inputs`, 'this layer takes one input');
  const [input] = inputs as [Tensor];
  const format = call.config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last') {
    throw layerError(
      ctx,
      call,
      `uses data_format '${configText(format)}'`,
      'nap converts channels_last Keras models (the TF.js default)',
    );
  }
  const [batch = null, , , channels] = input.shape;
  if (input.shape.length !== 4 || typeof channels !== 'number') {
    throw layerError(
      ctx,
      call,
      `reads a tensor shaped [${input.shape.map(String).join(', ')}]`,
      'this layer needs an image batch [N, H, W, C] with a known channel count',
    );
  }
  return { ...input, batch, channels };
}

/** The pads and output size of a layer's sliding window; errors name the layer. */
function windowGeometry(ctx: ConversionContext, call: LayerCall, shape: KerasShape, window: Window): WindowGeometry {
  return slidingWindow(
    shape,
    window,
    configText(call.config.padding ?? 'valid'),
    `layer '${call.layer}' (${call.className}) of ${ctx.source}`,
  );
}

function positiveInteger(ctx: ConversionContext, call: LayerCall, key: string, fallback?: number): number {
  const value = call.config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw layerError(ctx, call, `has ${key} = ${configText(value)}`, `${key} must be a positive integer`);
  }
  return value;
}

/** The bias input of a conv/dense op, or none when the layer has use_bias false. */
function biasInputs(ctx: ConversionContext, call: LayerCall, size: number): string[] {
  if (call.config.use_bias === false) return [];
  return [ctx.constant(`${call.layer}/bias`, [size], ctx.weight(call, 'bias', [size]).data)];
}

/** Runs the op into `<output>/linear` and applies the fused activation into `output`, or writes `output` directly. */
function withActivation(ctx: ConversionContext, call: LayerCall, emit: (output: string) => void): void {
  const activation = call.config.activation;
  if (isLinear(activation)) {
    emit(call.output);
    return;
  }
  emit(`${call.output}/linear`);
  activate(ctx, activation, `${call.output}/linear`, call.output, 1);
}

export function conv2d(ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): KerasShape {
  const x = imageInput(ctx, call, inputs);
  const kernel = pair(call.config.kernel_size, 1);
  const strides = pair(call.config.strides, 1);
  const dilations = pair(call.config.dilation_rate, 1);
  const filters = positiveInteger(ctx, call, 'filters');
  const groups = positiveInteger(ctx, call, 'groups', 1);
  if (x.channels % groups !== 0)
    throw layerError(
      ctx,
      call,
      `splits ${x.channels} channels into ${groups} groups`,
      'the channel count must be a multiple of groups',
    );
  const groupChannels = x.channels / groups;
  const weight = ctx.weight(call, 'kernel', [kernel[0], kernel[1], groupChannels, filters]);
  const w = ctx.constant(
    `${call.layer}/kernel`,
    [filters, groupChannels, ...kernel],
    hwioToOihw(weight.data, kernel[0], kernel[1], groupChannels, filters),
  );
  const { attributes, size } = windowGeometry(ctx, call, x.shape, { kernel, strides, dilations });
  const bias = biasInputs(ctx, call, filters);
  withActivation(ctx, call, (output) =>
    ctx.node('Conv', [x.name, w, ...bias], output, {
      kernel_shape: kernel,
      strides,
      dilations,
      group: groups,
      ...attributes,
    }),
  );
  return [x.batch, ...size, filters];
}

/** The depthwise part shared by DepthwiseConv2D and SeparableConv2D: one group per input channel. */
function depthwise(
  ctx: ConversionContext,
  call: LayerCall,
  x: ImageTensor,
  output: string,
  bias: boolean,
): { shape: [batch: number | null, height: number | null, width: number | null, channels: number]; channels: number } {
  const kernel = pair(call.config.kernel_size, 1);
  const strides = pair(call.config.strides, 1);
  const dilations = pair(call.config.dilation_rate, 1);
  const multiplier = positiveInteger(ctx, call, 'depth_multiplier', 1);
  const channels = x.channels * multiplier;
  // Keras 3 names a DepthwiseConv2D kernel 'kernel'; Keras 2 and TF.js 'depthwise_kernel'.
  const key =
    call.className === 'DepthwiseConv2D' && !ctx.hasWeight(call.layer, 'depthwise_kernel')
      ? 'kernel'
      : 'depthwise_kernel';
  const weight = ctx.weight(call, key, [kernel[0], kernel[1], x.channels, multiplier]);
  // [kh, kw, C, M] read as HWIO with one input channel and C*M outputs gives ONNX's grouped layout.
  const w = ctx.constant(
    `${call.layer}/depthwise_kernel`,
    [channels, 1, ...kernel],
    hwioToOihw(weight.data, kernel[0], kernel[1], 1, channels),
  );
  const { attributes, size } = windowGeometry(ctx, call, x.shape, { kernel, strides, dilations });
  const inputs = [x.name, w, ...(bias ? biasInputs(ctx, call, channels) : [])];
  ctx.node('Conv', inputs, output, { kernel_shape: kernel, strides, dilations, group: x.channels, ...attributes });
  return { shape: [x.batch, ...size, channels], channels };
}

export function depthwiseConv2d(ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): KerasShape {
  const x = imageInput(ctx, call, inputs);
  let shape: KerasShape = [];
  withActivation(ctx, call, (output) => {
    shape = depthwise(ctx, call, x, output, true).shape;
  });
  return shape;
}

export function separableConv2d(ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): KerasShape {
  const x = imageInput(ctx, call, inputs);
  const filters = positiveInteger(ctx, call, 'filters');
  const { shape, channels } = depthwise(ctx, call, x, `${call.output}/depthwise`, false);
  const weight = ctx.weight(call, 'pointwise_kernel', [1, 1, channels, filters]);
  const w = ctx.constant(
    `${call.layer}/pointwise_kernel`,
    [filters, channels, 1, 1],
    hwioToOihw(weight.data, 1, 1, channels, filters),
  );
  const bias = biasInputs(ctx, call, filters);
  withActivation(ctx, call, (output) =>
    ctx.node('Conv', [`${call.output}/depthwise`, w, ...bias], output, { kernel_shape: [1, 1] }),
  );
  return [shape[0], shape[1], shape[2], filters];
}

export function pooling2d(opType: 'MaxPool' | 'AveragePool') {
  return (ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): KerasShape => {
    const x = imageInput(ctx, call, inputs);
    const kernel = pair(call.config.pool_size, 2);
    const strides = call.config.strides == null ? kernel : pair(call.config.strides, 1);
    const { attributes, size } = windowGeometry(ctx, call, x.shape, { kernel, strides, dilations: [1, 1] });
    // TF averages over the pixels inside the image only, which is ONNX's count_include_pad = 0.
    const extra: Record<string, OnnxAttribute> = opType === 'AveragePool' ? { count_include_pad: 0 } : {};
    ctx.node(opType, [x.name], call.output, { kernel_shape: kernel, strides, ...attributes, ...extra });
    return [x.batch, ...size, x.channels];
  };
}

export function globalPooling2d(opType: 'ReduceMean' | 'ReduceMax') {
  return (ctx: ConversionContext, call: LayerCall, inputs: Tensor[]): KerasShape => {
    const x = imageInput(ctx, call, inputs);
    const keep = call.config.keepdims === true;
    ctx.node(opType, [x.name], call.output, { axes: [2, 3], keepdims: keep ? 1 : 0 });
    return keep ? [x.batch, 1, 1, x.channels] : [x.batch, x.channels];
  };
}
