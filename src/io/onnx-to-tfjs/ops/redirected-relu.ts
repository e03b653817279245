/**
 * The gradient of clip(x, lo, hi) with Lucid's redirected ReLU gradient below `lo` for images (batch rows)
 * whose exact gradient is zero everywhere: it passes where it raises x (dy < 0 for a loss to minimise).
 * Which rows are dead is read back at once (tf.js runs gradients eagerly): most steps have none and cost
 * the exact gradient only, and a dead row is picked by a broadcast product, since a broadcast select
 * (tf.where) tiles its mask to the whole tensor and cost three times a MobileNetV2's backward pass.
 * The ONNX translation (elementwise.ts) and TF.js models run by tf.js itself (src/io/tfjs/gradients.ts)
 * share it.
 */
import * as tf from '@tensorflow/tfjs-core';

export function redirectedClipGradient(dy: tf.Tensor, input: tf.Tensor, lo: number, hi: number): tf.Tensor {
  // step() (x > 0) costs a third of a comparison and a logical and on the wasm backend.
  const below = lo === 0 ? tf.step(input) : tf.cast(tf.greater(input, lo), 'float32');
  const inside = hi === Infinity ? below : tf.mul(below, tf.step(tf.sub(hi, input)));
  const exact = tf.mul(dy, inside);
  if (input.rank === 0) return exact;
  const rows = input.shape[0];
  const sums = tf.sum(tf.abs(tf.reshape(exact, [rows, -1])), 1);
  const dead = Float32Array.from(sums.dataSync(), (sum) => (sum === 0 ? 1 : 0));
  sums.dispose();
  if (!dead.includes(1)) return exact;
  const raising = tf.cast(tf.logicalAnd(tf.lessEqual(input, lo), tf.less(dy, 0)), 'float32');
  const redirected = tf.mul(dy, raising);
  const perRow = tf.tensor(dead, [rows, ...new Array<number>(input.rank - 1).fill(1)]);
  return tf.add(exact, tf.mul(perRow, redirected));
}
