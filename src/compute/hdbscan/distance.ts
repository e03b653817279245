import type { Matrix } from '../matrix.js';
import type { Metric } from './types.js';

/** Distance between rows `a` and `b`, computed in float64 from the float32 input. */
export type RowDistance = (a: number, b: number) => number;

export const METRICS: readonly Metric[] = ['euclidean', 'cosine', 'manhattan'];

/**
 * Returns the distance function for `metric` over the rows of `matrix`. Cosine follows sklearn's
 * `cosine_distances`: rows are L2-normalised (an all-zero row stays zero, so its distance to
 * anything is 1) and the distance 1 - similarity is clipped to [0, 2].
 */
export function rowDistance(matrix: Matrix, metric: Metric): RowDistance {
  const { dim, data } = matrix;
  switch (metric) {
    case 'euclidean':
      return (a, b) => {
        let sum = 0;
        for (let k = 0, i = a * dim, j = b * dim; k < dim; k++, i++, j++) {
          const delta = data[i]! - data[j]!;
          sum += delta * delta;
        }
        return Math.sqrt(sum);
      };
    case 'manhattan':
      return (a, b) => {
        let sum = 0;
        for (let k = 0, i = a * dim, j = b * dim; k < dim; k++, i++, j++) sum += Math.abs(data[i]! - data[j]!);
        return sum;
      };
    case 'cosine': {
      const unit = unitRows(matrix);
      return (a, b) => {
        let dot = 0;
        for (let k = 0, i = a * dim, j = b * dim; k < dim; k++, i++, j++) dot += unit[i]! * unit[j]!;
        const distance = 1 - dot;
        return distance < 0 ? 0 : distance > 2 ? 2 : distance;
      };
    }
  }
}

function unitRows(matrix: Matrix): Float64Array {
  const { count, dim, data } = matrix;
  const unit = new Float64Array(count * dim);
  for (let r = 0; r < count; r++) {
    const start = r * dim;
    let sumSquares = 0;
    for (let k = 0; k < dim; k++) sumSquares += data[start + k]! * data[start + k]!;
    const norm = sumSquares > 0 ? Math.sqrt(sumSquares) : 1;
    for (let k = 0; k < dim; k++) unit[start + k] = data[start + k]! / norm;
  }
  return unit;
}
