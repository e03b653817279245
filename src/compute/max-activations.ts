import type { LayerGeometry } from './aggregate.js';
import { TopK } from './top-k.js';

/**
 * Each item's maximum over positions for every unit, written as row `targetRow + item` of a row-major
 * matrix with `units` columns: what ranking the inputs that activate a unit (or the layer) most needs.
 * Positions a `mask` (count x positions) marks 0 (padding tokens) are left out; none left gives 0.
 */
export function unitMaximaInto(
  source: Float32Array,
  count: number,
  geometry: LayerGeometry,
  target: Float32Array,
  targetRow: number,
  mask?: Uint8Array,
): void {
  const { units, positions, order } = geometry;
  const itemSize = units * positions;
  const unitStride = order === 'channels-first' ? positions : 1;
  const positionStride = order === 'channels-first' ? 1 : units;
  for (let item = 0; item < count; item++) {
    const base = item * itemSize;
    const out = (targetRow + item) * units;
    const keep = mask?.subarray(item * positions, (item + 1) * positions);
    for (let unit = 0; unit < units; unit++) {
      let unitMax = -Infinity;
      for (let p = 0, at = base + unit * unitStride; p < positions; p++, at += positionStride) {
        if (keep && keep[p] === 0) continue;
        const value = source[at]!;
        if (value > unitMax) unitMax = value;
      }
      target[out + unit] = unitMax === -Infinity ? 0 : unitMax;
    }
  }
}

export interface RankedInputs {
  /** -1 ranks the whole layer (the maximum over every unit and position). */
  unit: Int32Array;
  rank: Int32Array;
  inputIndex: Int32Array;
  value: Float64Array;
}

/** The k inputs with the highest maximum per unit and for the whole layer, from per-unit maxima rows. */
export function rankMaxActivations(
  unitMax: Float32Array,
  units: number,
  inputIndex: Int32Array,
  k: number,
): RankedInputs {
  const ranking = new MaxActivationRanking(units, k);
  ranking.offer(unitMax, inputIndex);
  return ranking.ranked();
}

/**
 * rankMaxActivations over rows offered a part at a time (a staged layer's batches), so that the whole
 * layer's maxima are never held: the same ranking as offering every row at once, in the same order.
 */
export class MaxActivationRanking {
  private readonly top: TopK;

  constructor(
    private readonly units: number,
    k: number,
  ) {
    this.top = new TopK(units + 1, k);
  }

  /** Rows of per-unit maxima (`units` each) of the inputs `inputIndex`. */
  offer(unitMax: Float32Array, inputIndex: Int32Array): void {
    const { top, units } = this;
    for (let row = 0; row < inputIndex.length; row++) {
      let layerMax = -Infinity;
      for (let unit = 0; unit < units; unit++) {
        const value = unitMax[row * units + unit]!;
        top.offer(unit, value, inputIndex[row]!);
        if (value > layerMax) layerMax = value;
      }
      top.offer(units, layerMax, inputIndex[row]!);
    }
  }

  ranked(): RankedInputs {
    const { top, units } = this;
    const unit: number[] = [];
    const rank: number[] = [];
    const ids: number[] = [];
    const value: number[] = [];
    for (let slot = 0; slot <= units; slot++) {
      const entries = top.entries(slot);
      entries.ids.forEach((id, r) => {
        unit.push(slot === units ? -1 : slot);
        rank.push(r);
        ids.push(id);
        value.push(entries.values[r]!);
      });
    }
    return {
      unit: Int32Array.from(unit),
      rank: Int32Array.from(rank),
      inputIndex: Int32Array.from(ids),
      value: Float64Array.from(value),
    };
  }
}
