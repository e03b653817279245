/**
 * Where a pattern lives in the image: for one input's raw tensor of a convolutional layer, how close each
 * spatial position's unit vector is to the pattern's centroid.
 *
 * The position's vector is made comparable to the centroid the way the clustered vectors were made: each
 * unit's value is divided by the layer's normalization divisor of the aggregated column it feeds (unit c's
 * mean or max column; the mean half of mean_std; the max half of min_max; with 'none', the column of that
 * very unit and position, whose centroid entry is then position-specific). The centroid is the mean of the
 * pattern members' normalized aggregated vectors.
 *
 * Similarity = max(0, cos(v_p - b, c - b)), in [0, 1], where v_p is the position's normalized vector, c the
 * centroid and b the baseline: the layer's mean normalized aggregated vector over all inputs. Measured from
 * the baseline rather than from zero because every position carries what all inputs share (background,
 * biases): on the MNIST CNN's conv1, the plain cosine was 0.5-0.75 over the background of every pattern,
 * while the cosine from the baseline lights the strokes that make the pattern (-0.9..0.8 before clipping).
 * A cosine (direction, not magnitude) because aggregation changes magnitudes (a mean over positions is
 * smaller than a typical active position) while the mix of units survives it. A position at the baseline
 * exactly scores 0.
 */
import type { Aggregation, ChannelOrder } from './aggregate.js';
import { ZERO_DIVISOR } from './normalize.js';

/** A layer's spatial map of one input: `units` values at each of height x width positions. */
export interface SpatialGrid {
  units: number;
  height: number;
  width: number;
  order: ChannelOrder;
}

/**
 * The grid of a layer from its per-input dims: [C, H, W] channels-first or [H, W, C] channels-last; a
 * sequence [C, L] / [L, C] is one row of L positions. Null when the layer has no spatial positions to map
 * (dense layers) or more than two spatial axes.
 */
export function spatialGrid(itemDims: readonly number[], order: ChannelOrder): SpatialGrid | null {
  if (itemDims.length < 2 || itemDims.length > 3) return null;
  const units = order === 'channels-first' ? itemDims[0]! : itemDims[itemDims.length - 1]!;
  const spatial = order === 'channels-first' ? itemDims.slice(1) : itemDims.slice(0, -1);
  const [height, width] = spatial.length === 2 ? [spatial[0]!, spatial[1]!] : [1, spatial[0]!];
  if (height * width < 2) return null;
  return { units, height, width, order };
}

export function gridPositions(grid: SpatialGrid): number {
  return grid.height * grid.width;
}

/** Unit and position of every value of one input's raw tensor, in memory order. */
function slotOf(grid: SpatialGrid, slot: number): { unit: number; position: number } {
  const positions = gridPositions(grid);
  return grid.order === 'channels-first'
    ? { unit: Math.floor(slot / positions), position: slot % positions }
    : { unit: slot % grid.units, position: Math.floor(slot / grid.units) };
}

/**
 * For every value of one input's raw tensor (memory order), the column of the aggregated vector it is
 * compared with (see the file comment).
 */
export function heatmapColumns(grid: SpatialGrid, aggregation: Aggregation): Int32Array {
  const size = grid.units * gridPositions(grid);
  return Int32Array.from({ length: size }, (_, slot) => {
    if (aggregation === 'none') return slot;
    const { unit } = slotOf(grid, slot);
    return aggregation === 'min_max' ? grid.units + unit : unit;
  });
}

/** What a heatmap compares with, per raw slot (see heatmapTarget). */
export interface HeatmapTarget {
  grid: SpatialGrid;
  /** Per raw slot: 1 / divisor of its column, or 0 when the divisor is (near) zero. */
  scale: Float64Array;
  /** Per raw slot: the baseline's value of its column. */
  baseline: Float64Array;
  /** Per raw slot: the centroid minus the baseline, in its column. */
  direction: Float64Array;
  /** Per position: the norm of `direction` over the units. */
  directionNorm: Float64Array;
}

/**
 * Prepares the comparison with one pattern's centroid. `divisors`, `centroid` and `baseline` are vectors of
 * the layer's aggregated dim (the normalization divisors, the pattern's mean normalized vector and the
 * layer's mean normalized vector); `columns` comes from `heatmapColumns`.
 */
