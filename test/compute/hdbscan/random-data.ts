import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

/**
 * Continuous Gaussian blobs plus uniform noise: `perBlob` points around each of `centres` random
 * centres in [-10, 10]^dim with standard deviation `spread`, then `noise` points uniform in the box.
 */
export function randomBlobs(options: {
  seed: number;
  centres: number;
  perBlob: number;
  dim: number;
  spread?: number;
  noise?: number;
}): Matrix {
  const { seed, centres, perBlob, dim, spread = 0.6, noise = 0 } = options;
  const random = mulberry32(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const count = centres * perBlob + noise;
  const data = new Float32Array(count * dim);
  let row = 0;
  for (let c = 0; c < centres; c++) {
    const centre = Array.from({ length: dim }, () => 20 * random() - 10);
    for (let p = 0; p < perBlob; p++, row++) {
      for (let k = 0; k < dim; k++) data[row * dim + k] = centre[k]! + spread * gaussian();
    }
  }
  for (let p = 0; p < noise; p++, row++) {
    for (let k = 0; k < dim; k++) data[row * dim + k] = 24 * random() - 12;
  }
  return makeMatrix(count, dim, data);
}

/** The rows of `matrix` in the order `permutation` (new row i = old row permutation[i]). */
export function permuteRows(matrix: Matrix, permutation: Int32Array): Matrix {
  const data = new Float32Array(matrix.data.length);
  permutation.forEach((from, to) =>
    data.set(matrix.data.subarray(from * matrix.dim, (from + 1) * matrix.dim), to * matrix.dim),
  );
  return makeMatrix(matrix.count, matrix.dim, data);
}

export function randomPermutation(count: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
