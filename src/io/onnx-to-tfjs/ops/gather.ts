/**
 * Gathering fixed indices along one axis. tf.js differentiates tf.gather through UnsortedSegmentSum, which
 * the wasm backend lacks; the gradient here scatters with a one-hot product instead (a ViT's class token,
 * strided slices: small index lists).
 */
import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './custom-gradient.js';

/** x gathered at `indices` (already in [0, size)) along `axis`; the axis becomes `indexShape`. */
export function gatherAxis(
  x: tf.Tensor,
  indices: readonly number[],
  indexShape: readonly number[],
  axis: number,
): tf.Tensor {
  const outShape = [...x.shape.slice(0, axis), ...indexShape, ...x.shape.slice(axis + 1)];
  // Index tensors are made where they are used: a tensor captured here would be freed before the gradient runs.
  const flat = (): tf.Tensor1D => tf.tensor1d(indices as number[], 'int32');
  if (x.dtype !== 'float32') return tf.reshape(tf.gather(x, flat(), axis), outShape);
  const size = x.shape[axis]!;
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const inputShape = x.shape;
  return withGradient(
    x,
    (input) => tf.reshape(tf.gather(input, flat(), axis), outShape),
    (dy) => {
      // dx[o, d, i] = sum over n of dy[o, n, i] * [indices[n] == d].
      // Built here rather than with tf.oneHot, whose wasm kernel writes int32 whatever dtype is asked for.
      const hot = new Float32Array(indices.length * size);
      indices.forEach((index, n) => (hot[n * size + index] = 1));
      const oneHot = tf.tensor2d(hot, [indices.length, size]);
      const rows = tf.reshape(tf.transpose(tf.reshape(dy, [outer, indices.length, inner]), [0, 2, 1]), [
        -1,
        indices.length,
      ]);
      const scattered = tf.reshape(tf.matMul(rows, oneHot), [outer, inner, size]);
      return tf.reshape(tf.transpose(scattered, [0, 2, 1]), inputShape);
    },
  );
}
