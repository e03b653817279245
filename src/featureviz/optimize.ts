/**
 * The optimisation loop of a feature visualization: Adam on the Fourier parameters of a batch of images
 * (fourier-image.ts), each step scoring the images under random transforms (transforms.ts), with optional
 * total variation and diversity penalties. Seeded: the same options give the same images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { FourierImage, type ImageShape } from './fourier-image.js';
import { seededRandom } from './random.js';
import { DEFAULT_TRANSFORMS, randomTransform, type TransformOptions } from './transforms.js';

export interface OptimizeOptions {
  /** Adam steps; default 256. */
  steps?: number;
  /** Adam learning rate; default 0.05 (Lucid's). */
  learningRate?: number;
  /** Seed of the initial spectrum and of the random transforms; default 0. */
  seed?: number;
  /** Images optimised together for one objective; default 1. */
  images?: number;
  /** Random jitter, scale and rotation per step; false for none. Default DEFAULT_TRANSFORMS. */
  transforms?: TransformOptions | false;
  /** Weight of the total variation penalty (mean absolute difference of neighbouring pixels); default 0. */
  totalVariation?: number;
  /** Weight of the diversity penalty between the images of a batch (Lucid's Gram similarity); default 1 when images > 1. */
  diversity?: number;
  /** Colour decorrelation of RGB images; default true. */
  decorrelate?: boolean;
}

export type ResolvedOptimizeOptions = Required<Omit<OptimizeOptions, 'transforms'>> & {
  transforms: Required<TransformOptions> | false;
};

export function resolveOptimizeOptions(options: OptimizeOptions = {}): ResolvedOptimizeOptions {
  const images = options.images ?? 1;
  const resolved: ResolvedOptimizeOptions = {
    steps: options.steps ?? 256,
    learningRate: options.learningRate ?? 0.05,
    seed: options.seed ?? 0,
    images,
    transforms: options.transforms === false ? false : { ...DEFAULT_TRANSFORMS, ...options.transforms },
    totalVariation: options.totalVariation ?? 0,
    diversity: options.diversity ?? (images > 1 ? 1 : 0),
    decorrelate: options.decorrelate ?? true,
  };
  const positive = (name: string, value: number, whole: boolean): void => {
    if (!Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value))) {
      throw new InputError(
        `feature visualization ${name} ${value} is not a positive ${whole ? 'whole number' : 'number'}`,
        {
          hint: `give e.g. ${name === 'learning rate' ? '0.05' : name === 'steps' ? '256' : '1'}`,
        },
      );
    }
  };
  positive('steps', resolved.steps, true);
  positive('learning rate', resolved.learningRate, false);
  positive('images', resolved.images, true);
  for (const [name, value] of [
    ['total variation weight', resolved.totalVariation],
    ['diversity weight', resolved.diversity],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new InputError(`feature visualization ${name} ${value} is negative or not a number`, {
        hint: 'give 0 or more',
      });
    }
  }
  return resolved;
}

/** Scores a batch of images [count, height, width, channels] in [0, 1]: the objective per image and a diversity penalty. */
export type ImageScorer = (images: tf.Tensor4D) => { objective: tf.Tensor1D; similarity?: tf.Scalar };

export interface OptimizedImages {
  /** `count` images, height x width x channels uint8 each, row-major, channels interleaved. */
  pixels: Uint8Array[];
  /** The objective each stored (8-bit) image reaches, without transforms. */
  values: number[];
}

function totalVariation(images: tf.Tensor4D): tf.Scalar {
  const [, height, width] = images.shape;
  const down = tf.sub(
    tf.slice(images, [0, 1, 0, 0], [-1, height - 1, -1, -1]),
    tf.slice(images, [0, 0, 0, 0], [-1, height - 1, -1, -1]),
  );
  const right = tf.sub(
    tf.slice(images, [0, 0, 1, 0], [-1, -1, width - 1, -1]),
    tf.slice(images, [0, 0, 0, 0], [-1, -1, width - 1, -1]),
  );
  return tf.add(tf.mean(tf.abs(down)), tf.mean(tf.abs(right)));
}

export function optimizeImages(
  score: ImageScorer,
  shape: ImageShape,
  options: ResolvedOptimizeOptions,
  control: TaskControl & { stage?: string } = {},
): OptimizedImages {
  const random = seededRandom(options.seed);
  const image = new FourierImage(shape, options.images, random, options.decorrelate);
  const optimizer = tf.train.adam(options.learningRate);
  const stage = control.stage ?? 'feature visualization';
  try {
    for (let step = 0; step < options.steps; step++) {
      throwIfCancelled(control.signal, stage);
      if (step % 16 === 0) control.onProgress?.({ stage, done: step, total: options.steps });
      optimizer.minimize(
        () => {
          const pixels = image.pixels();
          const seen = options.transforms === false ? pixels : randomTransform(pixels, options.transforms, random);
          const { objective, similarity } = score(seen);
          let loss = tf.neg(tf.sum(objective)) as tf.Scalar;
          if (options.totalVariation > 0) loss = tf.add(loss, tf.mul(options.totalVariation, totalVariation(pixels)));
          if (options.diversity > 0 && similarity !== undefined)
            loss = tf.add(loss, tf.mul(options.diversity, similarity));
          return loss;
        },
        false,
        image.variables,
      );
    }
    control.onProgress?.({ stage, done: options.steps, total: options.steps });
    const bytes = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(image.pixels(), 0, 1), 255)).dataSync());
    const perImage = shape.height * shape.width * shape.channels;
    const pixels = Array.from({ length: options.images }, (_, i) =>
      Uint8Array.from(bytes.subarray(i * perImage, (i + 1) * perImage)),
    );
    const values = tf.tidy(() => {
      const stored = tf.div(
        tf.tensor4d(Float32Array.from(bytes), [options.images, shape.height, shape.width, shape.channels]),
        255,
      );
      return Array.from(score(stored as tf.Tensor4D).objective.dataSync());
    });
    return { pixels, values };
  } finally {
    optimizer.dispose();
    image.dispose();
  }
}
