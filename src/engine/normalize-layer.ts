import type { Aggregation, LayerGeometry } from '../compute/aggregate.js';
import { makeMatrix, type Matrix } from '../compute/matrix.js';
import { divideColumns, poolDivisors, updateMaxAbs } from '../compute/normalize.js';

/**
 * Unit normalization of a layer's aggregated activations (in place): every column by its own max |value|
 * over all inputs; with aggregation 'none' on a spatial layer, every unit by its max over inputs AND
 * positions, so a unit's map keeps its shape.
 */
export function normalizeLayer(
  values: Float32Array,
  count: number,
  dim: number,
  geometry: LayerGeometry,
  aggregation: Aggregation,
): { matrix: Matrix; divisors: Float64Array } {
  const matrix = makeMatrix(count, dim, values);
  const maxAbs = new Float64Array(dim);
  updateMaxAbs(matrix, maxAbs);
  const divisors =
    aggregation === 'none' && geometry.positions > 1
      ? poolDivisors(maxAbs, unitOfColumn(geometry), geometry.units)
      : maxAbs;
  divideColumns(matrix, divisors);
  return { matrix, divisors };
}

/** With aggregation 'none', column c of an item belongs to the unit it came from. */
function unitOfColumn(geometry: LayerGeometry): Int32Array {
  const { units, positions, order } = geometry;
  return Int32Array.from({ length: units * positions }, (_, c) =>
    order === 'channels-first' ? Math.floor(c / positions) : c % units,
  );
}
