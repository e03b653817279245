import { InputError } from '../../errors.js';
import type { Matrix } from '../matrix.js';
import { checkMatrix, requireInteger } from './input-checks.js';
import { SeededRandom } from './random.js';
import { symmetricEigen } from './symmetric-eigen.js';

export interface PcaOptions {
  /** Seed of the randomized solver used for wide matrices (see `pca`). Default 42. */
  seed?: number;
}

export interface PcaResult {
  /** count x components, row-major: the centred rows expressed in the components. */
  projection: Float32Array;
  /** components x dim, row-major unit vectors, largest variance first; each one's largest |entry| is positive. */
  components: Float32Array;
  /** Variance along each component (divided by count - 1, like sklearn's explained_variance_). */
  explainedVariance: Float64Array;
  /** Column means that were subtracted before projecting. */
  mean: Float64Array;
}

/** Extra random directions of the randomized solver beyond the wanted components (Halko et al.). */
const OVERSAMPLING = 10;
/** Power iterations of the randomized solver: enough for the leading components of real activations. */
const POWER_ITERATIONS = 4;
/** Widest covariance matrix decomposed exactly (its eigen-solve costs dim^3). */
const MAX_EXACT_DIM = 512;

/**
 * Principal component analysis. Narrow matrices use the exact covariance eigen-decomposition;
 * wide ones (where a dim x dim covariance costs more than the sketch) use randomized SVD with
 * power iterations, seeded, so results are reproducible either way.
 */
export function pca(matrix: Matrix, components: number, options: PcaOptions = {}): PcaResult {
  checkMatrix(matrix, 2, 'PCA');
  requireInteger('components', components, 1, Math.min(matrix.count, matrix.dim));
  const seed = options.seed ?? 42;
  requireInteger('seed', seed, -(2 ** 31), 2 ** 32 - 1);

  const mean = columnMeans(matrix);
  const sketchWidth = Math.min(components + OVERSAMPLING, matrix.count, matrix.dim);
  const covarianceCost = matrix.dim / 2;
  const sketchCost = sketchWidth * (2 * POWER_ITERATIONS + 2);
  const basis =
    matrix.dim <= MAX_EXACT_DIM && covarianceCost <= sketchCost
      ? exactBasis(matrix, mean, components)
      : randomizedBasis(matrix, mean, components, sketchWidth, new SeededRandom(seed));
  orientComponents(basis.vectors, components, matrix.dim);
  const fitted = { components: Float32Array.from(basis.vectors), explainedVariance: basis.variances, mean };
  return { projection: pcaTransform(matrix, fitted), ...fitted };
}

/** Rows (of the fitted width) expressed in fitted components: (row - mean) . component; count x components. */
export function pcaTransform(matrix: Matrix, fitted: Pick<PcaResult, 'components' | 'mean'>): Float32Array {
  const { count, dim, data } = matrix;
  const { components: vectors, mean } = fitted;
  if (mean.length !== dim) {
    throw new InputError(`matrix has ${dim} columns but the PCA was fitted on ${mean.length}`, {
      hint: 'transform rows of the same width',
    });
  }
  const components = vectors.length / dim;
  const projection = new Float32Array(count * components);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < dim; k++) centred[k] = data[r * dim + k]! - mean[k]!;
    for (let c = 0; c < components; c++) {
      let sum = 0;
      for (let k = 0, v = c * dim; k < dim; k++, v++) sum += centred[k]! * vectors[v]!;
      projection[r * components + c] = sum;
    }
  }
  return projection;
}

interface Basis {
  /** components x dim, row-major. */
  vectors: Float64Array;
  variances: Float64Array;
}

function columnMeans({ count, dim, data }: Matrix): Float64Array {
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    const base = r * dim;
    for (let c = 0; c < dim; c++) mean[c]! += data[base + c]!;
  }
  for (let c = 0; c < dim; c++) mean[c]! /= count;
  return mean;
}

function exactBasis(matrix: Matrix, mean: Float64Array, components: number): Basis {
  const { count, dim, data } = matrix;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    const base = r * dim;
    for (let c = 0; c < dim; c++) centred[c] = data[base + c]! - mean[c]!;
    for (let i = 0; i < dim; i++) {
      const x = centred[i]!;
      if (x === 0) continue;
      const rowStart = i * dim;
      for (let j = i; j < dim; j++) covariance[rowStart + j]! += x * centred[j]!;
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const value = covariance[i * dim + j]! / (count - 1);
      covariance[i * dim + j] = value;
      covariance[j * dim + i] = value;
    }
  }
  const { values, vectors } = symmetricEigen(covariance, dim);
  return {
    vectors: vectors.slice(0, components * dim),
    variances: Float64Array.from(values.subarray(0, components), (v) => Math.max(v, 0)),
  };
}

/**
 * Randomized SVD of the centred matrix X: Q spans X * Omega refined by power iterations, then the
 * small B = Q^T X gives the right singular vectors through the eigen-decomposition of B B^T.
 */
