/**
 * Parity with Python hdbscan 0.8.43 on the golden data sets (shared/reference/hdbscan/README.md):
 * against '*-exact' the same partition up to renaming, probabilities / outlier scores /
 * persistence within 1e-6, and the same condensed and single-linkage trees; against
 * 'leaf-nap-default' (approximate Boruvka tree) an adjusted Rand index of at least 0.98.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fastMst,
  hdbscan,
  referenceMst,
  type HdbscanResult,
  type MstBuilder,
  type MstResult,
} from '../../../src/compute/hdbscan/index.js';
import { adjustedRandIndex } from '../../../src/compute/partition-metrics.js';
import {
  goldenNames,
  goldenVariants,
  loadGoldenMatrix,
  loadGoldenVariant,
  referenceDir,
  type GoldenVariant,
  type TreeRow,
} from './reference-data.js';
import { assertSameLabelsUpToRenaming, maxAbsDifference } from './assertions.js';

const TOLERANCE = 1e-6;

/** The spanning tree depends only on the data and minSamples, so each data set builds it once. */
function memoized(builder: MstBuilder): MstBuilder {
  const cache = new Map<string, Promise<MstResult>>();
  return (matrix, options, control) => {
    const key = `${matrix.count}x${matrix.dim}:${options.minSamples}:${options.metric}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const built = builder(matrix, options, control);
    cache.set(key, built);
    return built;
  };
}

function sortedRows(rows: readonly TreeRow[]): TreeRow[] {
  return [...rows].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function assertCondensedTree(result: HdbscanResult, golden: GoldenVariant): void {
  const tree = result.condensedTree;
  // The condensed tree's four columns have one length.
  const ours = Array.from(tree.parent, (parent, i): TreeRow => [
    parent,
    tree.child[i]!,
    tree.lambda[i]!,
    tree.childSize[i]!,
  ]);
  const expected = sortedRows(golden.condensed);
  const actual = sortedRows(ours);
  assert.equal(actual.length, expected.length, 'condensed tree rows');
  expected.forEach(([ep, ec, elambda, esize], i) => {
    const [p, c, lambda, size] = actual[i] ?? [NaN, NaN, NaN, NaN];
    assert.deepEqual([p, c, size], [ep, ec, esize], `condensed row ${i}`);
    assert.ok(
      Math.abs(lambda - elambda) <= TOLERANCE * Math.max(1, Math.abs(elambda)),
      `condensed lambda ${i}: ${lambda} vs ${elambda}`,
    );
  });
}

function assertSingleLinkageTree(result: HdbscanResult, golden: GoldenVariant): void {
  const tree = result.singleLinkageTree;
  assert.equal(tree.left.length, golden.singleLinkage.length, 'single linkage rows');
  // Row order fixes the merged node ids, so the rows must match one by one (stronger than sorted).
  golden.singleLinkage.forEach(([left, right, distance, size], i) => {
    const ours = tree.distance[i] ?? NaN;
    assert.deepEqual([tree.left[i], tree.right[i], tree.size[i]], [left, right, size], `single linkage row ${i}`);
    assert.ok(Math.abs(ours - distance) <= 1e-9, `single linkage distance ${i}: ${ours} vs ${distance}`);
  });
}

describe('hdbscan parity with Python hdbscan 0.8.43 goldens', () => {
  const names = goldenNames();
  it('finds the golden data sets', () => {
    assert.ok(names.length >= 3, `found ${names.length} golden data sets in ${referenceDir}`);
  });

  const builders = [
    ['reference', referenceMst],
    ['fast', fastMst],
  ] as const;
  const cases = builders.flatMap(([builderName, builder]) => names.map((name) => ({ builderName, builder, name })));
  for (const { builderName, builder, name } of cases) {
    describe(`${name} (${builderName} spanning tree)`, () => {
      const mst = memoized(builder);
      const run = (golden: GoldenVariant): Promise<HdbscanResult> =>
        hdbscan(loadGoldenMatrix(name), {
          minClusterSize: golden.params.min_cluster_size,
          minSamples: golden.params.min_samples,
          clusterSelectionMethod: golden.params.cluster_selection_method,
          clusterSelectionEpsilon: golden.params.cluster_selection_epsilon,
          mst,
        });

      for (const variant of goldenVariants(name)) {
        if (variant.endsWith('-exact')) {
          it(`${variant}: identical partition, scores within 1e-6, same trees`, async () => {
            const golden = loadGoldenVariant(name, variant);
            const result = await run(golden);
            assertSameLabelsUpToRenaming(result.labels, golden.labels);
            assert.equal(result.clusterCount, golden.persistence.length);
            assert.ok(maxAbsDifference(result.probabilities, golden.probabilities) <= TOLERANCE, 'probabilities');
            assert.ok(maxAbsDifference(result.outlierScores, golden.outlierScores) <= TOLERANCE, 'outlier scores');
            assert.ok(maxAbsDifference(result.persistence, golden.persistence) <= TOLERANCE, 'persistence');
            assertCondensedTree(result, golden);
            assertSingleLinkageTree(result, golden);
          });
        } else if (variant === 'leaf-nap-default') {
          it(`${variant}: adjusted Rand index >= 0.98`, async () => {
            const golden = loadGoldenVariant(name, variant);
            const result = await run(golden);
            const ari = adjustedRandIndex(result.labels, golden.labels);
            assert.ok(ari >= 0.98, `ARI ${ari}`);
          });
        }
      }
    });
  }
});
