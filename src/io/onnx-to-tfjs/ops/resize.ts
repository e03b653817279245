/**
 * Resize (and the older Upsample) of the two spatial axes as two interpolation matrices, one per axis,
 * built in JavaScript from ONNX's coordinate rules: exact for every coordinate_transformation_mode and
 * nearest_mode of the linear and nearest modes, and differentiated by tf.js as matrix products
 * (tf.image's resize gradients ignore half-pixel centers).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readInts, required, type NodeContext, type OpTranslator } from '../node-context.js';
import { logical, plain, type Value } from '../value.js';

const TRANSFORMS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

interface ResizeRule {
  mode: 'linear' | 'nearest';
  transform: string;
  nearestMode: string;
}

/** The input coordinate that output position `x` reads (ONNX Resize). */
function sourceCoordinate(rule: ResizeRule, x: number, scale: number, inSize: number, outSize: number): number {
  switch (rule.transform) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : (x * (inSize - 1)) / (outSize - 1);
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
    default:
      return x / scale;
  }
}

function nearestIndex(mode: string, coordinate: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(coordinate);
    case 'ceil':
      return Math.ceil(coordinate);
    case 'round_prefer_ceil':
      return Math.round(coordinate);
    default:
      return Number.isInteger(coordinate - 0.5) ? coordinate - 0.5 : Math.round(coordinate);
  }
}

/** [outSize, inSize]: row o holds the weights output position o gives each input position. */
export function interpolationMatrix(rule: ResizeRule, inSize: number, outSize: number, scale: number): Float32Array {
  const matrix = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const coordinate = sourceCoordinate(rule, o, scale, inSize, outSize);
    if (rule.mode === 'nearest') {
      const index = Math.min(inSize - 1, Math.max(0, nearestIndex(rule.nearestMode, coordinate)));
      matrix[o * inSize + index] = 1;
    } else {
      const clamped = Math.min(inSize - 1, Math.max(0, coordinate));
      const low = Math.floor(clamped);
      const high = Math.min(inSize - 1, low + 1);
      const fraction = clamped - low;
      matrix[o * inSize + low]! += 1 - fraction;
      matrix[o * inSize + high]! += fraction;
    }
  }
  return matrix;
}

function resize(ctx: NodeContext): ReturnType<OpTranslator> {
  const mode = ctx.string('mode', 'nearest');
  const rule: ResizeRule = {
    mode: mode === 'linear' || mode === 'bilinear' ? 'linear' : 'nearest',
    transform: ctx.string('coordinate_transformation_mode', ctx.opset < 11 ? 'asymmetric' : 'half_pixel'),
    nearestMode: ctx.string('nearest_mode', ctx.opset < 11 ? 'floor' : 'round_prefer_floor'),
  };
  if (
    !['linear', 'bilinear', 'nearest'].includes(mode) ||
    !TRANSFORMS.includes(rule.transform) ||
    !NEAREST_MODES.includes(rule.nearestMode)
  ) {
    throw ctx.error(
      `mode '${mode}', coordinate_transformation_mode '${rule.transform}', nearest_mode '${rule.nearestMode}' is not supported`,
      `feature visualization translates linear and nearest resizing with ${TRANSFORMS.join(', ')}`,
    );
  }
  if (ctx.int('antialias', 0) !== 0 || ctx.int('exclude_outside', 0) !== 0) {
    throw ctx.error('antialias and exclude_outside are not supported', 'export the model without them');
  }
  return (inputs) => {
    const x = logical(required(ctx, inputs, 0));
    if (x.rank !== 4) throw ctx.error(`a rank-${x.rank} input is not supported`, 'resize images [N, C, H, W]');
    const [n, c, height, width] = x.shape as [number, number, number, number];
    const sizes = ctx.opset >= 11 && inputs[3] !== undefined ? readInts(inputs[3]) : [];
    let scales: number[];
    if (sizes.length === 4) scales = sizes.map((s, i) => s / x.shape[i]!);
    else {
      const scalesInput = ctx.opset < 11 ? inputs[1] : inputs[2];
      scales = ctx.opset < 9 ? (ctx.floats('scales') ?? []) : Array.from(logical(scalesInput as Value).dataSync());
    }
    if (scales[0] !== 1 || scales[1] !== 1) {
      throw ctx.error('scaling the batch or channel axis is not supported', 'resize only the spatial axes');
    }
    const out =
      sizes.length === 4 ? [sizes[2]!, sizes[3]!] : [Math.floor(height * scales[2]!), Math.floor(width * scales[3]!)];
    const rows = tf.tensor2d(interpolationMatrix(rule, height, out[0]!, scales[2]!), [out[0]!, height]);
    const columns = tf.tensor2d(interpolationMatrix(rule, width, out[1]!, scales[3]!), [out[1]!, width]);
    // [N*C*H, W] x [W, w'] -> [N*C, H, w'] -> [N*C*w', H] x [H, h'] -> [N*C, w', h'].
    const wide = tf.matMul(tf.reshape(x, [-1, width]), columns, false, true);
    const flipped = tf.reshape(tf.transpose(tf.reshape(wide, [n * c, height, out[1]!]), [0, 2, 1]), [-1, height]);
    const tall = tf.reshape(tf.matMul(flipped, rows, false, true), [n * c, out[1]!, out[0]!]);
    return [plain(tf.reshape(tf.transpose(tall, [0, 2, 1]), [n, c, out[0]!, out[1]!]))];
  };
}

export const RESIZE_OPS: Record<string, OpTranslator> = { Resize: resize, Upsample: resize };
