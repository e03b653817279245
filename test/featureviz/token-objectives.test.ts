/**
 * Feature-visualization objectives on a token layer ([batch, tokens, units], one prefix token): the rows
 * the tf.js objective computes are the rows analyze aggregated (compute/aggregate.ts, prefix left out of
 * the patch aggregations, 'cls' the first token), and a unit's mean leaves the prefix out as the stored
 * 'mean' and 'none' rows do.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { aggregatedDim, aggregateInto, type Aggregation, type LayerGeometry } from '../../src/compute/aggregate.js';
import {
  normalizedRows,
  objectiveValues,
  positionsByUnits,
  storedRowValue,
  type LayerSpace,
} from '../../src/featureviz/objectives.js';
import { useTfjsBackend } from '../../src/io/onnx-to-tfjs/backend.js';
import { plain } from '../../src/io/onnx-to-tfjs/value.js';

const BATCH = 2;
const TOKENS = 5; // 1 prefix + 4 patches
const UNITS = 3;
const PREFIX = 1;
// Token 0 (the prefix) holds the extremes, so any aggregation that read it would differ.
const VALUES = Float32Array.from({ length: BATCH * TOKENS * UNITS }, (_, i) =>
  Math.floor(i / UNITS) % TOKENS === 0 ? (i % 2 ? 50 : -50) : Math.sin(i * 1.7) * 3,
);
const GEOMETRY: LayerGeometry = { units: UNITS, positions: TOKENS, order: 'channels-last', prefix: PREFIX };

function space(aggregation: Aggregation): LayerSpace {
  const dim = aggregatedDim(aggregation, GEOMETRY);
  return {
    rawDims: [1, TOKENS, UNITS],
    order: 'channels-last',
    aggregation,
    divisors: Float32Array.from({ length: dim }, (_, c) => 1 + c / 4),
    prefixTokens: PREFIX,
  };
}

/** What analyze stores: aggregated rows divided by the layer's divisors. */
function storedRows(aggregation: Aggregation): Float32Array {
  const { divisors } = space(aggregation);
  const rows = new Float32Array(BATCH * divisors.length);
  aggregateInto(VALUES, BATCH, GEOMETRY, aggregation, rows, 0);
  return rows.map((value, i) => value / divisors[i % divisors.length]!);
}

describe('feature-visualization objectives on a token layer with a prefix token', () => {
  before(async () => {
    await useTfjsBackend('cpu');
  });

  for (const aggregation of ['cls', 'mean', 'max', 'absmax', 'mean_std', 'min_max', 'none'] as const) {
    it(`${aggregation}: the tf.js rows are the rows analyze stored`, () => {
      const x = tf.tensor3d(VALUES, [BATCH, TOKENS, UNITS]);
      const rows = normalizedRows(x, space(aggregation)).dataSync();
      const expected = storedRows(aggregation);
      assert.equal(rows.length, expected.length);
      rows.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) < 1e-5, `${i}: ${value} vs ${expected[i]}`));
    });
  }

  it("a unit's mean leaves the prefix token out, as the stored mean and none rows do", () => {
    const layer = plain(tf.tensor3d(VALUES, [BATCH, TOKENS, UNITS]));
    for (const unit of [0, 2]) {
      const values = objectiveValues(positionsByUnits(layer, space('mean')), space('mean'), {
        kind: 'unit',
        unit,
      }).dataSync();
      for (let item = 0; item < BATCH; item++) {
        let sum = 0;
        for (let token = PREFIX; token < TOKENS; token++) sum += VALUES[(item * TOKENS + token) * UNITS + unit]!;
        const byHand = sum / (TOKENS - PREFIX);
        assert.ok(Math.abs(values[item]! - byHand) < 1e-5, `unit ${unit}, item ${item}`);
        for (const aggregation of ['mean', 'none'] as const) {
          const dim = aggregatedDim(aggregation, GEOMETRY);
          const row = storedRows(aggregation).subarray(item * dim, (item + 1) * dim);
          const stored = storedRowValue(row, space(aggregation), { kind: 'unit', unit });
          assert.ok(stored !== null && Math.abs(stored - byHand) < 1e-4, `${aggregation}: ${stored} vs ${byHand}`);
        }
      }
    }
  });
});
