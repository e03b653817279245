/**
 * Spatial aggregation ("location disentanglement", NAP paper §3.1): turns one input's layer tensor of
 * `units` channels x `positions` spatial positions (or tokens) into a fixed-length vector.
 *
 * Token layers: positions are tokens, and the first `prefix` of them (CLS, a distillation token,
 * registers) are not patches, so the patch aggregations (mean, max, absmax, mean_std, min_max) leave
 * them out; 'cls' takes the first token alone. Tokens a mask marks as padding are left out of every
 * aggregation but 'cls' and 'none'.
 */
export type Aggregation = 'mean' | 'mean_std' | 'max' | 'min_max' | 'absmax' | 'cls' | 'none';

export const AGGREGATIONS: readonly Aggregation[] = ['mean', 'mean_std', 'max', 'min_max', 'absmax', 'cls', 'none'];

/** The aggregations offered for token layers (`--aggregation`); the others apply to them too. */
export const TOKEN_AGGREGATIONS: readonly Aggregation[] = ['cls', 'mean', 'max', 'absmax'];

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
  /** Leading positions that are not patches (a token layer's prefix tokens); default 0. */
  prefix?: number;
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
    case 'absmax':
    case 'cls':
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
 * stds...]; min_max gives [mins..., maxs...]; absmax the largest |value|; cls position 0; none copies the
 * item in memory order. `mask` (count x positions, 0 = padding) leaves positions out; an item whose
 * patch positions are all masked aggregates to zeros.
 */
export function aggregateInto(
  source: Float32Array,
  count: number,
  geometry: LayerGeometry,
  aggregation: Aggregation,
  target: Float32Array,
  targetRow: number,
  mask?: Uint8Array,
): void {
  const { units, positions, order } = geometry;
  const itemSize = units * positions;
  const dim = aggregatedDim(aggregation, geometry);
  if (source.length < count * itemSize) {
    throw new RangeError(`layer tensor has ${source.length} values, expected ${count} x ${itemSize}`);
  }
  if (mask !== undefined && mask.length < count * positions) {
    throw new RangeError(`mask has ${mask.length} values, expected ${count} x ${positions}`);
  }
  if (aggregation === 'none') {
    target.set(source.subarray(0, count * itemSize), targetRow * dim);
    return;
  }
  const unitStride = order === 'channels-first' ? positions : 1;
  const positionStride = order === 'channels-first' ? 1 : units;
  if (aggregation === 'cls') {
    for (let item = 0; item < count; item++) {
      const base = item * itemSize;
      for (let unit = 0; unit < units; unit++)
        target[(targetRow + item) * dim + unit] = source[base + unit * unitStride]!;
    }
    return;
  }
  const first = Math.min(geometry.prefix ?? 0, positions - 1);
  for (let item = 0; item < count; item++) {
    const base = item * itemSize;
    const out = (targetRow + item) * dim;
    const keep = mask?.subarray(item * positions, (item + 1) * positions);
    let kept = 0;
    for (let p = first; p < positions; p++) if (!keep || keep[p] !== 0) kept++;
    for (let unit = 0; unit < units; unit++) {
      let sum = 0;
      let sumSquares = 0;
      let min = Infinity;
      let max = -Infinity;
      let absMax = 0;
      for (
        let p = first, at = base + unit * unitStride + first * positionStride;
        p < positions;
        p++, at += positionStride
      ) {
        if (keep && keep[p] === 0) continue;
        const value = source[at]!;
        sum += value;
        sumSquares += value * value;
        if (value < min) min = value;
        if (value > max) max = value;
        if (Math.abs(value) > absMax) absMax = Math.abs(value);
      }
      if (kept === 0) {
        for (let c = 0; c < dim; c += units) target[out + c + unit] = 0;
        continue;
      }
      switch (aggregation) {
        case 'mean':
          target[out + unit] = sum / kept;
          break;
        case 'max':
          target[out + unit] = max;
          break;
        case 'absmax':
          target[out + unit] = absMax;
          break;
        case 'mean_std': {
          const mean = sum / kept;
          target[out + unit] = mean;
          target[out + units + unit] = Math.sqrt(Math.max(0, sumSquares / kept - mean * mean));
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
