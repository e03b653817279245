/**
 * tf.customGrad for one input, typed: `value(x)` forward, `gradient(dy, x)` the input gradient. The input
 * is handed to the gradient through tf.js's save mechanism: a tensor captured by a closure instead would
 * already be freed when the gradient runs.
 */
import * as tf from '@tensorflow/tfjs-core';

export function withGradient<T extends tf.Tensor>(
  x: tf.Tensor,
  value: (x: tf.Tensor) => T,
  gradient: (dy: T, x: tf.Tensor) => tf.Tensor,
): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    return { value: value(input), gradFunc: (dy: T, saved: tf.Tensor[]) => gradient(dy, saved[0]!) };
  });
  return f(x);
}
