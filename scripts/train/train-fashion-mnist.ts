/**
 * Builds models/fashion-mnist-cnn.onnx + .json from the Fashion-MNIST IDX files: trains on the first
 * FASHION_TRAIN_IMAGES of the 60,000 training images (all of them; lower it to trade accuracy for time),
 * evaluates on all 10,000 test images. Run: npx tsc -p tsconfig.json && node build/scripts/train/train-fashion-mnist.js [--reuse-weights]
 */
import { buildModel } from './build-model.js';
import { FASHION_MNIST_CNN } from './cnn-spec.js';
import { FASHION_MNIST_DIR, FASHION_MNIST_LABELS, fashionMnistAvailable, loadFashionMnist } from './fashion-mnist.js';
import { firstImages } from './labeled-images.js';

const FASHION_TRAIN_IMAGES = 60_000;

if (!fashionMnistAvailable()) {
  throw new Error(
    `Fashion-MNIST IDX files not found in ${FASHION_MNIST_DIR}; install them there (train-/t10k- images and labels .gz)`,
  );
}
const { train, test } = loadFashionMnist();

await buildModel({
  spec: FASHION_MNIST_CNN,
  seed: 7,
  epochs: 3,
  batchSize: 32,
  learningRate: 1e-3,
  learningRateDecay: 0.6,
  maxShift: 0,
  train: firstImages(train, FASHION_TRAIN_IMAGES),
  evaluation: test,
  trainSet: `Fashion-MNIST train-images-idx3-ubyte: the first ${FASHION_TRAIN_IMAGES} of 60000`,
  evalSet: 'Fashion-MNIST t10k-images-idx3-ubyte: all 10000 test images, in file order',
  requiredAccuracy: 0.88,
  labels: FASHION_MNIST_LABELS,
  inputPreprocessing:
    'grayscale 28x28, light garment on black (Fashion-MNIST polarity), value = pixel / 255 in [0, 1], NCHW [batch, 1, 28, 28]',
  script: 'scripts/train/train-fashion-mnist.ts',
});
