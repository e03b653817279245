/**
 * Transformation robustness (Lucid's standard transforms): every step sees each image jittered, scaled and
 * rotated at random, so the image cannot win by exploiting exact pixel positions. The warp is a bilinear
 * resampling written in JavaScript with its exact adjoint as the gradient; positions that fall outside
 * the image read gray (0.5), as Lucid's constant padding does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from './random.js';

export interface TransformOptions {
  /** Largest shift, as a share of the image side (Lucid: 12 px of padding and 8 + 4 px of jitter at 224). Default 0.05. */
  jitter?: number;
  /** Largest relative scale change (Lucid: 0.9 to 1.1). Default 0.1. */
  scale?: number;
  /** Largest rotation in degrees (Lucid: 10). Default 10. */
  rotate?: number;
}

export const DEFAULT_TRANSFORMS: Required<TransformOptions> = { jitter: 0.05, scale: 0.1, rotate: 10 };

const FILL = 0.5;

/** For each output pixel of each image: 4 source pixel indices (-1: outside) and their bilinear weights. */
interface Sampling {
  indices: Int32Array;
  weights: Float32Array;
}

function randomSampling(
  count: number,
  height: number,
  width: number,
  options: Required<TransformOptions>,
  randoms: readonly Random[],
): Sampling {
  const pixels = height * width;
  const indices = new Int32Array(count * pixels * 4);
  const weights = new Float32Array(count * pixels * 4);
  const shiftRange = options.jitter * Math.min(height, width);
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  for (let b = 0; b < count; b++) {
    const random = randoms[b]!;
    const angle = ((2 * random.next() - 1) * options.rotate * Math.PI) / 180;
    const scale = 1 + (2 * random.next() - 1) * options.scale;
    const ty = (2 * random.next() - 1) * shiftRange;
    const tx = (2 * random.next() - 1) * shiftRange;
    const cos = Math.cos(angle) / scale;
    const sin = Math.sin(angle) / scale;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // The source position whose content lands on (y, x): undo shift, scale and rotation about the centre.
        const dy = y - cy - ty;
        const dx = x - cx - tx;
        const sy = cos * dy - sin * dx + cy;
        const sx = sin * dy + cos * dx + cx;
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const fy = sy - y0;
        const fx = sx - x0;
        const at = ((b * height + y) * width + x) * 4;
        const corners = [
          [y0, x0, (1 - fy) * (1 - fx)],
          [y0, x0 + 1, (1 - fy) * fx],
          [y0 + 1, x0, fy * (1 - fx)],
          [y0 + 1, x0 + 1, fy * fx],
        ] as const;
        corners.forEach(([py, px, w], k) => {
          const inside = py >= 0 && py < height && px >= 0 && px < width;
          indices[at + k] = inside ? py * width + px : -1;
          weights[at + k] = w;
        });
      }
    }
  }
  return { indices, weights };
}

function warp(images: Float32Array, sampling: Sampling, count: number, pixels: number, channels: number): Float32Array {
  const out = new Float32Array(images.length);
  for (let b = 0; b < count; b++) {
    for (let p = 0; p < pixels; p++) {
      const at = (b * pixels + p) * 4;
      for (let c = 0; c < channels; c++) {
        let value = 0;
        for (let k = 0; k < 4; k++) {
          const index = sampling.indices[at + k]!;
          value += sampling.weights[at + k]! * (index < 0 ? FILL : images[(b * pixels + index) * channels + c]!);
        }
        out[(b * pixels + p) * channels + c] = value;
      }
    }
  }
  return out;
}

function warpAdjoint(
  dy: Float32Array,
  sampling: Sampling,
  count: number,
  pixels: number,
  channels: number,
): Float32Array {
  const dx = new Float32Array(dy.length);
  for (let b = 0; b < count; b++) {
    for (let p = 0; p < pixels; p++) {
      const at = (b * pixels + p) * 4;
      for (let k = 0; k < 4; k++) {
        const index = sampling.indices[at + k]!;
        if (index < 0) continue;
        const w = sampling.weights[at + k]!;
        for (let c = 0; c < channels; c++)
          dx[(b * pixels + index) * channels + c]! += w * dy[(b * pixels + p) * channels + c]!;
      }
    }
  }
  return dx;
}

/**
 * The images [count, height, width, channels] under a fresh random transform each, differentiably; image b's
 * transform is drawn from randoms[b].
 */
export function randomTransform(
  images: tf.Tensor4D,
  options: Required<TransformOptions>,
  randoms: readonly Random[],
): tf.Tensor4D {
  const [count, height, width, channels] = images.shape;
  const sampling = randomSampling(count, height, width, options, randoms);
  const pixels = height * width;
  const transform = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    return {
      value: tf.tensor4d(warp(input.dataSync() as Float32Array, sampling, count, pixels, channels), input.shape),
      gradFunc: (dy: tf.Tensor) =>
        tf.tensor4d(warpAdjoint(dy.dataSync() as Float32Array, sampling, count, pixels, channels), input.shape),
    };
  });
  return transform(images) as tf.Tensor4D;
}
