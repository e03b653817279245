/**
 * Re-selection from a stored single-linkage tree equals a fresh clustering with the tree's min samples,
 * for other min cluster sizes, selection methods and epsilons; and the module runs in a browser bundle.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import {
  hdbscan,
  selectFromLinkage,
  selectionParamsProblem,
  TreeReselector,
  type HdbscanOptions,
} from '../../../src/compute/hdbscan/index.js';
import { randomBlobs } from './random-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, here.includes(`${path.sep}build${path.sep}`) ? '../../../..' : '../../..');

describe('re-selection from a stored single-linkage tree', () => {
  const matrix = randomBlobs({ seed: 31, centres: 6, perBlob: 60, dim: 5, spread: 1.2, noise: 60 });
  const minSamples = 4;
  const variants: Omit<HdbscanOptions, 'mst'>[] = [
    { minClusterSize: 5, clusterSelectionMethod: 'leaf' },
    { minClusterSize: 12, clusterSelectionMethod: 'leaf' },
    { minClusterSize: 12, clusterSelectionMethod: 'eom' },
    { minClusterSize: 40, clusterSelectionMethod: 'eom' },
    { minClusterSize: 8, clusterSelectionMethod: 'eom', clusterSelectionEpsilon: 1.5 },
    { minClusterSize: 8, clusterSelectionMethod: 'leaf', clusterSelectionEpsilon: 0.8 },
    { minClusterSize: 30, clusterSelectionMethod: 'eom', allowSingleCluster: true },
  ];

  it('equals hdbscan() with the same parameters and the tree min samples', async () => {
    const stored = await hdbscan(matrix, { minClusterSize: 5, minSamples });
    const counts = new Set<number>();
    for (const variant of variants) {
      const fresh = await hdbscan(matrix, { ...variant, minSamples });
      const reselected = selectFromLinkage(stored.singleLinkageTree, {
        minClusterSize: variant.minClusterSize!,
        clusterSelectionMethod: variant.clusterSelectionMethod!,
        clusterSelectionEpsilon: variant.clusterSelectionEpsilon ?? 0,
        allowSingleCluster: variant.allowSingleCluster ?? false,
      });
      const what = JSON.stringify(variant);
      assert.deepEqual(reselected.labels, fresh.labels, `${what}: labels`);
      assert.deepEqual(reselected.probabilities, fresh.probabilities, `${what}: probabilities`);
      assert.deepEqual(reselected.outlierScores, fresh.outlierScores, `${what}: outlier scores`);
      assert.deepEqual(reselected.persistence, fresh.persistence, `${what}: persistence`);
      assert.deepEqual(reselected.condensedTree, fresh.condensedTree, `${what}: condensed tree`);
      counts.add(reselected.clusterCount);
    }
    assert.ok(counts.size >= 3, `the variants select different patterns (${[...counts].join(', ')} clusters)`);
  });

  it('a TreeReselector (condensed trees kept per min cluster size) selects as selectFromLinkage, in any order', async () => {
    const stored = await hdbscan(matrix, { minClusterSize: 5, minSamples });
    const reselector = new TreeReselector(stored.singleLinkageTree, 2);
    // eom before leaf at one size (eom rewrites stabilities), sizes again after they were dropped, twice over.
    const order = [...variants, ...variants.slice().reverse(), ...variants];
    for (const variant of order) {
      const params = {
        minClusterSize: variant.minClusterSize!,
        clusterSelectionMethod: variant.clusterSelectionMethod!,
        clusterSelectionEpsilon: variant.clusterSelectionEpsilon ?? 0,
        allowSingleCluster: variant.allowSingleCluster ?? false,
      };
      const fresh = selectFromLinkage(stored.singleLinkageTree, params);
      const kept = reselector.select(params);
      const what = JSON.stringify(variant);
      assert.deepEqual(kept.labels, fresh.labels, `${what}: labels`);
      assert.deepEqual(kept.probabilities, fresh.probabilities, `${what}: probabilities`);
      assert.deepEqual(kept.outlierScores, fresh.outlierScores, `${what}: outlier scores`);
      assert.deepEqual(kept.persistence, fresh.persistence, `${what}: persistence`);
      assert.deepEqual(kept.selectedClusters, fresh.selectedClusters, `${what}: selected clusters`);
    }
    const twelve = reselector.condensed(12);
    assert.equal(reselector.condensed(12), twelve, 'a size seen last is not condensed again');
  });

  it('names the flag of a bad min cluster size or epsilon', () => {
    const names = { minClusterSize: '--min-cluster-size', clusterSelectionEpsilon: '--epsilon' };
    const problem = (minClusterSize: number, clusterSelectionEpsilon = 0) =>
      selectionParamsProblem({ minClusterSize, clusterSelectionEpsilon }, 100, names)?.message;
    assert.match(problem(1)!, /--min-cluster-size 1 is not a whole number from 2 to 100/);
    assert.match(problem(101)!, /--min-cluster-size 101/);
    assert.match(problem(2.5)!, /--min-cluster-size 2.5/);
    assert.match(problem(5, -1)!, /--epsilon -1 is not a finite distance >= 0/);
    assert.match(problem(5, NaN)!, /--epsilon NaN/);
    assert.match(problem(5, Infinity)!, /--epsilon Infinity/);
    assert.equal(problem(100, 0.5), undefined);
    assert.equal(problem(2), undefined);
  });

  it('bundles for the browser without node: imports', async () => {
    const result = await build({
      entryPoints: [path.join(repoRoot, 'src/compute/hdbscan/reselect.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.length >= 7, `bundled ${inputs.join(', ')}`);
    assert.ok(
      inputs.every((input) => !input.startsWith('node:')),
      inputs.join(', '),
    );
  });
});
