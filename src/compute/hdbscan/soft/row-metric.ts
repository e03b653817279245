import type { Metric } from '../types.js';

/** Distance between `dim` values of `a` from `aStart` and of `b` from `bStart`, in float64 from float32 values. */
export type PairDistance = (a: Float32Array, aStart: number, b: Float32Array, bStart: number, dim: number) => number;

/**
 * The clustering's metric between rows of two different arrays (points and exemplars, queries and
 * data), with distance.ts's definitions: cosine is 1 - cosine similarity clipped to [0, 2], and an
 * all-zero row is at distance 1 from everything.
 */
export function pairDistance(metric: Metric): PairDistance {
  switch (metric) {
    case 'euclidean':
      return euclidean;
    case 'manhattan':
      return (a, aStart, b, bStart, dim) => {
        let sum = 0;
        for (let k = 0; k < dim; k++) sum += Math.abs(a[aStart + k]! - b[bStart + k]!);
        return sum;
      };
    case 'cosine':
      return (a, aStart, b, bStart, dim) => {
        let dot = 0;
        let aa = 0;
        let bb = 0;
        for (let k = 0; k < dim; k++) {
          const x = a[aStart + k]!;
          const y = b[bStart + k]!;
          dot += x * y;
          aa += x * x;
          bb += y * y;
        }
        if (aa === 0 || bb === 0) return 1;
        const distance = 1 - dot / (Math.sqrt(aa) * Math.sqrt(bb));
        return distance < 0 ? 0 : distance > 2 ? 2 : distance;
      };
  }
}

function euclidean(a: Float32Array, aStart: number, b: Float32Array, bStart: number, dim: number): number {
  const end = dim - (dim & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k < end; k += 4) {
    const d0 = a[aStart + k]! - b[bStart + k]!;
    const d1 = a[aStart + k + 1]! - b[bStart + k + 1]!;
    const d2 = a[aStart + k + 2]! - b[bStart + k + 2]!;
    const d3 = a[aStart + k + 3]! - b[bStart + k + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; k < dim; k++) {
    const d = a[aStart + k]! - b[bStart + k]!;
    s0 += d * d;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}
