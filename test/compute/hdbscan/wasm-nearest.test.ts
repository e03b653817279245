import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairDistance } from '../../../src/compute/hdbscan/soft/row-metric.js';
import { createWasmNearest } from '../../../src/compute/hdbscan/soft/wasm-nearest.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';

const euclidean = pairDistance('euclidean');

describe('WebAssembly nearest-exemplar re-measure', () => {
  for (const dim of [4, 8, 24, 64]) {
    it(`equals row-metric's euclidean minimum bit for bit (width ${dim})`, () => {
      const random = mulberry32(dim);
      const rowCount = 40;
      const rows = Float32Array.from({ length: rowCount * dim }, () => Math.fround((random() - 0.5) * 10));
      const point = Float32Array.from({ length: dim }, () => Math.fround((random() - 0.5) * 10));
      const rowBytes = 8 * rowCount * dim;
      const kernel = createWasmNearest(rowBytes + 8 * dim + 4 * rowCount);
      assert.ok(kernel, 'this Node has WebAssembly SIMD');
      const wideRows = new Float64Array(kernel.memory.buffer, 0, rowCount * dim);
      wideRows.set(rows);
      const widePoint = new Float64Array(kernel.memory.buffer, rowBytes, dim);
      widePoint.set(point);
      const candidates = new Int32Array(kernel.memory.buffer, rowBytes + 8 * dim, rowCount);
      for (let trial = 0; trial < 20; trial++) {
        const count = trial % 7;
        let expected = Infinity;
        for (let c = 0; c < count; c++) {
          const row = Math.floor(random() * rowCount);
          candidates[c] = row;
          expected = Math.min(expected, euclidean(point, 0, rows, row * dim, dim));
        }
        const found: number = kernel.nearest(widePoint.byteOffset, 0, candidates.byteOffset, count, 8 * dim);
        assert.equal(found, expected, `trial ${trial}`);
      }
    });
  }
});
