import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  symmetricEigen,
  tridiagonalEigen,
  tridiagonalLastComponents,
} from '../../../src/compute/projection/symmetric-eigen.js';
import { lanczosTopEigenvectors } from '../../../src/compute/projection/lanczos.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';
import { fitCurve } from '../../../src/compute/projection/curve-fit.js';

test('symmetric eigen-decomposition of a 2 x 2 case by hand: [[2, 1], [1, 2]] has 3 along (1, 1) and 1 along (1, -1)', () => {
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs(values[0]! - 3) < 1e-12 && Math.abs(values[1]! - 1) < 1e-12);
  assert.ok(Math.abs(Math.abs(vectors[0]!) - Math.SQRT1_2) < 1e-12 && Math.abs(vectors[0]! - vectors[1]!) < 1e-12);
  assert.ok(Math.abs(vectors[2]! + vectors[3]!) < 1e-12);
});

test('symmetric eigen-decomposition of a random 12 x 12 matrix: A v = lambda v, orthonormal vectors, values descending, trace kept', () => {
  const n = 12;
  const random = new SeededRandom(5);
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) matrix[i * n + j] = matrix[j * n + i] = random.nextGaussian();
  const { values, vectors } = symmetricEigen(matrix, n);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += matrix[i * n + i]!;
  assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) - trace) < 1e-10);
  for (let r = 0; r < n; r++) {
    if (r > 0) assert.ok(values[r]! <= values[r - 1]!);
    for (let i = 0; i < n; i++) {
      let product = 0;
      for (let j = 0; j < n; j++) product += matrix[i * n + j]! * vectors[r * n + j]!;
      assert.ok(Math.abs(product - values[r]! * vectors[r * n + i]!) < 1e-10);
    }
    for (let s = 0; s < n; s++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[r * n + i]! * vectors[s * n + i]!;
      assert.ok(Math.abs(dot - (r === s ? 1 : 0)) < 1e-10);
    }
  }
});

test('tridiagonal eigenvalues of the path-graph Laplacian match 2 - 2 cos(k pi / (n + 1))', () => {
  const n = 9;
  const { values } = tridiagonalEigen(new Float64Array(n).fill(2), new Float64Array(n - 1).fill(-1));
  const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort(
    (p, q) => q - p,
  );
  values.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) < 1e-12));
});

test("the Lanczos convergence check's eigenvalues and last eigenvector components are tridiagonalEigen's, exactly", () => {
  const n = 40;
  const random = new SeededRandom(8);
  const diagonal = Float64Array.from({ length: n }, () => random.nextGaussian());
  const offDiagonal = Float64Array.from({ length: n - 1 }, () => random.next());
  const full = tridiagonalEigen(diagonal, offDiagonal);
  const check = tridiagonalLastComponents(diagonal, offDiagonal);
  assert.deepEqual(check.values, full.values);
  assert.deepEqual(
    check.lastComponents,
    Float64Array.from({ length: n }, (_, r) => full.vectors[r * n + n - 1]!),
  );
  assert.ok(check.lastComponents.some((component) => Math.abs(component) > 0.1));
});

test('Lanczos finds the largest eigenpairs of a diagonal operator, skipping a deflated direction', async () => {
  const n = 400;
  const diagonal = Float64Array.from({ length: n }, (_, i) => 1 - i / n); // 1, 0.9975, ...
  const deflate = new Float64Array(n);
  deflate[0] = 1; // hide the largest
  const result = await lanczosTopEigenvectors(
    (x, y) => {
      for (let i = 0; i < n; i++) y[i] = diagonal[i]! * x[i]!;
    },
    n,
    { want: 2, deflate, maxSteps: 300, tolerance: 1e-8 },
    new SeededRandom(1),
  );
  assert.ok(result);
  assert.ok(Math.abs(result.values[0]! - diagonal[1]!) < 1e-6 && Math.abs(result.values[1]! - diagonal[2]!) < 1e-6);
  assert.ok(Math.abs(Math.abs(result.vectors[1]!) - 1) < 1e-3 && Math.abs(Math.abs(result.vectors[n + 2]!) - 1) < 1e-3);
});

test('the a, b curve fit reproduces umap-learn find_ab_params(spread 1, min_dist 0.1)', () => {
  // The values umap-learn 0.5 computes (scipy curve_fit) for its defaults.
  const fit = fitCurve(0.1, 1);
  assert.ok(Math.abs(fit.a - 1.5769434603113077) < 1e-5, `a = ${fit.a}`);
  assert.ok(Math.abs(fit.b - 0.8950608779109733) < 1e-5, `b = ${fit.b}`);
});

test('the a, b curve fit is a least-squares minimum for other settings: nudging a or b only increases the error', () => {
  const settings: [minDist: number, spread: number][] = [
    [0, 1],
    [0.5, 1],
    [0.25, 2],
    [0.99, 1],
  ];
  for (const [minDist, spread] of settings) {
    const { a, b } = fitCurve(minDist, spread);
    const error = (pa: number, pb: number): number => {
      let sum = 0;
      for (let i = 0; i < 300; i++) {
        const x = (3 * spread * i) / 299;
        const target = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
        sum += (1 / (1 + pa * Math.pow(x, 2 * pb)) - target) ** 2;
      }
      return sum;
    };
    const best = error(a, b);
    const nudges: [da: number, db: number][] = [
      [1e-3, 0],
      [-1e-3, 0],
      [0, 1e-3],
      [0, -1e-3],
      [1e-3, 1e-3],
      [-1e-3, -1e-3],
      [1e-3, -1e-3],
      [-1e-3, 1e-3],
    ];
    for (const [da, db] of nudges) {
      assert.ok(
        error(a * (1 + da), b * (1 + db)) > best,
        `minDist ${minDist}, spread ${spread}: (${a}, ${b}) is not a minimum`,
      );
    }
  }
});
