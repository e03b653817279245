import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeClustering, spanningTreeOf } from '../../src/engine/summary.js';

describe('describeClustering', () => {
  const exact = { clusterSelectionMethod: 'leaf', minClusterSize: 5, minSamples: 5, clusterSelectionEpsilon: 0 };

  it('names the selection, sizes and space of an exact clustering', () => {
    assert.equal(describeClustering(exact), 'leaf, min cluster size 5, min samples 5, space raw');
  });

  it('says when the approximate spanning tree made the clustering', () => {
    assert.equal(
      describeClustering({
        ...exact,
        clusterSelectionEpsilon: 0.5,
        clusterSpace: 'pca:8',
        spanningTree: 'approximate',
      }),
      'leaf, min cluster size 5, min samples 5, epsilon 0.5, space pca:8, approximate tree',
    );
  });

  it('reads the spanning tree from stored params, exact where they name none', () => {
    assert.equal(spanningTreeOf({ ...exact, spanningTree: 'approximate' }), 'approximate');
    assert.equal(spanningTreeOf(exact), 'exact');
    assert.equal(spanningTreeOf(null), 'exact');
    assert.equal(spanningTreeOf({ spanningTree: 'bogus' }), 'exact');
  });
});
