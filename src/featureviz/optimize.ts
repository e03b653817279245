/**
 * The optimisation loop of a feature visualization: Adam on the Fourier parameters of a batch of images
 * (fourier-image.ts), each step scoring the images under random transforms (transforms.ts), with optional
 * total variation and diversity penalties. The learning rate follows a cosine decay, the last steps see
 * the images untransformed (the value is judged untransformed), and several restarts from different
 * random spectra run in the same batch, the best kept: a single start often ends in a poor local optimum.
 * The best restart's images are then refined by Adam on their pixels themselves (no transforms, no
 * penalties, the learning rate decayed to zero), keeping each image's best iterate: the Fourier steps move
 * every pixel at once and, near a narrow optimum such as a cosine close to 1, keep circling it.
 * Seeded: the same options give the same images.
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
  /** Adam's initial learning rate, decayed along a half cosine to a tenth of it; default 0.3. */
  learningRate?: number;
  /**
   * Starts from different random spectra, optimised in one batch; the best is kept. Default 4, and 1 for
   * images larger than 128 x 128 (each restart costs a whole image through the model at every step).
   */
  restarts?: number;
  /** Share of the last steps that see the images without transforms; default 0.25. */
  polish?: number;
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
  /** Adam steps on the pixels of the best restart's images after the Fourier steps (0: none); default 64. */
  refine?: number;
  /** Initial learning rate of the refine steps, in pixel values (0..1), decayed along a half cosine to 0; default 0.05. */
  refineRate?: number;
}

export type ResolvedOptimizeOptions = Required<Omit<OptimizeOptions, 'transforms'>> & {
  transforms: Required<TransformOptions> | false;
};

/** Images above this many pixels get one start by default (see OptimizeOptions.restarts). */
const LARGE_IMAGE = 128 * 128;

/** The options with their defaults; `shape`, when known, sets the default number of restarts. */
export function resolveOptimizeOptions(options: OptimizeOptions = {}, shape?: ImageShape): ResolvedOptimizeOptions {
  const images = options.images ?? 1;
  const resolved: ResolvedOptimizeOptions = {
    steps: options.steps ?? 256,
    learningRate: options.learningRate ?? 0.3,
    restarts: options.restarts ?? (shape !== undefined && shape.height * shape.width > LARGE_IMAGE ? 1 : 4),
    polish: options.polish ?? 0.25,
    seed: options.seed ?? 0,
    images,
    transforms: options.transforms === false ? false : { ...DEFAULT_TRANSFORMS, ...options.transforms },
    totalVariation: options.totalVariation ?? 0,
    diversity: options.diversity ?? (images > 1 ? 1 : 0),
    decorrelate: options.decorrelate ?? true,
    refine: options.refine ?? 64,
    refineRate: options.refineRate ?? 0.05,
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
  positive('restarts', resolved.restarts, true);
  positive('refine learning rate', resolved.refineRate, false);
  if (!Number.isInteger(resolved.refine) || resolved.refine < 0) {
    throw new InputError(`feature visualization refine steps ${resolved.refine} is not a whole number >= 0`, {
      hint: 'give e.g. 64 (0: no refinement on the pixels)',
    });
  }
  if (!(resolved.polish >= 0 && resolved.polish <= 1)) {
    throw new InputError(`feature visualization polish share ${resolved.polish} is not between 0 and 1`, {
      hint: 'give e.g. 0.25 (the last quarter of the steps without transforms)',
    });
  }
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

/**
 * Scores a batch of images [count, height, width, channels] in [0, 1], laid out objective by objective, each
 * objective's images consecutive: the objective per image and a diversity penalty (summed over objectives).
 * `perObjective` is the number of images of each objective in this batch.
 */
export type ImageScorer = (
  images: tf.Tensor4D,
  perObjective: number,
) => { objective: tf.Tensor1D; similarity?: tf.Scalar };

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

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;
/** The learning rate decays to this share of its initial value. */
const FINAL_RATE = 0.1;

/** Adam (Kingma & Ba) with a learning rate given per step; `project` maps the variables back after each step. */
class Adam {
  private readonly moments: { m: tf.Variable; v: tf.Variable }[];
  private step = 0;

  constructor(
    private readonly variables: tf.Variable[],
    private readonly project: (variable: tf.Tensor) => tf.Tensor = (variable) => variable,
  ) {
    this.moments = variables.map((v) => ({ m: tf.variable(tf.zerosLike(v)), v: tf.variable(tf.zerosLike(v)) }));
  }

  minimize(loss: () => tf.Scalar, rate: number): void {
    this.step++;
    const correction1 = 1 - BETA1 ** this.step;
    const correction2 = 1 - BETA2 ** this.step;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(loss, this.variables);
      this.variables.forEach((variable, i) => {
        const g = grads[variable.name]!;
        const { m, v } = this.moments[i]!;
        m.assign(tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1)));
        v.assign(tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), EPSILON));
        variable.assign(this.project(tf.sub(variable, tf.mul(update, rate))));
      });
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments) {
      m.dispose();
      v.dispose();
    }
  }
}

