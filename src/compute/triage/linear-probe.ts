/**
 * Out-of-sample class probabilities from a linear probe, as Confident Learning (Northcutt et al. 2021)
 * recommends: a softmax regression (multinomial logistic regression, L2-regularised) on a layer's
 * activations, trained by K-fold cross-validation so that each input's probabilities come from a probe
 * that never saw its label. A flipped label is then not memorised: its out-of-fold p(given) is low where
 * the layer separates the classes.
 *
 * Features are standardized (mean 0, variance 1 per column, over all rows: label-free) so that one step
 * size fits every layer; the fit is full-batch gradient descent with Nesterov momentum and the step
 * 1 / L, L bounding the loss's curvature (power iteration on the features' covariance).
 */
import type { Matrix } from '../matrix.js';
import { SeededRandom } from '../projection/random.js';

export interface LinearProbeOptions {
  /** Folds of the cross-validation, 2..rows. Default 5. */
  folds?: number;
  /** L2 penalty on the weights (not the biases), per row of the mean loss. Default 1e-3. */
  l2?: number;
  /** Gradient steps per fold. Default 60. */
  iterations?: number;
  /** Seed of the fold assignment. Default 42. */
  seed?: number;
}

export interface LinearProbe {
  /** count x classCount out-of-fold probabilities; NaN rows for inputs without a label. */
  probabilities: Float32Array;
  /** Out-of-fold p(given label); NaN without a label. */
  given: Float64Array;
  /** The out-of-fold most probable class; -1 without a label. */
  suggested: Int32Array;
}

/** Columns scaled to mean 0 and variance 1 (constant columns become 0). */
function standardize(matrix: Matrix): Float64Array {
  const { count, dim, data } = matrix;
  const out = new Float64Array(count * dim);
  for (let d = 0; d < dim; d++) {
    let mean = 0;
    for (let i = 0; i < count; i++) mean += data[i * dim + d]!;
    mean /= count;
    let variance = 0;
    for (let i = 0; i < count; i++) variance += (data[i * dim + d]! - mean) ** 2;
    const scale = variance > 0 ? 1 / Math.sqrt(variance / count) : 0;
    for (let i = 0; i < count; i++) out[i * dim + d] = (data[i * dim + d]! - mean) * scale;
  }
  return out;
}

/** Largest eigenvalue of the rows' second-moment matrix (with the bias column), by power iteration. */
function curvature(x: Float64Array, rows: Int32Array, dim: number): number {
  let v = new Float64Array(dim + 1).fill(1 / Math.sqrt(dim + 1));
  let lambda = 1;
  for (let step = 0; step < 30; step++) {
    const next = new Float64Array(dim + 1);
    for (const r of rows) {
      let dot = v[dim]!;
      for (let d = 0; d < dim; d++) dot += x[r * dim + d]! * v[d]!;
      for (let d = 0; d < dim; d++) next[d]! += dot * x[r * dim + d]!;
      next[dim]! += dot;
    }
    let norm = 0;
    for (let d = 0; d <= dim; d++) norm += next[d]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) return 1;
    lambda = norm / rows.length;
    v = next.map((value) => value / norm);
  }
  return lambda;
}

/** Softmax of the row's scores into `out` (weights: (dim + 1) x classes, the last row the bias). */
function predictRow(
  x: Float64Array,
  row: number,
  dim: number,
  weights: Float64Array,
  classes: number,
  out: Float64Array,
) {
  for (let c = 0; c < classes; c++) out[c] = weights[dim * classes + c]!;
  for (let d = 0; d < dim; d++) {
    const value = x[row * dim + d]!;
    if (value === 0) continue;
    for (let c = 0; c < classes; c++) out[c]! += value * weights[d * classes + c]!;
  }
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, out[c]!);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    out[c] = Math.exp(out[c]! - max);
    sum += out[c]!;
  }
  for (let c = 0; c < classes; c++) out[c]! /= sum;
}

/** Weights of a softmax regression fitted to `rows` (mean cross-entropy + l2/2 |W|^2). */
function fit(
  x: Float64Array,
  dim: number,
  labels: Int32Array,
  classes: number,
  rows: Int32Array,
  l2: number,
  iterations: number,
): Float64Array {
  const size = (dim + 1) * classes;
  const step = 1 / (0.5 * curvature(x, rows, dim) + l2);
  let weights = new Float64Array(size);
  let previous = new Float64Array(size);
  const ahead = new Float64Array(size);
  const gradient = new Float64Array(size);
  const p = new Float64Array(classes);
  for (let t = 1; t <= iterations; t++) {
    const momentum = (t - 1) / (t + 2);
    for (let j = 0; j < size; j++) ahead[j] = weights[j]! + momentum * (weights[j]! - previous[j]!);
    gradient.fill(0);
    for (const r of rows) {
      predictRow(x, r, dim, ahead, classes, p);
      p[labels[r]!]! -= 1;
      for (let d = 0; d < dim; d++) {
        const value = x[r * dim + d]!;
        if (value === 0) continue;
        for (let c = 0; c < classes; c++) gradient[d * classes + c]! += value * p[c]!;
      }
      for (let c = 0; c < classes; c++) gradient[dim * classes + c]! += p[c]!;
    }
    const next = previous;
    for (let j = 0; j < size; j++) {
      const penalty = j < dim * classes ? l2 * ahead[j]! : 0;
      next[j] = ahead[j]! - step * (gradient[j]! / rows.length + penalty);
    }
    previous = weights;
    weights = next;
  }
  return weights;
}

/**
 * Out-of-fold probe probabilities of every row of `matrix` for `labels` (codes 0..classCount-1, -1: no
 * label; those rows are neither trained on nor scored). Deterministic for a seed.
 */
export function linearProbe(
  matrix: Matrix,
  labels: Int32Array,
  classCount: number,
  options: LinearProbeOptions = {},
): LinearProbe {
  const { count, dim } = matrix;
  if (labels.length !== count) throw new RangeError(`${labels.length} labels for ${count} rows`);
  const labelled = Int32Array.from(labels.keys()).filter((i) => labels[i]! >= 0 && labels[i]! < classCount);
  const folds = Math.max(2, Math.min(options.folds ?? 5, labelled.length));
  const probabilities = new Float32Array(count * classCount).fill(Number.NaN);
  const given = new Float64Array(count).fill(Number.NaN);
  const suggested = new Int32Array(count).fill(-1);
  if (labelled.length < 2 || classCount < 1) return { probabilities, given, suggested };
  const random = new SeededRandom(options.seed ?? 42);
  const shuffled = Int32Array.from(labelled);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const fold = new Int32Array(count);
  shuffled.forEach((row, position) => (fold[row] = position % folds));
  const x = standardize(matrix);
  const p = new Float64Array(classCount);
  for (let f = 0; f < folds; f++) {
    const train = labelled.filter((row) => fold[row] !== f);
    const weights = fit(x, dim, labels, classCount, train, options.l2 ?? 1e-3, options.iterations ?? 60);
    for (const row of labelled) {
      if (fold[row] !== f) continue;
      predictRow(x, row, dim, weights, classCount, p);
      let best = 0;
      for (let c = 0; c < classCount; c++) {
        probabilities[row * classCount + c] = p[c]!;
        if (p[c]! > p[best]!) best = c;
      }
      given[row] = p[labels[row]!]!;
      suggested[row] = best;
    }
  }
  return { probabilities, given, suggested };
}
