/**
 * The decorrelated image parametrisation of Olah et al. 2017 (Lucid's `fft_image` + `to_valid_rgb`): each
 * image is a spectrum whose frequencies are scaled by 1 / frequency, so that plain gradient steps change
 * low frequencies as readily as high ones; the inverse real 2-D DFT (as real matrix products, which tf.js
 * differentiates on any backend) gives the image, colours are decorrelated with ImageNet's colour
 * covariance square root, and a sigmoid maps it into [0, 1].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from './random.js';

export interface ImageShape {
  height: number;
  width: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
}

/** Square root of ImageNet's colour covariance (Lucid), applied before the sigmoid. */
const COLOR_CORRELATION_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
/** Lucid divides the pre-sigmoid image by 4 so that the initial images are close to gray. */
const MAGIC = 4;
/** Standard deviation of the initial spectrum (Lucid). */
const INITIAL_SD = 0.01;

export class FourierImage {
  /** [images * channels, height, width / 2 + 1] each: real and imaginary parts of every spectrum. */
  readonly real: tf.Variable;
  readonly imaginary: tf.Variable;
  private readonly constants: tf.Tensor[];
  private readonly frequencies: number;
  readonly count: number;

  constructor(
    readonly shape: ImageShape,
    /** One per image: the source of its initial spectrum (images may share one, drawing in turn). */
    randoms: readonly Random[],
    readonly decorrelate = true,
  ) {
    const { height, width, channels } = shape;
    this.count = randoms.length;
    this.frequencies = Math.floor(width / 2) + 1;
    const perImage = channels * height * this.frequencies;
    const init = (): tf.Tensor =>
      tf.tensor3d(
        Float32Array.from(
          { length: this.count * perImage },
          (_, i) => randoms[Math.floor(i / perImage)]!.normal() * INITIAL_SD,
        ),
        [this.count * channels, height, this.frequencies],
      );
    this.real = tf.variable(init());
    this.imaginary = tf.variable(init());
    this.constants = tf.tidy(() => dftMatrices(height, width, this.frequencies)).map((t) => tf.keep(t));
  }

  get variables(): tf.Variable[] {
    return [this.real, this.imaginary];
  }

  /** The images, [count, height, width, channels] in [0, 1]. */
  pixels(): tf.Tensor4D {
    const { height, width, channels } = this.shape;
    const [cosRows, sinRows, cosColumns, sinColumns, scale] = this.constants as [
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    const planes = this.count * channels;
    const a = tf.mul(this.real, scale);
    const b = tf.mul(this.imaginary, scale);
    // Inverse DFT over rows (complex), then the inverse real DFT over columns.
    const overRows = (m: tf.Tensor, t: tf.Tensor2D): tf.Tensor =>
      tf.transpose(
        tf.reshape(tf.matMul(t, tf.reshape(tf.transpose(m, [1, 0, 2]), [height, -1])), [
          height,
          planes,
          this.frequencies,
        ]),
        [1, 0, 2],
      );
    const zReal = tf.sub(overRows(a, cosRows), overRows(b, sinRows));
    const zImaginary = tf.add(overRows(a, sinRows), overRows(b, cosRows));
    const flat = (m: tf.Tensor): tf.Tensor2D => tf.reshape(m, [-1, this.frequencies]);
    const image = tf.sub(tf.matMul(flat(zReal), cosColumns), tf.matMul(flat(zImaginary), sinColumns));
    let nhwc = tf.transpose(tf.reshape(image, [this.count, channels, height, width]), [0, 2, 3, 1]);
    nhwc = tf.div(nhwc, MAGIC);
    if (this.decorrelate && channels === 3) {
      const norm = Math.max(...[0, 1, 2].map((c) => Math.hypot(...COLOR_CORRELATION_SQRT.map((row) => row[c]!))));
      const matrix = tf.tensor2d(
        COLOR_CORRELATION_SQRT.flat().map((v) => v / norm),
        [3, 3],
      );
      nhwc = tf.reshape(tf.matMul(tf.reshape(nhwc, [-1, 3]), matrix, false, true), nhwc.shape);
    }
    return tf.sigmoid(nhwc) as tf.Tensor4D;
  }

  dispose(): void {
    this.real.dispose();
    this.imaginary.dispose();
    for (const t of this.constants) t.dispose();
  }
}

/**
 * cos and sin of the inverse DFT over rows ([height, height], divided by height), over columns
 * ([frequencies, width], divided by width, doubled for the frequencies that stand for a conjugate pair),
 * and the 1 / frequency scale of every coefficient ([height, frequencies], Lucid's times sqrt(h * w)).
 */
function dftMatrices(height: number, width: number, frequencies: number): tf.Tensor[] {
  const cosRows = new Float32Array(height * height);
  const sinRows = new Float32Array(height * height);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < height; k++) {
      const angle = (2 * Math.PI * k * y) / height;
      cosRows[y * height + k] = Math.cos(angle) / height;
      sinRows[y * height + k] = Math.sin(angle) / height;
    }
  }
  const cosColumns = new Float32Array(frequencies * width);
  const sinColumns = new Float32Array(frequencies * width);
  for (let k = 0; k < frequencies; k++) {
    const weight = k === 0 || (width % 2 === 0 && k === width / 2) ? 1 : 2;
    for (let x = 0; x < width; x++) {
      const angle = (2 * Math.PI * k * x) / width;
      cosColumns[k * width + x] = (weight * Math.cos(angle)) / width;
      sinColumns[k * width + x] = (weight * Math.sin(angle)) / width;
    }
  }
  const scale = new Float32Array(height * frequencies);
  const floor = 1 / Math.max(height, width);
  for (let k = 0; k < height; k++) {
    const fy = (k <= height / 2 ? k : k - height) / height;
    for (let j = 0; j < frequencies; j++) {
      const fx = j / width;
      scale[k * frequencies + j] = Math.sqrt(height * width) / Math.max(Math.hypot(fy, fx), floor);
    }
  }
  return [
    tf.tensor2d(cosRows, [height, height]),
    tf.tensor2d(sinRows, [height, height]),
    tf.tensor2d(cosColumns, [frequencies, width]),
    tf.tensor2d(sinColumns, [frequencies, width]),
    tf.tensor2d(scale, [height, frequencies]),
  ];
}
