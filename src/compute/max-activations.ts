import type { LayerGeometry } from './aggregate.js';
import { TopK } from './top-k.js';

/**
 * Streams the inputs that activate a layer most: per unit (its maximum over positions) and for the whole
 * layer (slot `units`: the maximum over every unit and position). Works on raw, unnormalized activations.
 */
export class MaxActivations {
  readonly geometry: LayerGeometry;
  readonly top: TopK;

  constructor(geometry: LayerGeometry, k: number) {
    this.geometry = geometry;
    this.top = new TopK(geometry.units + 1, k);
  }

  /** Items of `source` are inputs firstId, firstId+1, ... */
  add(source: Float32Array, count: number, firstId: number): void {
    const { units, positions, order } = this.geometry;
    const itemSize = units * positions;
    const unitStride = order === 'channels-first' ? positions : 1;
    const positionStride = order === 'channels-first' ? 1 : units;
    for (let item = 0; item < count; item++) {
      const base = item * itemSize;
      let layerMax = -Infinity;
      for (let unit = 0; unit < units; unit++) {
        let unitMax = -Infinity;
        for (let p = 0, at = base + unit * unitStride; p < positions; p++, at += positionStride) {
          const value = source[at]!;
          if (value > unitMax) unitMax = value;
        }
        this.top.offer(unit, unitMax, firstId + item);
        if (unitMax > layerMax) layerMax = unitMax;
      }
      this.top.offer(units, layerMax, firstId + item);
    }
  }
}