export function heatmapTarget(
  grid: SpatialGrid,
  columns: Int32Array,
  divisors: ArrayLike<number>,
  centroid: ArrayLike<number>,
  baseline: ArrayLike<number>,
): HeatmapTarget {
  if (divisors.length !== centroid.length || baseline.length !== centroid.length) {
    throw new RangeError(
      `${divisors.length} divisors, a centroid of ${centroid.length} and a baseline of ${baseline.length} columns`,
    );
  }
  const positions = gridPositions(grid);
  const scale = new Float64Array(columns.length);
  const base = new Float64Array(columns.length);
  const direction = new Float64Array(columns.length);
  const directionNorm = new Float64Array(positions);
  columns.forEach((column, slot) => {
    if (column >= centroid.length)
      throw new RangeError(`column ${column} is outside the centroid's ${centroid.length} columns`);
    const divisor = divisors[column]!;
    scale[slot] = divisor > ZERO_DIVISOR ? 1 / divisor : 0;
    base[slot] = baseline[column]!;
    direction[slot] = centroid[column]! - baseline[column]!;
    directionNorm[slotOf(grid, slot).position]! += direction[slot] * direction[slot];
  });
  for (let p = 0; p < positions; p++) directionNorm[p] = Math.sqrt(directionNorm[p]!);
  return { grid, scale, baseline: base, direction, directionNorm };
}

/**
 * One input's heatmap: writes height x width similarities (row-major) to `out` at `outOffset`. `item` is the
 * input's raw layer tensor (units x positions values in the grid's memory order).
 */
export function heatmapOf(item: Float32Array, target: HeatmapTarget, out: Float32Array, outOffset = 0): void {
  const { grid, scale, baseline, direction, directionNorm } = target;
  const positions = gridPositions(grid);
  if (item.length !== scale.length)
    throw new RangeError(`layer tensor of ${item.length} values, expected ${scale.length}`);
  const dot = new Float64Array(positions);
  const norm = new Float64Array(positions);
  const channelsFirst = grid.order === 'channels-first';
  for (let slot = 0; slot < item.length; slot++) {
    const p = channelsFirst ? slot % positions : Math.floor(slot / grid.units);
    const value = item[slot]! * scale[slot]! - baseline[slot]!;
    dot[p]! += value * direction[slot]!;
    norm[p]! += value * value;
  }
  for (let p = 0; p < positions; p++) {
    const denominator = Math.sqrt(norm[p]!) * directionNorm[p]!;
    out[outOffset + p] = denominator > 0 ? Math.max(0, dot[p]! / denominator) : 0;
  }
}

/**
 * Per pattern, the mean of its members' rows of `matrix` (row r belongs to pattern `patternOfRow[r]`, -1 =
 * noise, left out): patternCount x dim, with each pattern's member count.
 */
export function patternCentroids(
  matrix: { count: number; dim: number; data: Float32Array },
  patternOfRow: Int32Array,
  patternCount: number,
): { centroids: Float64Array; counts: Int32Array } {
  const { count, dim, data } = matrix;
  if (patternOfRow.length !== count) throw new RangeError(`${patternOfRow.length} pattern labels for ${count} rows`);
  const centroids = new Float64Array(patternCount * dim);
  const counts = new Int32Array(patternCount);
  for (let r = 0; r < count; r++) {
    const pattern = patternOfRow[r]!;
    if (pattern < 0 || pattern >= patternCount) continue;
    counts[pattern]!++;
    for (let c = 0; c < dim; c++) centroids[pattern * dim + c]! += data[r * dim + c]!;
  }
  for (let pattern = 0; pattern < patternCount; pattern++) {
    if (counts[pattern]! === 0) continue;
    for (let c = 0; c < dim; c++) centroids[pattern * dim + c]! /= counts[pattern]!;
  }
  return { centroids, counts };
}

/** The position-wise mean of `count` heatmaps of `size` values each, back to back. */
export function meanHeatmap(values: Float32Array, count: number, size: number): Float32Array {
  if (values.length !== count * size)
    throw new RangeError(`${values.length} values are not ${count} heatmaps of ${size}`);
  const sum = new Float64Array(size);
  for (let i = 0; i < count; i++) for (let p = 0; p < size; p++) sum[p]! += values[i * size + p]!;
  return Float32Array.from(sum, (total) => (count > 0 ? total / count : 0));
}

/** The mean of every row of `matrix` (the layer's baseline), dim values. */
export function columnMeans(matrix: { count: number; dim: number; data: Float32Array }): Float64Array {
  const { count, dim, data } = matrix;
  const means = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let c = 0; c < dim; c++) means[c]! += data[r * dim + c]!;
  if (count > 0) for (let c = 0; c < dim; c++) means[c]! /= count;
  return means;
}
