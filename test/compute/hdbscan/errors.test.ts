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
    [{ minClusterSize: 1 }, /minClusterSize 1 is not a whole number >= 2/],
    [{ minClusterSize: 2.5 }, /minClusterSize 2.5 is not a whole number >= 2/],
    [{ minSamples: 0 }, /minSamples 0 is not a whole number >= 1/],
    [{ minSamples: -3 }, /minSamples -3 is not a whole number >= 1/],
    [{ clusterSelectionEpsilon: -1 }, /clusterSelectionEpsilon -1 is not a number >= 0/],
    [{ clusterSelectionEpsilon: NaN }, /clusterSelectionEpsilon NaN is not a number >= 0/],
    [{ clusterSelectionMethod: 'best' as 'leaf' }, /clusterSelectionMethod 'best' is not one of leaf, eom/],
    [{ metric: 'chebyshev' as 'euclidean' }, /metric 'chebyshev' is not one of euclidean, cosine, manhattan/],
    [{ allowSingleCluster: 'yes' as unknown as boolean }, /allowSingleCluster 'yes' is not true or false/],
  ];
  for (const [options, message] of badOptions) {
    it(`option ${JSON.stringify(options, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, () =>
      rejects(good, options, message));
  }

  it('says what to do', async () => {
    await assert.rejects(hdbscan(good, { minClusterSize: 0 }), (error: Error & { hint?: string }) => {
      assert.match(error.hint ?? '', /write it like minClusterSize: 5/);
      return true;
    });
  });
});
