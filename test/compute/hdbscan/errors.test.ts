import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hdbscan, type HdbscanOptions } from '../../../src/compute/hdbscan/index.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { randomBlobs } from './random-data.js';

const good = randomBlobs({ seed: 1, centres: 2, perBlob: 10, dim: 3 });

async function rejects(matrix: Matrix, options: HdbscanOptions, message: RegExp): Promise<void> {
  await assert.rejects(hdbscan(matrix, options), (error: Error) => {
    assert.equal(error.name, 'InputError');
    assert.match(error.message, message);
    return true;
  });
}

describe('hdbscan rejects bad input with a clear InputError', () => {
  it('fewer rows than minClusterSize', () => rejects(makeMatrix(4, 2), {}, /4 rows, fewer than minClusterSize 5/));
  it('no rows', () => rejects(makeMatrix(0, 3), {}, /0 rows/));
  it('no columns', () => rejects(makeMatrix(10, 0), {}, /0 columns/));
  it('data length not count x dim', () =>
    rejects({ count: 10, dim: 3, data: new Float32Array(29) }, {}, /29 values, expected 10 x 3 = 30/));

  it('NaN, naming row and column', () => {
    const data = good.data.slice();
    data[7 * 3 + 2] = NaN;
    return rejects(makeMatrix(good.count, 3, data), {}, /row 7, column 2 is NaN/);
  });
  it('Infinity, naming row and column', () => {
    const data = good.data.slice();
    data[3] = -Infinity;
    return rejects(makeMatrix(good.count, 3, data), {}, /row 1, column 0 is -Infinity/);
  });

  const badOptions: [HdbscanOptions, RegExp][] = [
    [{ minClusterSize: 1 }, /minClusterSize is 1/],
    [{ minClusterSize: 2.5 }, /minClusterSize is 2.5/],
    [{ minSamples: 0 }, /minSamples is 0/],
    [{ minSamples: -3 }, /minSamples is -3/],
    [{ clusterSelectionEpsilon: -1 }, /clusterSelectionEpsilon is -1/],
    [{ clusterSelectionEpsilon: NaN }, /clusterSelectionEpsilon is NaN/],
    [{ clusterSelectionMethod: 'best' as 'leaf' }, /clusterSelectionMethod is 'best'/],
    [{ metric: 'chebyshev' as 'euclidean' }, /metric is 'chebyshev'/],
    [{ allowSingleCluster: 'yes' as unknown as boolean }, /allowSingleCluster is yes/],
  ];
  for (const [options, message] of badOptions) {
    it(`option ${JSON.stringify(options, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, () =>
      rejects(good, options, message));
  }

  it('says what to do', async () => {
    await assert.rejects(hdbscan(good, { minClusterSize: 0 }), (error: Error & { hint?: string }) => {
      assert.match(error.hint ?? '', /integer >= 2/);
      return true;
    });
  });
});
