import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  approximateMst,
  approximateMstWith,
  defaultTrees,
} from '../../../src/compute/hdbscan/approximate/approximate-mst.js';
import { rowDistance } from '../../../src/compute/hdbscan/distance.js';
import { AUTO_APPROXIMATE_ROWS, AUTO_EXACT_LIMIT_ROWS, type Metric } from '../../../src/compute/hdbscan/index.js';
import { resolveParams } from '../../../src/compute/hdbscan/options.js';
import { CancelledError, InputError } from '../../../src/errors.js';
import type { Matrix } from '../../../src/compute/matrix.js';
import { adjustedRandIndex } from '../../../src/compute/partition-metrics.js';
import { onnxDotKernels } from '../../../src/io/onnx/dot-kernel.js';
// The library's hdbscan(): ONNX Runtime's dot kernels, whose float32 products the approximate tree's neighbours come from.
import { hdbscan } from '../../../src/onnx-compute.js';
import { randomBlobs } from './random-data.js';

const PARAMS = { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'leaf' as const };

/** Blob sets wide and narrow, with noise, big enough that leaves, probes and joining all take part. */
const SETS: { name: string; matrix: Matrix }[] = [
  { name: '1500 x 8', matrix: randomBlobs({ seed: 31, centres: 12, perBlob: 110, dim: 8, spread: 1.2, noise: 180 }) },
  { name: '1200 x 96', matrix: randomBlobs({ seed: 32, centres: 10, perBlob: 110, dim: 96, spread: 2, noise: 100 }) },
  { name: '800 x 300', matrix: randomBlobs({ seed: 33, centres: 8, perBlob: 90, dim: 300, spread: 3, noise: 80 }) },
];

/** Rows joined by the tree's edges, by union-find: the tree spans when there is one set. */
function connectedSets(count: number, from: Int32Array, to: Int32Array): number {
  const parent = Int32Array.from({ length: count }, (_, i) => i);
  const find = (node: number): number => {
    while (parent[node] !== node) node = parent[node] = parent[parent[node]!]!;
    return node;
  };
  let sets = count;
  for (let e = 0; e < from.length; e++) {
    const a = find(from[e]!);
    const b = find(to[e]!);
    if (a !== b) {
      parent[a] = b;
      sets--;
    }
  }
  return sets;
}