/** The learning rate of `step`: a half cosine from `initial` down to `final` (a share of it; FINAL_RATE by default). */
export function learningRateAt(step: number, steps: number, initial: number, final = FINAL_RATE): number {
  const progress = steps > 1 ? step / (steps - 1) : 1;
  return initial * (final + ((1 - final) * (1 + Math.cos(Math.PI * progress))) / 2);
}

/**
 * Optimises images for `objectives` objectives at once (one batch through the model: the per-op cost of
 * tf.js is shared), `options.images` per objective, and returns them objective by objective.
 */
export function optimizeImages(
  score: ImageScorer,
  shape: ImageShape,
  options: ResolvedOptimizeOptions,
  objectives = 1,
  control: TaskControl & { stage?: string } = {},
): OptimizedImages[] {
  const stage = control.stage ?? 'feature visualization';
  const total = options.steps + options.refine;
  const progress = (done: number) => control.onProgress?.({ stage, done, total });
  let images = fourierImages(score, shape, options, objectives, { ...control, stage }, progress);
  try {
    if (options.refine > 0) {
      const refined = refinePixels(score, images, options, { ...control, stage }, (done) =>
        progress(options.steps + done),
      );
      images.dispose();
      images = refined;
    }
    progress(total);
    const count = objectives * options.images;
    const bytes = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(images, 0, 1), 255)).dataSync());
    const perImage = shape.height * shape.width * shape.channels;
    const values = tf.tidy(() => {
      const stored = tf.div(
        tf.tensor4d(Float32Array.from(bytes), [count, shape.height, shape.width, shape.channels]),
        255,
      );
      return Array.from(score(stored as tf.Tensor4D, options.images).objective.dataSync());
    });
    return Array.from({ length: objectives }, (_, o) => {
      const kept = Array.from({ length: options.images }, (_, i) => o * options.images + i);
      return {
        pixels: kept.map((i) => Uint8Array.from(bytes.subarray(i * perImage, (i + 1) * perImage))),
        values: kept.map((i) => values[i]!),
      };
    });
  } finally {
    images.dispose();
  }
}

/**
 * The Fourier steps: every restart of every objective in one batch, under random transforms but for the
 * last `polish` share of the steps. Returns the best restart's images of each objective, [objectives *
 * images, height, width, channels] in [0, 1], objective by objective.
 */
