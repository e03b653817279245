import type { Matrix } from '../../matrix.js';

export type KnnMetric = 'euclidean' | 'cosine';
export const KNN_METRICS: readonly KnnMetric[] = ['euclidean', 'cosine'];

/**
 * The k nearest neighbours of every row, row-major `count x k`. As in umap-learn, each row lists
 * itself first (distance 0), then its k - 1 nearest other rows by increasing (distance, index).
 */
export interface NeighborGraph {
  count: number;
  k: number;
  indices: Int32Array;
  distances: Float32Array;
}

/**
 * Rows in the form the search compares: for cosine they are scaled to unit length (an all-zero row
 * stays zero, so its distance to everything is 1, as in sklearn).
 *
 * Every search orders candidates by a "key" that is monotone in the distance:
 *   key = offset[i] + offset[j] - dotWeight * (row_i . row_j)
 * euclidean: offset = |row|^2 and dotWeight 2, so key is the squared distance;
 * cosine: offset = 1/2 and dotWeight 1, so key is 1 - cos, the cosine distance itself.
 */
export interface SearchRows {
  count: number;
  dim: number;
  data: Float32Array;
  offsets: Float64Array;
  dotWeight: number;
  metric: KnnMetric;
}

export function searchRows(matrix: Matrix, metric: KnnMetric): SearchRows {
  const { count, dim } = matrix;
  const data = metric === 'cosine' ? unitRows(matrix) : matrix.data;
  const offsets = new Float64Array(count);
  if (metric === 'cosine') {
    offsets.fill(0.5);
  } else {
    for (let r = 0; r < count; r++) {
      let sum = 0;
      for (let k = 0, i = r * dim; k < dim; k++, i++) sum += data[i]! * data[i]!;
      offsets[r] = sum;
    }
  }
  return { count, dim, data, offsets, dotWeight: metric === 'cosine' ? 1 : 2, metric };
}

/** Turns a search key back into the metric's distance. */
export function keyToDistance(key: number, metric: KnnMetric): number {
  if (metric === 'cosine') return key < 0 ? 0 : key > 2 ? 2 : key;
  return key > 0 ? Math.sqrt(key) : 0;
}

/** Key between rows a and b computed directly (differences for euclidean, more accurate than via offsets). */
export function pairKey(rows: SearchRows, a: number, b: number): number {
  const { data, dim } = rows;
  let i = a * dim;
  let j = b * dim;
  const end = i + dim - (dim & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  if (rows.metric === 'euclidean') {
    for (; i < end; i += 4, j += 4) {
      const d0 = data[i]! - data[j]!;
      const d1 = data[i + 1]! - data[j + 1]!;
      const d2 = data[i + 2]! - data[j + 2]!;
      const d3 = data[i + 3]! - data[j + 3]!;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (const last = a * dim + dim; i < last; i++, j++) s0 += (data[i]! - data[j]!) ** 2;
    return s0 + s1 + s2 + s3;
  }
  for (; i < end; i += 4, j += 4) {
    s0 += data[i]! * data[j]!;
    s1 += data[i + 1]! * data[j + 1]!;
    s2 += data[i + 2]! * data[j + 2]!;
    s3 += data[i + 3]! * data[j + 3]!;
  }
  for (const last = a * dim + dim; i < last; i++, j++) s0 += data[i]! * data[j]!;
  return 1 - (s0 + s1 + s2 + s3);
}

/** Rows scaled to unit length; an all-zero row stays zero. */
export function unitRows({ count, dim, data }: Matrix): Float32Array {
  const unit = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const start = r * dim;
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += data[start + k]! * data[start + k]!;
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let k = 0; k < dim; k++) unit[start + k] = data[start + k]! * scale;
  }
  return unit;
}

/**
 * Builds the graph from per-row sorted lists of `width` other rows: `values` holds their distances,
 * or whatever `toDistance` turns into them (search keys).
 */
export function graphFromSortedRows(
  ids: Int32Array,
  values: Float64Array,
  count: number,
  width: number,
  toDistance: (value: number) => number = (distance) => distance,
): NeighborGraph {
  const k = width + 1;
  const indices = new Int32Array(count * k);
  const distances = new Float32Array(count * k);
  for (let r = 0; r < count; r++) {
    indices[r * k] = r;
    for (let i = 0; i < width; i++) {
      indices[r * k + 1 + i] = ids[r * width + i]!;
      distances[r * k + 1 + i] = toDistance(values[r * width + i]!);
    }
  }
  return { count, k, indices, distances };
}
