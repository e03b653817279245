/**
 * A CnnSpec as plain tfjs variables and ops (NHWC activations, HWIO conv kernels, [in, out] dense
 * kernels, tfjs flattening order h, w, c). Written with ops rather than tf.layers so that every random
 * draw (initial weights, dropout masks) comes from an explicit seed and a run is reproducible.
 */
import * as tf from '@tensorflow/tfjs';
import { layerShapes, type CnnSpec } from './cnn-spec.js';

export interface LayerWeights {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** Weights per trainable layer name (convs and denses). */
export type CnnWeights = Map<string, LayerWeights>;

/** Glorot-uniform kernels and zero biases (the Keras defaults), each kernel drawn from seed + layer index. */
export function initialWeights(spec: CnnSpec, seed: number): CnnWeights {
  const shapes = layerShapes(spec);
  const weights: CnnWeights = new Map();
  spec.layers.forEach((layer, index) => {
    const inChannels = shapes[index]![2];
    let kernelShape: number[];
    if (layer.kind === 'conv') kernelShape = [layer.kernelSize, layer.kernelSize, inChannels, layer.filters];
    else if (layer.kind === 'dense') kernelShape = [inChannels, layer.units];
    else return;
    const init = tf.initializers.glorotUniform({ seed: seed + index });
    const outChannels = kernelShape[kernelShape.length - 1]!;
    weights.set(layer.name, {
      kernel: tf.variable(init.apply(kernelShape), true),
      bias: tf.variable(tf.zeros([outChannels]), true),
    });
  });
  return weights;
}

function weightsOf(weights: CnnWeights, name: string): LayerWeights {
  const found = weights.get(name);
  if (!found) throw new Error(`no weights for layer '${name}'; build them with initialWeights(spec, seed)`);
  return found;
}

export interface ForwardOptions {
  /** Apply dropout (training). Default false. */
  training?: boolean;
  /** Seed of this step's dropout masks; vary it per step. Default 0. */
  dropoutSeed?: number;
}

/** Logits [batch, classes] for images [batch, side, side, 1]. */
export function forwardLogits(
  spec: CnnSpec,
  weights: CnnWeights,
  images: tf.Tensor4D,
  options: ForwardOptions = {},
): tf.Tensor2D {
  const training = options.training ?? false;
  const dropoutSeed = options.dropoutSeed ?? 0;
  return tf.tidy(() => {
    let x: tf.Tensor = images;
    spec.layers.forEach((layer, index) => {
      if (layer.kind === 'conv') {
        const { kernel, bias } = weightsOf(weights, layer.name);
        x = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid'), bias));
      } else if (layer.kind === 'maxPool') {
        x = tf.maxPool(x as tf.Tensor4D, layer.size, layer.size, 'valid');
      } else if (layer.kind === 'flatten') {
        x = tf.reshape(x, [x.shape[0], -1]);
      } else if (layer.kind === 'dropout') {
        if (training) x = tf.dropout(x, layer.rate, undefined, dropoutSeed * 31 + index);
      } else {
        const { kernel, bias } = weightsOf(weights, layer.name);
        x = tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias);
        if (layer.relu) x = tf.relu(x);
      }
    });
    return x as tf.Tensor2D;
  });
}

/** Softmax probabilities for `count` images stored flat in `pixels`, computed in batches. */
export function predictProbabilities(
  spec: CnnSpec,
  weights: CnnWeights,
  pixels: Float32Array,
  count: number,
  batchSize = 256,
): Float32Array {
  const size = spec.side * spec.side;
  const out = new Float32Array(count * spec.classes);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const probabilities = tf.tidy(() => {
      const batch = tf.tensor4d(pixels.subarray(start * size, (start + n) * size), [n, spec.side, spec.side, 1]);
      return tf.softmax(forwardLogits(spec, weights, batch));
    });
    out.set(probabilities.dataSync(), start * spec.classes);
    probabilities.dispose();
  }
  return out;
}

/** Fraction of rows of `probabilities` whose argmax equals the label. */
export function accuracyOf(probabilities: Float32Array, labels: Uint8Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++)
      if (probabilities[i * classes + k]! > probabilities[i * classes + best]!) best = k;
    if (best === labels[i]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}
