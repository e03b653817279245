/**
 * Test-time shifts of image batches and the mean of the model's class probabilities over them: every shift
 * of -n..n pixels along each image axis, the pixels moved in from outside set to zero, and per input the
 * renormalized geometric mean of the passes' probability vectors (the softmax of their mean
 * log-probabilities). On the flipped-label Fashion-MNIST split, self-confidence from this mean over 9 shifts
 * found about one more flipped label per seed than one pass (docs/triage.md).
 */

export type ImageLayout = 'NCHW' | 'NHWC';

export interface Shift {
  /** Pixels down (positive) or up along the image's rows. */
  dy: number;
  /** Pixels right (positive) or left along its columns. */
  dx: number;
}

/** Every shift of -n..n along both axes, the unshifted one included: (2n + 1)^2 of them, row by row. */
export function shiftGrid(n: number): Shift[] {
  const shifts: Shift[] = [];
  // 0 - n, not -n: the unshifted pass of n = 0 is then { dy: 0, dx: 0 }, not -0.
  for (let dy = 0 - n; dy <= n; dy++) for (let dx = 0 - n; dx <= n; dx++) shifts.push({ dy, dx });
  return shifts;
}

/**
 * A copy of a batch of images (dims [N, C, H, W] or [N, H, W, C] as `layout` says) with every image moved by
 * `shift`: out[y][x] = in[y - dy][x - dx], zero where that falls outside the image.
 */
export function shiftImages(
  data: Float32Array,
  dims: readonly number[],
  layout: ImageLayout,
  shift: Shift,
): Float32Array {
  if (dims.length !== 4) throw new RangeError(`an image batch has 4 dims, not [${dims.join(', ')}]`);
  const [count, a, b, c] = dims as [number, number, number, number];
  const [channels, height, width] = layout === 'NCHW' ? [a, b, c] : [c, a, b];
  if (data.length !== count * channels * height * width) {
    throw new RangeError(`${data.length} values do not fill a batch of dims [${dims.join(', ')}]`);
  }
  const out = new Float32Array(data.length);
  const { dy, dx } = shift;
  const y0 = Math.max(0, dy);
  const y1 = Math.min(height, height + dy);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(width, width + dx);
  if (y0 >= y1 || x0 >= x1) return out;
  if (layout === 'NCHW') {
    for (let plane = 0; plane < count * channels; plane++) {
      const base = plane * height * width;
      for (let y = y0; y < y1; y++) {
        const to = base + y * width;
        const from = base + (y - dy) * width - dx;
        out.set(data.subarray(from + x0, from + x1), to + x0);
      }
    }
  } else {
    const row = width * channels;
    for (let n = 0; n < count; n++) {
      const base = n * height * row;
      for (let y = y0; y < y1; y++) {
        const to = base + y * row;
        const from = base + (y - dy) * row - dx * channels;
        out.set(data.subarray(from + x0 * channels, from + x1 * channels), to + x0 * channels);
      }
    }
  }
  return out;
}

/**
 * The floor of a probability before its logarithm: a float32 softmax output underflows to 0 for classes far
 * below the top one, and log(0) would make the geometric mean 0 for that class whatever the other passes say.
 * 1e-37 is just above float32's smallest normal number (1.2e-38).
 */
export const PROBABILITY_FLOOR = 1e-37;

/**
 * Per input, the renormalized geometric mean of several passes' class-probability vectors: add each pass's
 * probabilities (rows x classes, row-major), then `mean()`. A row that is not finite in any pass (the model
 * named no class) is NaN in the mean.
 */
export class GeometricMean {
  private readonly logSum: Float64Array;
  private passes = 0;

  constructor(
    readonly rows: number,
    readonly classes: number,
  ) {
    this.logSum = new Float64Array(rows * classes);
  }

  add(probabilities: Float32Array): void {
    if (probabilities.length !== this.logSum.length) {
      throw new RangeError(`a pass of ${probabilities.length} values is not ${this.rows} x ${this.classes}`);
    }
    for (let i = 0; i < probabilities.length; i++) {
      this.logSum[i]! += Math.log(Math.max(probabilities[i]!, PROBABILITY_FLOOR));
    }
    this.passes++;
  }

  /** Each row's softmax of its mean log-probability (NaN rows stay NaN). */
  mean(): Float32Array {
    const { rows, classes } = this;
    const out = new Float32Array(rows * classes);
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      let top = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < classes; c++) top = Math.max(top, this.logSum[base + c]!);
      if (Number.isNaN(top) || this.passes === 0) {
        out.fill(Number.NaN, base, base + classes);
        continue;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp((this.logSum[base + c]! - top) / this.passes);
      for (let c = 0; c < classes; c++) out[base + c] = Math.exp((this.logSum[base + c]! - top) / this.passes) / sum;
    }
    return out;
  }
}
