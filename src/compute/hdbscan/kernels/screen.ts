import { unitScale, type Matrix } from '../../matrix.js';
import type { Metric } from '../types.js';

/**
 * The fast, approximate side of the exact spanning tree: every metric is screened through one
 * quantity per pair, `s = norms[i] + norms[j] - 2 * t[i][j]`, where `t` is a float32 tile that a
 * kernel fills from `vectors` (a dot product for euclidean and cosine, an L1 sum for manhattan).
 * `s` grows with the distance, and the two bounds below turn it into rigorous statements about
 * the float64 reference distance (src/compute/hdbscan/distance.ts), so that every decision the
 * spanning tree takes is either certified by a bound or made on an exactly recomputed distance.
 */
export interface ScreenBounds {
  /**
   * An `s` at or above which the reference distance of a pair is surely >= `distance`, for a pair
   * one of whose rows has scale `rowScale` (the other's is bounded by the screen's `maxScale`).
   */
  screenAtLeast(distance: number, rowScale: number): number;
  /** A lower bound on the reference distance of any pair of `rowScale` whose `s` is >= `s`. */
  distanceAtLeast(s: number, rowScale: number): number;
}

export interface Screen extends ScreenBounds {
  readonly metric: Metric;
  readonly count: number;
  readonly dim: number;
  /** Row-major `count x dim` float32 rows the tile kernel works on (centred, unit or raw). */
  readonly vectors: Float32Array;
  /** Per-row additive term of `s` (squared norm for euclidean, 0 otherwise). */
  readonly norms: Float64Array;
  /** Per-row magnitude that scales the float32 error (0 for manhattan, whose error is relative). */
  readonly scales: Float64Array;
  /** Largest entry of `scales`. */
  readonly maxScale: number;
  /**
   * The power of two the rows were multiplied by before `vectors` were made (1 but for euclidean):
   * `s` and `scales` are in those units, distances are in the caller's.
   */
  readonly unit: number;
  /** Which tile kernel fills `t`: a float32 dot product, or an exact L1 sum stored as -d/2. */
  readonly tile: 'dot' | 'manhattan';
}

/** The screen's bounds, rebuilt from its parameters (how worker threads get them). */
export function screenBounds(metric: Metric, dim: number, maxScale: number, unit: number): ScreenBounds {
  switch (metric) {
    case 'euclidean':
      return euclideanBounds(dim, maxScale, unit);
    case 'cosine':
      return cosineBounds(dim, maxScale);
    case 'manhattan':
      return manhattanBounds();
  }
}

/** Fresh arrays of `length` values, shared with worker threads when `shared` is set. */
export function float32s(length: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(4 * length)) : new Float32Array(length);
}

export function float64s(length: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(8 * length)) : new Float64Array(length);
}

const UNIT32 = 2 ** -24;
const UNIT64 = 2 ** -53;
/** Bounds are evaluated in float64 themselves; this margin covers their own rounding. */
const MARGIN = 1 + 1e-9;

/** Prepares the screening rows and error bounds of `metric` for `matrix`. */
export function prepareScreen(matrix: Matrix, metric: Metric, shared = false): Screen {
  switch (metric) {
    case 'euclidean':
      return euclideanScreen(matrix, shared);
    case 'cosine':
      return cosineScreen(matrix, shared);
    case 'manhattan':
      return manhattanScreen(matrix, shared);
  }
}

/** gamma_n of floating-point error analysis: the relative error bound of an n-term dot product. */
function gamma(terms: number, unit: number): number {
  return (terms * unit) / (1 - terms * unit);
}

/**
 * Euclidean: rows centred on their mean (in float64, then rounded to float32) so that the dot
 * product error, which scales with the norms, stays small against the distances; first multiplied by
 * a power of two `unit` that brings the largest magnitude near 1 (exactly), so that float32 squares
 * and products neither overflow (data scaled by 1e20) nor underflow (1e-30) whatever the data's scale.
 * s = |x|^2 + |y|^2 - 2 x.y approximates d_c^2, the squared distance of the centred float32 rows:
 * |s - d_c^2| <= 2 g32 |x||y| + g64 (|x|^2 + |y|^2); centring moved each row by at most
 * u32 |x| (1 + 2^-20), and the reference's own float64 sum is within a relative g64 of the truth.
 */
function euclideanScreen(matrix: Matrix, shared: boolean): Screen {
  const { count, dim, data } = matrix;
  const unit = unitScale(data);
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let k = 0, i = r * dim; k < dim; k++, i++) mean[k]! += data[i]! * unit;
  for (let k = 0; k < dim; k++) mean[k]! /= count || 1;
  const vectors = float32s(count * dim, shared);
  const norms = float64s(count, shared);
  const scales = float64s(count, shared);
  let maxScale = 0;
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let k = 0, i = r * dim; k < dim; k++, i++) {
      const v = Math.fround(data[i]! * unit - mean[k]!);
      vectors[i] = v;
      sum += v * v;
    }
    norms[r] = sum;
    scales[r] = Math.sqrt(sum);
    if (scales[r]! > maxScale) maxScale = scales[r]!;
  }
  return {
    metric: 'euclidean',
    count,
    dim,
    vectors,
    norms,
    scales,
    maxScale,
    unit,
    tile: 'dot',
    ...euclideanBounds(dim, maxScale, unit),
  };
}