describe('approximate HDBSCAN* spanning tree', () => {
  for (const { name, matrix } of SETS) {
    for (const metric of ['euclidean', 'cosine'] as Metric[]) {
      it(`${name} ${metric}: labels agree with the exact path (ARI >= 0.95)`, async () => {
        const exact = await hdbscan(matrix, { ...PARAMS, metric, spanningTree: 'exact' });
        const approximate = await hdbscan(matrix, { ...PARAMS, metric, spanningTree: 'approximate' });
        assert.ok(exact.clusterCount >= 4, `exact found ${exact.clusterCount} clusters`);
        const ari = adjustedRandIndex(approximate.labels, exact.labels);
        assert.ok(ari >= 0.95, `ARI ${ari.toFixed(4)} (clusters ${approximate.clusterCount} vs ${exact.clusterCount})`);
        assert.equal(approximate.params.spanningTree, 'approximate');
        assert.equal(exact.params.spanningTree, undefined);
      });
    }
  }

  it('is one spanning tree whose weights are the exact mutual reachability of its edges', async () => {
    const matrix = SETS[1]!.matrix;
    const { tree, coreDistances } = await approximateMst(matrix, {
      minSamples: 5,
      metric: 'euclidean',
      kernels: onnxDotKernels,
    });
    const { count } = matrix;
    assert.equal(tree.from.length, count - 1);
    assert.equal(connectedSets(count, tree.from, tree.to), 1, 'every row joined, no infinite bridge');
    const distance = rowDistance(matrix, 'euclidean');
    const exactCore = (row: number): number => {
      const distances = Array.from({ length: count }, (_, other) => (other === row ? Infinity : distance(row, other)));
      return distances.sort((a, b) => a - b)[4]!;
    };
    // Prim order: step e adds row to[e], through an edge from some row added before it.
    const added = [0];
    for (let e = 0; e < tree.to.length; e++) {
      const row = tree.to[e]!;
      const weight = tree.weight[e]!;
      assert.ok(weight < Infinity, `step ${e} has a finite weight`);
      const joined = added.some((other) => {
        const reach = Math.max(coreDistances[row]!, coreDistances[other]!, distance(row, other));
        return Math.abs(reach - weight) <= 1e-12 * weight;
      });
      assert.ok(joined, `step ${e}: weight ${weight} is the mutual reachability of no edge to an added row`);
      added.push(row);
    }
    let coreErrors = 0;
    // Core distances come from approximate lists: never below the exact ones, almost always equal.
    for (let row = 0; row < count; row++) {
      const exact = exactCore(row);
      assert.ok(coreDistances[row]! >= exact * (1 - 1e-12), `row ${row} core below the exact one`);
      if (coreDistances[row]! > exact * (1 + 1e-12)) coreErrors++;
    }
    assert.ok(coreErrors <= count * 0.02, `${coreErrors} of ${count} core distances off`);
  });

  it('is deterministic', async () => {
    const matrix = SETS[0]!.matrix;
    const first = await approximateMst(matrix, { minSamples: 5, metric: 'euclidean', kernels: onnxDotKernels });
    const second = await approximateMst(matrix, { minSamples: 5, metric: 'euclidean', kernels: onnxDotKernels });
    assert.deepEqual(second, first);
  });

  it('takes at least one block pair per set and round (probes 0 joins as probes 1)', async () => {
    const matrix = SETS[0]!.matrix;
    const options = { minSamples: 5, metric: 'euclidean' as const, kernels: onnxDotKernels };
    const none = await approximateMstWith(matrix, options, { probes: 0 });
    const one = await approximateMstWith(matrix, options, { probes: 1 });
    assert.equal(connectedSets(matrix.count, none.tree.from, none.tree.to), 1);
    assert.deepEqual(none, one);
  });

  it("refines only each leaf's densest share by default (margin 0): fewer rows than with margin 0.05, labels as the exact path's", async () => {
    const matrix = SETS[2]!.matrix;
    const densePairs = async (denseMargin?: number): Promise<[number, Int32Array]> => {
      let pairs = -1;
      const fit = await hdbscan(matrix, {
        ...PARAMS,
        mst: (m, options, control) =>
          approximateMstWith(
            m,
            options,
            { ...(denseMargin !== undefined ? { denseMargin } : {}), stats: (s) => (pairs = s.densePairs) },
            control,
          ),
      });
      return [pairs, fit.labels];
    };
    const [widePairs, wideLabels] = await densePairs();
    const [narrowPairs] = await densePairs(0.05);
    assert.ok(widePairs > 0 && widePairs < narrowPairs, `dense pairs ${widePairs} (default) vs ${narrowPairs} (0.05)`);
    const exact = await hdbscan(matrix, { ...PARAMS, spanningTree: 'exact' });
    const ari = adjustedRandIndex(wideLabels, exact.labels);
    assert.ok(ari >= 0.95, `ARI ${ari.toFixed(4)}`);
  });

  it('gives the same tree whether a helper thread shares the leaf tiles or not', async () => {
    for (const { matrix } of SETS) {
      for (const metric of ['euclidean', 'cosine'] as Metric[]) {
        const options = { minSamples: 5, metric, kernels: onnxDotKernels };
        // Three trees: the helper's later tasks take leaves of trees whose lists are partly filled.
        const alone = await approximateMstWith(matrix, options, { helper: false, trees: 3 });
        const helped = await approximateMstWith(matrix, options, { helper: true, trees: 3 });
        assert.deepEqual(helped, alone);
      }
    }
  });

  it('stops with CancelledError, and stops its helper thread, when cancelled during the leaf tiles', async () => {
    const controller = new AbortController();
    const control = {
      signal: controller.signal,
      onProgress: ({ stage }: { stage: string }) => {
        if (stage.startsWith('nearest neighbours')) controller.abort();
      },
    };
    const options = { minSamples: 5, metric: 'euclidean' as const, kernels: onnxDotKernels };
    await assert.rejects(
      approximateMstWith(SETS[1]!.matrix, options, { helper: true, trees: 3, leafSize: 64 }, control),
      CancelledError,
    );
  });

  it('takes more random-projection trees as the rows double', () => {
    assert.deepEqual(
      [1000, 16_384, 25_000, 50_000, 70_000, 100_000, 1_000_000].map(defaultTrees),
      [2, 2, 3, 4, 4, 5, 8],
    );
  });

  it("'auto' takes the exact tree below AUTO_APPROXIMATE_ROWS rows and the approximate one from there on", () => {
    assert.ok(AUTO_APPROXIMATE_ROWS < AUTO_EXACT_LIMIT_ROWS);
    assert.equal(resolveParams({}, AUTO_APPROXIMATE_ROWS - 1).spanningTree, undefined);
    assert.equal(resolveParams({}, AUTO_APPROXIMATE_ROWS).spanningTree, 'approximate');
    assert.equal(resolveParams({ metric: 'cosine' }, AUTO_APPROXIMATE_ROWS).spanningTree, 'approximate');
    assert.equal(resolveParams({ spanningTree: 'exact' }, AUTO_APPROXIMATE_ROWS).spanningTree, undefined);
    assert.equal(resolveParams({ spanningTree: 'approximate' }, 10).spanningTree, 'approximate');
  });

  it("'auto' keeps the exact tree for a metric the approximate one lacks, up to AUTO_EXACT_LIMIT_ROWS rows", () => {
    assert.equal(resolveParams({ metric: 'manhattan' }, AUTO_APPROXIMATE_ROWS).spanningTree, undefined);
    assert.equal(resolveParams({ metric: 'manhattan' }, AUTO_EXACT_LIMIT_ROWS - 1).spanningTree, undefined);
    assert.equal(
      resolveParams({ metric: 'manhattan', spanningTree: 'exact' }, AUTO_EXACT_LIMIT_ROWS).spanningTree,
      undefined,
    );
    // 'auto' refuses the exact tree where it would not finish, rather than run it for hours.
    assert.throws(
      () => resolveParams({ metric: 'manhattan' }, AUTO_EXACT_LIMIT_ROWS),
      (error: unknown) =>
        error instanceof InputError &&
        /200000 rows with metric 'manhattan' would need the exact spanning tree/.test(error.message) &&
        /spanningTree: 'exact'/.test(error.hint ?? ''),
    );
  });

  it('rejects metrics it does not support and unknown choices, naming them', () => {
    assert.throws(
      () => resolveParams({ spanningTree: 'approximate', metric: 'manhattan' }, 100),
      /does not support metric 'manhattan'/,
    );
    assert.throws(
      () => resolveParams({ spanningTree: 'fast' as 'exact' }, 100),
      /spanningTree 'fast' is not one of auto, approximate, exact/,
    );
  });
});
