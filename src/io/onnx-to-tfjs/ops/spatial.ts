/** Padding arithmetic shared by convolutions and pools over the two spatial axes of an NHWC tensor. */
import * as tf from '@tensorflow/tfjs-core';
import type { NodeContext } from '../node-context.js';

/** [top, left, bottom, right], ONNX's [x1_begin, x2_begin, x1_end, x2_end]. */
export type Pads = [number, number, number, number];

export interface WindowAttributes {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  autoPad: string;
  pads: Pads;
  ceilMode: boolean;
}

/** The window attributes of a 2-D Conv, ConvTranspose or pool node; `kernel` from the weights when not given. */
export function windowAttributes(ctx: NodeContext, kernel?: [number, number]): WindowAttributes {
  const shape = ctx.ints('kernel_shape') ?? kernel;
  if (shape === undefined || shape.length !== 2) {
    throw ctx.error(
      `a kernel of ${shape?.length ?? 'unknown'} spatial dimensions is not supported`,
      'feature visualization translates 2-D convolutions and pools (images)',
    );
  }
  const pair = (name: string): [number, number] => {
    const values = ctx.ints(name);
    return values === undefined || values.length === 0 ? [1, 1] : [values[0]!, values[1] ?? values[0]!];
  };
  const pads = ctx.ints('pads') ?? [0, 0, 0, 0];
  return {
    kernel: [shape[0]!, shape[1]!],
    strides: pair('strides'),
    dilations: pair('dilations'),
    autoPad: ctx.string('auto_pad', 'NOTSET'),
    pads: [pads[0] ?? 0, pads[1] ?? 0, pads[2] ?? 0, pads[3] ?? 0],
    ceilMode: ctx.int('ceil_mode', 0) === 1,
  };
}

export function effectiveKernel(window: Pick<WindowAttributes, 'kernel' | 'dilations'>, axis: 0 | 1): number {
  return (window.kernel[axis] - 1) * window.dilations[axis] + 1;
}

/** The pads a window applies to an input of `size` [height, width] (auto_pad resolved). */
export function resolvePads(window: WindowAttributes, size: [number, number]): Pads {
  if (window.autoPad === 'VALID') return [0, 0, 0, 0];
  if (window.autoPad !== 'SAME_UPPER' && window.autoPad !== 'SAME_LOWER') return window.pads;
  const total = ([0, 1] as const).map((axis) => {
    const out = Math.ceil(size[axis] / window.strides[axis]);
    return Math.max(0, (out - 1) * window.strides[axis] + effectiveKernel(window, axis) - size[axis]);
  });
  const begin = total.map((t) => (window.autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
  return [begin[0]!, begin[1]!, total[0]! - begin[0]!, total[1]! - begin[1]!];
}

/** Output size of a window over `size` with `pads`; ceil mode drops a last window that starts in the end padding. */
export function windowOutput(window: WindowAttributes, size: [number, number], pads: Pads): [number, number] {
  const out = ([0, 1] as const).map((axis) => {
    const span = size[axis] + pads[axis] + pads[axis + 2]! - effectiveKernel(window, axis);
    if (!window.ceilMode) return Math.floor(span / window.strides[axis]) + 1;
    let count = Math.ceil(span / window.strides[axis]) + 1;
    if ((count - 1) * window.strides[axis] >= size[axis] + pads[axis]) count--;
    return count;
  });
  return [out[0]!, out[1]!];
}

/** Pads (positive) or crops (negative) the spatial axes of an NHWC tensor. */
export function padOrCrop(x: tf.Tensor4D, pads: Pads, value = 0): tf.Tensor4D {
  const [top, left, bottom, right] = pads;
  const grow = pads.map((p) => Math.max(0, p));
  let result = pads.some((p) => p > 0)
    ? tf.pad(
        x,
        [
          [0, 0],
          [grow[0]!, grow[2]!],
          [grow[1]!, grow[3]!],
          [0, 0],
        ],
        value,
      )
    : x;
  if (pads.some((p) => p < 0)) {
    const [, height, width] = result.shape;
    const cut = [Math.max(0, -top), Math.max(0, -left), Math.max(0, -bottom), Math.max(0, -right)];
    result = tf.slice(
      result,
      [0, cut[0]!, cut[1]!, 0],
      [-1, height - cut[0]! - cut[2]!, width - cut[1]! - cut[3]!, -1],
    );
  }
  return result;
}
