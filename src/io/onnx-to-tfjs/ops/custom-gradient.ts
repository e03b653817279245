/** tf.customGrad for one input, typed: `value(x)` forward, `gradient(dy)` the input gradient. */
import * as tf from '@tensorflow/tfjs-core';

export function withGradient<T extends tf.Tensor>(
  x: tf.Tensor,
  value: (x: tf.Tensor) => T,
  gradient: (dy: T) => tf.Tensor,
): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: value(args[0] as tf.Tensor),
    gradFunc: (dy: T) => gradient(dy),
  }));
  return f(x) as T;
}
