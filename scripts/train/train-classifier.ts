/** Mini-batch Adam training of a CnnSpec on labeled images, reproducible from one seed. */
import * as tf from '@tensorflow/tfjs';
import type { CnnSpec } from './cnn-spec.js';
import type { LabeledImages } from './labeled-images.js';
import { shuffledIndices } from './shuffled-indices.js';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import { shiftBatch } from './shift-augmentation.js';
import { accuracyOf, forwardLogits, initialWeights, predictProbabilities, type CnnWeights } from './tfjs-cnn.js';

export interface TrainOptions {
  /** Seeds weights, batch order and dropout masks. Required: it goes into the metadata. */
  seed: number;
  /** Passes over the training set. Default 3. */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Adam learning rate of the first epoch. Default 1e-3. */
  learningRate?: number;
  /** Factor applied to the learning rate after each epoch (epoch e uses learningRate * decay^(e-1)). Default 1. */
  learningRateDecay?: number;
  /**
   * Shift every training image by a random whole number of pixels in [-maxShift, maxShift] along each
   * axis, drawn afresh each time the image is used. Default 0 (no augmentation).
   */
  maxShift?: number;
  /** Images scored after each epoch to report progress (not used for any decision). Default none. */
  monitor?: LabeledImages;
  /** Progress lines (one per log interval and per epoch). Default: none. */
  log?: (line: string) => void;
  /** Batches between progress lines. Default 25. */
  logEvery?: number;
}

export interface TrainResult {
  weights: CnnWeights;
  seconds: number;
  epochs: number;
}

export function trainClassifier(spec: CnnSpec, data: LabeledImages, options: TrainOptions): TrainResult {
  const epochs = options.epochs ?? 3;
  const batchSize = options.batchSize ?? 64;
  const learningRate = options.learningRate ?? 1e-3;
  const learningRateDecay = options.learningRateDecay ?? 1;
  const maxShift = options.maxShift ?? 0;
  const logEvery = options.logEvery ?? 25;
  const log = options.log ?? (() => {});
  if (data.height !== spec.side || data.width !== spec.side) {
    throw new Error(
      `training images are ${data.height}x${data.width} but ${spec.name} expects ${spec.side}x${spec.side}`,
    );
  }

  const weights = initialWeights(spec, options.seed);
  const variables = [...weights.values()].flatMap((w) => [w.kernel, w.bias]);
  const optimizer = tf.train.adam(learningRate);
  const random = mulberry32(options.seed);
  // A stream of its own, so that turning augmentation on or off leaves the batch order unchanged.
  const shiftRandom = mulberry32(options.seed ^ 0x5a5a5a5a);
  const size = spec.side * spec.side;
  const batchPixels = new Float32Array(batchSize * size);
  const batchLabels = new Int32Array(batchSize);
  const started = performance.now();
  let step = 0;

  for (let epoch = 1; epoch <= epochs; epoch++) {
    // AdamOptimizer reads its (protected) learningRate on every step, so changing it keeps the moments.
    const epochRate = learningRate * learningRateDecay ** (epoch - 1);
    (optimizer as unknown as { learningRate: number }).learningRate = epochRate;
    const order = shuffledIndices(data.count, random);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < data.count; start += batchSize) {
      const n = Math.min(batchSize, data.count - start);
      for (let i = 0; i < n; i++) {
        const source = order[start + i]!;
        batchPixels.set(data.pixels.subarray(source * size, (source + 1) * size), i * size);
        batchLabels[i] = data.labels[source]!;
      }
      if (maxShift > 0) shiftBatch(batchPixels, n, spec.side, maxShift, shiftRandom);
      step++;
      const xs = tf.tensor4d(batchPixels.slice(0, n * size), [n, spec.side, spec.side, 1]);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(batchLabels.slice(0, n), 'int32'), spec.classes));
      const dropoutSeed = options.seed * 100003 + step;
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(ys, forwardLogits(spec, weights, xs, { training: true, dropoutSeed })),
        true,
        variables,
      );
      lossSum += loss ? loss.dataSync()[0]! : NaN;
      tf.dispose([xs, ys, ...(loss ? [loss] : [])]);
      batches++;
      if (batches % logEvery === 0) {
        const elapsed = (performance.now() - started) / 1000;
        log(
          `epoch ${epoch}/${epochs} batch ${batches}/${Math.ceil(data.count / batchSize)} loss ${(lossSum / batches).toFixed(4)} (${elapsed.toFixed(0)} s)`,
        );
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    let line = `epoch ${epoch}/${epochs} done (learning rate ${epochRate.toPrecision(3)}): mean loss ${(lossSum / batches).toFixed(4)}, ${elapsed.toFixed(0)} s`;
    if (options.monitor) {
      const monitor = options.monitor;
      const accuracy = accuracyOf(
        predictProbabilities(spec, weights, monitor.pixels, monitor.count),
        monitor.labels,
        spec.classes,
      );
      line += `, monitor accuracy ${(accuracy * 100).toFixed(2)}% on ${monitor.count}`;
    }
    log(line);
  }
  optimizer.dispose();
  return { weights, seconds: (performance.now() - started) / 1000, epochs };
}
