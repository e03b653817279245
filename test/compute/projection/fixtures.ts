import type { Matrix } from '../../../src/compute/matrix.js';
import { SeededRandom } from '../../../src/compute/projection/random.js';

/** `perBlob` Gaussian points (sd `spread`) around each of `centres` random centres in [-10, 10]^dim, with their blob as label. */
export function labelledBlobs(options: {
  seed: number;
  centres: number;
  perBlob: number;
  dim: number;
  spread?: number;
}): {
  matrix: Matrix;
  labels: Int32Array;
} {
  const { seed, centres, perBlob, dim, spread = 1 } = options;
  const random = new SeededRandom(seed);
  const count = centres * perBlob;
  const data = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let c = 0; c < centres; c++) {
    const centre = Array.from({ length: dim }, () => 20 * random.next() - 10);
    for (let p = 0; p < perBlob; p++) {
      const row = c * perBlob + p;
      labels[row] = c;
      for (let k = 0; k < dim; k++) data[row * dim + k] = centre[k]! + spread * random.nextGaussian();
    }
  }
  return { matrix: { count, dim, data }, labels };
}

/** Uniform values in [0, 1). */
export function uniformMatrix(seed: number, count: number, dim: number): Matrix {
  const random = new SeededRandom(seed);
  return { count, dim, data: Float32Array.from({ length: count * dim }, () => random.next()) };
}

/** Every row's k nearest other rows by brute force (float64 euclidean or cosine), ties by index. */
export function bruteForceNeighbors(
  matrix: Matrix,
  k: number,
  metric: 'euclidean' | 'cosine' = 'euclidean',
): number[][] {
  const { count, dim, data } = matrix;
  const norm = (r: number): number =>
    Math.sqrt(Array.from(data.subarray(r * dim, (r + 1) * dim)).reduce((s, v) => s + v * v, 0));
  const distance = (i: number, j: number): number => {
    let sum = 0;
    if (metric === 'euclidean') {
      for (let d = 0; d < dim; d++) sum += (data[i * dim + d]! - data[j * dim + d]!) ** 2;
      return sum;
    }
    for (let d = 0; d < dim; d++) sum += data[i * dim + d]! * data[j * dim + d]!;
    const ni = norm(i);
    const nj = norm(j);
    return ni > 0 && nj > 0 ? 1 - sum / (ni * nj) : 1;
  };
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: count }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => [distance(i, j), j] as const)
      .sort((p, q) => p[0] - q[0] || p[1] - q[1])
      .slice(0, k)
      .map(([, j]) => j),
  );
}
