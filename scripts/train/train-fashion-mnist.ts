/**
 * Builds models/fashion-mnist-cnn.onnx + .json from the weights train_fashion_cnn.py trains in PyTorch on
 * all 60,000 Fashion-MNIST training images (12 epochs with shifts: 12 in tf.js on the CPU would take over
 * two hours), and evaluates the ONNX file on all 10,000 test images, which training never sees. Run:
 *   python3 scripts/train/train_fashion_cnn.py
 *   npx tsc -p tsconfig.json && node build/scripts/train/train-fashion-mnist.js
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
  training: { by: 'snapshot', command: 'python3 scripts/train/train_fashion_cnn.py' },
  train: firstImages(train, FASHION_TRAIN_IMAGES),
  evaluation: test,
  trainSet: `Fashion-MNIST train-images-idx3-ubyte: the first ${FASHION_TRAIN_IMAGES} of 60000`,
  evalSet: 'Fashion-MNIST t10k-images-idx3-ubyte: all 10000 test images, in file order',
  requiredAccuracy: 0.91,
  labels: FASHION_MNIST_LABELS,
  inputPreprocessing:
    'grayscale 28x28, light garment on black (Fashion-MNIST polarity), value = pixel / 255 in [0, 1], NCHW [batch, 1, 28, 28]',
  script: 'scripts/train/train-fashion-mnist.ts',
});