function randomizedBasis(
  matrix: Matrix,
  mean: Float64Array,
  components: number,
  width: number,
  random: SeededRandom,
): Basis {
  const { count, dim } = matrix;
  const omega = new Float64Array(dim * width);
  for (let i = 0; i < omega.length; i++) omega[i] = random.nextGaussian();
  let sample = centredTimes(matrix, mean, omega, width); // count x width
  orthonormalizeColumns(sample, count, width);
  for (let iteration = 0; iteration < POWER_ITERATIONS; iteration++) {
    const back = centredTransposeTimes(matrix, mean, sample, width); // dim x width
    orthonormalizeColumns(back, dim, width);
    sample = centredTimes(matrix, mean, back, width);
    orthonormalizeColumns(sample, count, width);
  }
  const small = centredTransposeTimes(matrix, mean, sample, width); // dim x width = B^T
  const gram = new Float64Array(width * width); // B B^T
  for (let r = 0; r < dim; r++) {
    const base = r * width;
    for (let i = 0; i < width; i++) {
      const x = small[base + i]!;
      for (let j = i; j < width; j++) gram[i * width + j]! += x * small[base + j]!;
    }
  }
  for (let i = 0; i < width; i++) for (let j = 0; j < i; j++) gram[i * width + j] = gram[j * width + i]!;
  const { values, vectors: leftSmall } = symmetricEigen(gram, width);
  const vectors = new Float64Array(components * dim);
  const variances = new Float64Array(components);
  for (let c = 0; c < components; c++) {
    const singular = Math.sqrt(Math.max(values[c]!, 0));
    variances[c] = (singular * singular) / (count - 1);
    if (singular <= 1e-12 * Math.sqrt(Math.max(values[0]!, 0))) {
      completeOrthonormalBasis(vectors, c, dim);
      variances[c] = 0;
      continue;
    }
    for (let r = 0; r < dim; r++) {
      let sum = 0;
      for (let i = 0; i < width; i++) sum += small[r * width + i]! * leftSmall[c * width + i]!;
      vectors[c * dim + r] = sum / singular;
    }
  }
  return { vectors, variances };
}

/** (X - 1 mean^T) * right, with right dim x width; returns count x width. */
function centredTimes(
  { count, dim, data }: Matrix,
  mean: Float64Array,
  right: Float64Array,
  width: number,
): Float64Array {
  const out = new Float64Array(count * width);
  const shift = new Float64Array(width);
  for (let k = 0; k < dim; k++) for (let c = 0; c < width; c++) shift[c]! += mean[k]! * right[k * width + c]!;
  for (let r = 0; r < count; r++) {
    const outBase = r * width;
    const base = r * dim;
    for (let k = 0; k < dim; k++) {
      const x = data[base + k]!;
      if (x === 0) continue;
      const rightBase = k * width;
      for (let c = 0; c < width; c++) out[outBase + c]! += x * right[rightBase + c]!;
    }
    for (let c = 0; c < width; c++) out[outBase + c]! -= shift[c]!;
  }
  return out;
}

/** (X - 1 mean^T)^T * left, with left count x width; returns dim x width. */
function centredTransposeTimes(
  { count, dim, data }: Matrix,
  mean: Float64Array,
  left: Float64Array,
  width: number,
): Float64Array {
  const out = new Float64Array(dim * width);
  const columnSums = new Float64Array(width);
  for (let r = 0; r < count; r++) {
    const leftBase = r * width;
    for (let c = 0; c < width; c++) columnSums[c]! += left[leftBase + c]!;
    const base = r * dim;
    for (let k = 0; k < dim; k++) {
      const x = data[base + k]!;
      if (x === 0) continue;
      const outBase = k * width;
      for (let c = 0; c < width; c++) out[outBase + c]! += x * left[leftBase + c]!;
    }
  }
  for (let k = 0; k < dim; k++) for (let c = 0; c < width; c++) out[k * width + c]! -= mean[k]! * columnSums[c]!;
  return out;
}

/** The data has fewer than `index + 1` directions of variance: any unit vector orthogonal to the earlier ones will do. */
function completeOrthonormalBasis(vectors: Float64Array, index: number, dim: number): void {
  const base = index * dim;
  for (let axis = 0; axis < dim; axis++) {
    vectors.fill(0, base, base + dim);
    vectors[base + axis] = 1;
    for (let p = 0; p < index; p++) {
      const dot = vectors[p * dim + axis]!;
      for (let k = 0; k < dim; k++) vectors[base + k]! -= dot * vectors[p * dim + k]!;
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += vectors[base + k]! ** 2;
    if (norm > 1e-6) {
      const scale = 1 / Math.sqrt(norm);
      for (let k = 0; k < dim; k++) vectors[base + k]! *= scale;
      return;
    }
  }
}

/**
 * Classical Gram-Schmidt applied twice ("CGS2", as stable as modified Gram-Schmidt) on the columns
 * of a rows x width matrix; each step is one row-major pass, so it stays cache friendly for tall matrices.
 */
function orthonormalizeColumns(values: Float64Array, rows: number, width: number): void {
  const dots = new Float64Array(width);
  for (let c = 0; c < width; c++) {
    for (let pass = 0; pass < 2; pass++) {
      dots.fill(0);
      for (let r = 0; r < rows; r++) {
        const base = r * width;
        const x = values[base + c]!;
        for (let p = 0; p < c; p++) dots[p]! += x * values[base + p]!;
      }
      for (let r = 0; r < rows; r++) {
        const base = r * width;
        let correction = 0;
        for (let p = 0; p < c; p++) correction += dots[p]! * values[base + p]!;
        values[base + c]! -= correction;
      }
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += values[r * width + c]! ** 2;
    norm = Math.sqrt(norm);
    const scale = norm > 1e-300 ? 1 / norm : 0;
    for (let r = 0; r < rows; r++) values[r * width + c]! *= scale;
  }
}

/** Makes each component's largest-magnitude entry positive, so the sign does not depend on the solver. */
function orientComponents(vectors: Float64Array, components: number, dim: number): void {
  for (let c = 0; c < components; c++) {
    const base = c * dim;
    let largest = 0;
    for (let k = 1; k < dim; k++) if (Math.abs(vectors[base + k]!) > Math.abs(vectors[base + largest]!)) largest = k;
    if (vectors[base + largest]! < 0) for (let k = 0; k < dim; k++) vectors[base + k] = -vectors[base + k]!;
  }
}