function fourierImages(
  score: ImageScorer,
  shape: ImageShape,
  options: ResolvedOptimizeOptions,
  objectives: number,
  control: TaskControl & { stage: string },
  progress: (done: number) => void,
): tf.Tensor4D {
  const perObjective = options.images * options.restarts;
  const count = objectives * perObjective;
  // One random stream per objective, seeded alike: an objective's images do not depend on its batch.
  const streams = Array.from({ length: objectives }, () => seededRandom(options.seed));
  const randoms = Array.from({ length: count }, (_, i) => streams[Math.floor(i / perObjective)]!);
  const image = new FourierImage(shape, randoms, options.decorrelate);
  const optimizer = new Adam(image.variables);
  const transformed = Math.round(options.steps * (1 - options.polish));
  try {
    for (let step = 0; step < options.steps; step++) {
      throwIfCancelled(control.signal, control.stage);
      if (step % 16 === 0) progress(step);
      const transforms = step < transformed ? options.transforms : false;
      optimizer.minimize(
        () => {
          const pixels = image.pixels();
          const seen = transforms === false ? pixels : randomTransform(pixels, transforms, randoms);
          const { objective, similarity } = score(seen, perObjective);
          let loss = tf.neg(tf.sum(objective)) as tf.Scalar;
          if (options.totalVariation > 0) loss = tf.add(loss, tf.mul(options.totalVariation, totalVariation(pixels)));
          if (options.diversity > 0 && similarity !== undefined)
            loss = tf.add(loss, tf.mul(options.diversity * options.restarts, similarity));
          return loss;
        },
        learningRateAt(step, options.steps, options.learningRate),
      );
    }
    return tf.tidy(() => {
      const pixels = image.pixels();
      const values = Array.from(score(pixels, perObjective).objective.dataSync());
      const kept: number[] = [];
      for (let o = 0; o < objectives; o++) {
        const own = values.slice(o * perObjective, (o + 1) * perObjective);
        const best = bestRestart(own, options.images, options.restarts);
        for (let i = 0; i < options.images; i++) kept.push(o * perObjective + best * options.images + i);
      }
      return tf.gather(pixels, kept);
    });
  } finally {
    optimizer.dispose();
    image.dispose();
  }
}

/**
 * The refine steps: Adam on the pixels of `start` ([objectives * images, ...] in [0, 1]), kept in [0, 1],
 * untransformed and without penalties, the learning rate decayed to 0. Returns each image's best iterate
 * (the start included), as a new tensor.
 */
function refinePixels(
  score: ImageScorer,
  start: tf.Tensor4D,
  options: ResolvedOptimizeOptions,
  control: TaskControl & { stage: string },
  progress: (done: number) => void,
): tf.Tensor4D {
  const count = start.shape[0];
  const pixels = tf.variable(start);
  const optimizer = new Adam([pixels], (values) => tf.clipByValue(values, 0, 1));
  let best = tf.clone(start);
  const bestValues = new Float64Array(count).fill(-Infinity);
  const keepBetter = (candidate: tf.Tensor4D, values: ArrayLike<number>): void => {
    const better = Array.from({ length: count }, (_, i) => values[i]! > bestValues[i]!);
    if (!better.some(Boolean)) return;
    better.forEach((b, i) => {
      if (b) bestValues[i] = values[i]!;
    });
    const next = tf.tidy(() =>
      tf.where(
        tf.broadcastTo(tf.tensor4d(Uint8Array.from(better, Number), [count, 1, 1, 1], 'bool'), candidate.shape),
        candidate,
        best,
      ),
    );
    best.dispose();
    best = next;
  };
  try {
    for (let step = 0; step <= options.refine; step++) {
      throwIfCancelled(control.signal, control.stage);
      if (step % 16 === 0) progress(step);
      // The last pass only scores the last step's images.
      if (step === options.refine) {
        const values = tf.tidy(() => score(pixels, options.images).objective.dataSync());
        keepBetter(pixels, values);
        break;
      }
      const before = tf.clone(pixels);
      const scored: { values?: tf.Tensor } = {};
      optimizer.minimize(
        () => {
          const { objective } = score(pixels, options.images);
          scored.values = tf.keep(tf.clone(objective));
          return tf.neg(tf.sum(objective)) as tf.Scalar;
        },
        learningRateAt(step, options.refine, options.refineRate, 0),
      );
      if (scored.values !== undefined) {
        keepBetter(before, scored.values.dataSync());
        scored.values.dispose();
      }
      before.dispose();
    }
    return best;
  } catch (error) {
    best.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    pixels.dispose();
  }
}

/** The restart whose images reach the highest mean value (images of a restart are consecutive). */
function bestRestart(values: number[], images: number, restarts: number): number {
  let best = 0;
  let bestMean = -Infinity;
  for (let r = 0; r < restarts; r++) {
    const mean = values.slice(r * images, (r + 1) * images).reduce((a, b) => a + b, 0) / images;
    if (mean > bestMean) [best, bestMean] = [r, mean];
  }
  return best;
}
