/**
 * Spatial aggregation ("location disentanglement", NAP paper §3.1): turns one input's layer tensor of
 * `units` channels x `positions` spatial positions into a fixed-length vector.
 */
export type Aggregation = 'mean' | 'mean_std' | 'max' | 'min_max' | 'none';

export const AGGREGATIONS: readonly Aggregation[] = ['mean', 'mean_std', 'max', 'min_max', 'none'];

/**
 * How a layer tensor of one input is laid out in memory. `channels-first`: unit c's positions are
 * contiguous (PyTorch NCHW, NCL). `channels-last`: the units of one position are contiguous (NHWC, NLC).
 */
export type ChannelOrder = 'channels-first' | 'channels-last';

export interface LayerGeometry {
  units: number;
  /** Spatial positions per unit (H*W for a conv map, L for a sequence, 1 for a dense layer). */
  positions: number;
  order: ChannelOrder;
}

/** Splits a layer's dims (batch first) into units and positions for the given channel order. */
export function layerGeometry(dims: readonly number[], order: ChannelOrder): LayerGeometry {
  const perItem = dims.slice(1);
  if (perItem.length === 0) return { units: 1, positions: 1, order };
  if (perItem.length === 1) return { units: perItem[0]!, positions: 1, order };
  const size = perItem.reduce((a, b) => a * b, 1);
  const units = order === 'channels-first' ? perItem[0]! : perItem[perItem.length - 1]!;
  return { units, positions: size / units, order };
}

export function aggregatedDim(aggregation: Aggregation, geometry: LayerGeometry): number {
  switch (aggregation) {
    case 'mean':
    case 'max':
      return geometry.units;
    case 'mean_std':
    case 'min_max':
      return 2 * geometry.units;
    case 'none':
      return geometry.units * geometry.positions;
  }
}

/**
 * Aggregates `count` consecutive items of `source` (each units*positions values) into `target`, starting at
 * row `targetRow` of a row-major matrix with aggregatedDim columns. mean_std gives [means..., population
 * stds...]; min_max gives [mins..., maxs...]; none copies the item in memory order.
 */
export function aggregateInto(
  source: Float32Array,
  count: number,
  geometry: LayerGeometry,
  aggregation: Aggregation,
  target: Float32Array,
  targetRow: number,
): void {
  const { units, positions, order } = geometry;
  const itemSize = units * positions;
  const dim = aggregatedDim(aggregation, geometry);
  if (source.length < count * itemSize) {
    throw new RangeError(`layer tensor has ${source.length} values, expected ${count} x ${itemSize}`);
  }
  if (aggregation === 'none') {
    target.set(source.subarray(0, count * itemSize), targetRow * dim);
    return;
  }
  const unitStride = order === 'channels-first' ? positions : 1;
  const positionStride = order === 'channels-first' ? 1 : units;
  for (let item = 0; item < count; item++) {
    const base = item * itemSize;
    const out = (targetRow + item) * dim;
    for (let unit = 0; unit < units; unit++) {
      const start = base + unit * unitStride;
      let sum = 0;
      let sumSquares = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let p = 0, at = start; p < positions; p++, at += positionStride) {
        const value = source[at]!;
        sum += value;
        sumSquares += value * value;
        if (value < min) min = value;
        if (value > max) max = value;
      }
      switch (aggregation) {
        case 'mean':
          target[out + unit] = sum / positions;
          break;
        case 'max':
          target[out + unit] = max;
          break;
        case 'mean_std': {
          const mean = sum / positions;
          target[out + unit] = mean;
          target[out + units + unit] = Math.sqrt(Math.max(0, sumSquares / positions - mean * mean));
          break;
        }
        case 'min_max':
          target[out + unit] = min;
          target[out + units + unit] = max;
          break;
      }
    }
  }
}
