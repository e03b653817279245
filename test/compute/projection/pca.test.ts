import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca, pcaTransform } from '../../../src/compute/projection/index.js';
import { InputError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';
import { symmetricEigen } from '../../../src/compute/projection/symmetric-eigen.js';
import type { Matrix } from '../../../src/compute/matrix.js';

test('points on the line (1, 2) + t (3, 4) / 5: one component along (0.6, 0.8), variance of t, projection = centred t', () => {
  const ts = [-2, -1, 0, 0.5, 4];
  const data = Float32Array.from(ts.flatMap((t) => [1 + 0.6 * t, 2 + 0.8 * t]));
  const result = pca({ count: ts.length, dim: 2, data }, 2);
  const mean = ts.reduce((s, t) => s + t, 0) / ts.length;
  const variance = ts.reduce((s, t) => s + (t - mean) ** 2, 0) / (ts.length - 1);
  assert.ok(Math.abs(result.components[0]! - 0.6) < 1e-6 && Math.abs(result.components[1]! - 0.8) < 1e-6);
  assert.ok(Math.abs(result.explainedVariance[0]! - variance) < 1e-5);
  assert.ok(Math.abs(result.explainedVariance[1]!) < 1e-6);
  ts.forEach((t, i) => {
    assert.ok(Math.abs(result.projection[i * 2]! - (t - mean)) < 1e-5);
    assert.ok(Math.abs(result.projection[i * 2 + 1]!) < 1e-5);
  });
  assert.deepEqual(
    Array.from(result.mean, (v) => Math.round(v * 1e6) / 1e6),
    [1 + 0.6 * mean, 2 + 0.8 * mean],
  );
});

test('a known covariance: (+-2, 0), (0, +-1) has variances 8/3 and 2/3 along the axes', () => {
  const data = Float32Array.from([2, 0, -2, 0, 0, 1, 0, -1]);
  const result = pca({ count: 4, dim: 2, data }, 2);
  assert.ok(
    Math.abs(result.explainedVariance[0]! - 8 / 3) < 1e-12 && Math.abs(result.explainedVariance[1]! - 2 / 3) < 1e-12,
  );
  assert.deepEqual(Array.from(result.components), [1, 0, 0, 1]);
  assert.deepEqual(Array.from(result.projection), [2, 0, -2, 0, 0, 1, 0, -1]);
});

/** Low-rank structure plus noise, wide enough (600 columns) to take the randomized solver. */
function wideMatrix(seed: number, count: number, dim: number, rank: number): Matrix {
  const random = new SeededRandom(seed);
  const factors = Array.from({ length: rank }, () => Float64Array.from({ length: dim }, () => random.nextGaussian()));
  const data = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const weights = Array.from({ length: rank }, (_, f) => random.nextGaussian() * (rank - f) * 3);
    for (let k = 0; k < dim; k++) {
      let value = 0.1 * random.nextGaussian();
      factors.forEach((factor, f) => (value += weights[f]! * factor[k]!));
      data[r * dim + k] = value;
    }
  }
  return { count, dim, data };
}

test('the randomized solver for wide matrices matches the exact decomposition (via the Gram matrix) and is seeded', () => {
  const matrix = wideMatrix(3, 120, 600, 6);
  const components = 4;
  const result = pca(matrix, components, { seed: 7 });
  // Reference: eigenvalues of the centred Gram matrix X X^T / (n - 1) equal those of the covariance.
  const { count, dim, data } = matrix;
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let k = 0; k < dim; k++) mean[k]! += data[r * dim + k]! / count;
  const gram = new Float64Array(count * count);
  for (let i = 0; i < count; i++) {
    for (let j = i; j < count; j++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += (data[i * dim + k]! - mean[k]!) * (data[j * dim + k]! - mean[k]!);
      gram[i * count + j] = gram[j * count + i] = sum / (count - 1);
    }
  }
  const reference = symmetricEigen(gram, count);
  for (let c = 0; c < components; c++) {
    assert.ok(
      Math.abs(result.explainedVariance[c]! - reference.values[c]!) / reference.values[c]! < 1e-6,
      `variance ${c}`,
    );
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += result.components[c * dim + k]! ** 2;
    assert.ok(Math.abs(norm - 1) < 1e-5, `component ${c} is a unit vector`);
    // The projection on component c has the variance of component c.
    let sumSquares = 0;
    for (let r = 0; r < count; r++) sumSquares += result.projection[r * components + c]! ** 2;
    assert.ok(Math.abs(sumSquares / (count - 1) - reference.values[c]!) / reference.values[c]! < 1e-4);
  }
  assert.deepEqual(pca(matrix, components, { seed: 7 }).projection, result.projection);
});

test('PCA rejects bad input, naming the value', () => {
  const matrix = { count: 3, dim: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  assert.throws(
    () => pca(matrix, 3),
    (error: unknown) => error instanceof InputError && /components is 3/.test(error.message),
  );
  assert.throws(() => pca(matrix, 0), InputError);
  assert.throws(
    () => pca({ count: 3, dim: 2, data: Float32Array.from([1, 2, NaN, 4, 5, 6]) }, 1),
    (error: unknown) => error instanceof InputError && /row 1, column 0 is NaN/.test(error.message),
  );
  assert.throws(() => pca({ count: 1, dim: 2, data: Float32Array.from([1, 2]) }, 1), /at least 2/);
});

test('pcaTransform projects new rows on fitted components: the fitted rows give the fitted projection', () => {
  const matrix = wideMatrix(5, 40, 30, 3);
  const fitted = pca(matrix, 3);
  assert.deepEqual(pcaTransform(matrix, fitted), fitted.projection);
  const shifted = {
    ...matrix,
    data: Float32Array.from(matrix.data, (v, i) => (i < 30 ? v + fitted.components[i]! : v)),
  };
  // Moving row 0 by one unit along component 0 moves its first coordinate by one.
  assert.ok(Math.abs(pcaTransform(shifted, fitted)[0]! - fitted.projection[0]! - 1) < 1e-4);
  assert.throws(
    () => pcaTransform({ count: 1, dim: 2, data: new Float32Array(2) }, fitted),
    /2 columns but the PCA was fitted on 30/,
  );
});