/** The bounds in the scaled rows' units; distances in and out are in the caller's (see euclideanScreen). */
function euclideanBounds(dim: number, maxScale: number, unit: number): ScreenBounds {
  const dot32 = 2 * gamma(dim + 2, UNIT32) * MARGIN;
  const sum64 = gamma(dim + 4, UNIT64) * 2 * MARGIN;
  const shift = UNIT32 * (1 + 2 ** -20) * MARGIN;
  const relative = 1 - gamma(dim + 4, UNIT64) * 2 * MARGIN;
  const tiny = 1e-300;
  const productError = (a: number, b: number): number => dot32 * a * b + sum64 * (a * a + b * b) + tiny;
  return {
    screenAtLeast(distance, rowScale) {
      if (!(distance > 0)) return -Infinity;
      if (distance === Infinity) return Infinity;
      const root = ((distance * unit) / relative + shift * (rowScale + maxScale)) * MARGIN;
      return root * root * MARGIN + productError(rowScale, maxScale);
    },
    distanceAtLeast(s, rowScale) {
      if (s === Infinity) return Infinity;
      const excess = (s - productError(rowScale, maxScale)) / MARGIN;
      if (!(excess > 0)) return 0;
      const bound = (Math.sqrt(excess) / MARGIN - shift * (rowScale + maxScale)) * relative;
      return bound > 0 ? bound / MARGIN / unit : 0;
    },
  };
}

/**
 * Cosine as sklearn (and distance.ts): 1 - unit(x).unit(y), clipped to [0, 2]; an all-zero row
 * stays zero. Screened on the float32 unit rows with norms 0, so s = -2 t and d ~ 1 + s / 2.
 */
function cosineScreen(matrix: Matrix, shared: boolean): Screen {
  const { count, dim, data } = matrix;
  const vectors = float32s(count * dim, shared);
  const scales = float64s(count, shared);
  let maxScale = 0;
  for (let r = 0; r < count; r++) {
    const start = r * dim;
    let sumSquares = 0;
    for (let k = 0; k < dim; k++) sumSquares += data[start + k]! * data[start + k]!;
    const norm = sumSquares > 0 ? Math.sqrt(sumSquares) : 1;
    let sum = 0;
    for (let k = 0; k < dim; k++) {
      const v = Math.fround(data[start + k]! / norm);
      vectors[start + k] = v;
      sum += v * v;
    }
    scales[r] = Math.sqrt(sum);
    if (scales[r]! > maxScale) maxScale = scales[r]!;
  }
  const norms = float64s(count, shared);
  return {
    metric: 'cosine',
    count,
    dim,
    vectors,
    norms,
    scales,
    maxScale,
    unit: 1,
    tile: 'dot',
    ...cosineBounds(dim, maxScale),
  };
}

function cosineBounds(dim: number, maxScale: number): ScreenBounds {
  const dot32 = gamma(dim + 2, UNIT32) * MARGIN;
  const rounding = UNIT32 * (1 + 2 ** -20) * MARGIN;
  const sum64 = gamma(dim + 4, UNIT64) * 4 * MARGIN + 1e-300;
  const dotError = (a: number): number =>
    dot32 * a * maxScale + rounding * (a + maxScale + rounding) + sum64 * Math.max(1, a * maxScale);
  return {
    screenAtLeast(distance, rowScale) {
      if (!(distance > 0)) return -Infinity;
      if (distance > 2) return Infinity;
      // 1 + s/2 - error >= distance  <=>  s >= 2 (distance - 1 + error)
      const target = 2 * (distance - 1 + dotError(rowScale));
      return target + Math.abs(target) * (MARGIN - 1) + 1e-300;
    },
    distanceAtLeast(s, rowScale) {
      if (s === Infinity) return 2;
      const value = 1 + s / 2 - dotError(rowScale);
      const bound = value - Math.abs(value) * (MARGIN - 1) - 1e-300;
      return bound < 0 ? 0 : bound > 2 ? 2 : bound;
    },
  };
}

/**
 * Manhattan: the L1 tile kernel sums |x - y| in float64 in the reference's order, so the only
 * error is the final rounding to float32 (relative u32); it stores -d/2 so that s = d.
 */
function manhattanScreen(matrix: Matrix, shared: boolean): Screen {
  const { count, dim, data } = matrix;
  const vectors = float32s(count * dim, shared);
  vectors.set(data);
  return {
    metric: 'manhattan',
    count,
    dim,
    vectors,
    norms: float64s(count, shared),
    scales: float64s(count, shared),
    maxScale: 0,
    unit: 1,
    tile: 'manhattan',
    ...manhattanBounds(),
  };
}

function manhattanBounds(): ScreenBounds {
  const relative = 1 + 2 * UNIT32 * MARGIN;
  return {
    screenAtLeast(distance) {
      if (!(distance > 0)) return -Infinity;
      return distance * relative * MARGIN;
    },
    distanceAtLeast(s) {
      return s > 0 ? s / relative / MARGIN : 0;
    },
  };
}
