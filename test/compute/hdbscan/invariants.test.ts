import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hdbscan, referenceMst, type HdbscanOptions, type HdbscanResult } from '../../../src/compute/hdbscan/index.js';
import { makeMatrix } from '../../../src/compute/matrix.js';
import { adjustedRandIndex } from '../../../src/compute/partition-metrics.js';
import { assertSameLabelsUpToRenaming, maxAbsDifference } from './assertions.js';
import { permuteRows, randomBlobs, randomPermutation } from './random-data.js';

function assertWellFormed(result: HdbscanResult, count: number): void {
  assert.equal(result.labels.length, count);
  assert.equal(result.probabilities.length, count);
  assert.equal(result.outlierScores.length, count);
  assert.equal(result.persistence.length, result.clusterCount);
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const label = result.labels[i]!;
    assert.ok(label >= -1 && label < result.clusterCount, `row ${i}: label ${label}`);
    if (label >= 0) seen.add(label);
    const p = result.probabilities[i]!;
    assert.ok(p >= 0 && p <= 1, `row ${i}: probability ${p}`);
    if (label === -1) assert.equal(p, 0, `row ${i}: noise with probability ${p}`);
    const score = result.outlierScores[i]!;
    assert.ok(score >= 0 && score <= 1, `row ${i}: outlier score ${score}`);
  }
  assert.equal(seen.size, result.clusterCount, 'every cluster has members');
  for (const value of result.persistence) assert.ok(value >= 0 && value <= 1, `persistence ${value}`);
  // Every point leaves the condensed tree exactly once.
  const leaves = new Int32Array(count);
  for (const child of result.condensedTree.child) if (child < count) leaves[child]!++;
  assert.ok(
    leaves.every((n) => n === 1),
    'each point appears once in the condensed tree',
  );
  assert.equal(result.singleLinkageTree.size[count - 2], count, 'the last merge holds every point');
}

describe('hdbscan invariants on seeded random blobs', () => {
  const matrix = randomBlobs({ seed: 11, centres: 5, perBlob: 40, dim: 3, noise: 30 });

  for (const options of [
    { clusterSelectionMethod: 'leaf' },
    { clusterSelectionMethod: 'eom' },
    { clusterSelectionMethod: 'eom', minClusterSize: 12, minSamples: 3 },
    { clusterSelectionMethod: 'leaf', metric: 'manhattan' },
    { clusterSelectionMethod: 'eom', metric: 'cosine' },
  ] satisfies HdbscanOptions[]) {
    it(`labels, probabilities, scores and trees are well formed (${JSON.stringify(options)})`, async () => {
      const result = await hdbscan(matrix, options);
      assertWellFormed(result, matrix.count);
      assert.ok(result.clusterCount >= 2, `found ${result.clusterCount} clusters`);
    });
  }

  it('recovers well separated blobs', async () => {
    const blobs = randomBlobs({ seed: 5, centres: 4, perBlob: 50, dim: 2, spread: 0.3 });
    const truth = Int32Array.from({ length: blobs.count }, (_, i) => Math.floor(i / 50));
    const result = await hdbscan(blobs, { clusterSelectionMethod: 'eom' });
    assert.equal(result.clusterCount, 4);
    assert.ok(adjustedRandIndex(result.labels, truth) > 0.9);
  });

  it('gives the same result, up to renaming, when the rows are permuted', async () => {
    const permutation = randomPermutation(matrix.count, 99);
    for (const clusterSelectionMethod of ['leaf', 'eom'] as const) {
      const original = await hdbscan(matrix, { clusterSelectionMethod });
      const permuted = await hdbscan(permuteRows(matrix, permutation), { clusterSelectionMethod });
      const gather = <T extends Int32Array | Float64Array>(values: T): T =>
        values.map((_, i) => values[permutation[i]!]!) as T;
      assertSameLabelsUpToRenaming(permuted.labels, gather(original.labels));
      assert.ok(maxAbsDifference(permuted.probabilities, gather(original.probabilities)) < 1e-12);
      assert.ok(maxAbsDifference(permuted.outlierScores, gather(original.outlierScores)) < 1e-12);
      const sorted = (values: Float64Array): Float64Array => values.slice().sort();
      assert.ok(maxAbsDifference(sorted(permuted.persistence), sorted(original.persistence)) < 1e-12);
    }
  });

  it('cosine clustering ignores the length of each row', async () => {
    const scaled = makeMatrix(
      matrix.count,
      matrix.dim,
      matrix.data.map((v, i) => v * (1 + (Math.floor(i / matrix.dim) % 7))),
    );
    const a = await hdbscan(matrix, { metric: 'cosine' });
    const b = await hdbscan(scaled, { metric: 'cosine' });
    assertSameLabelsUpToRenaming(b.labels, a.labels);
  });

  it('minSamples larger than N-1 is clamped to N-1', async () => {
    const small = randomBlobs({ seed: 3, centres: 2, perBlob: 6, dim: 2 });
    const clamped = await hdbscan(small, { minSamples: 500 });
    const exact = await hdbscan(small, { minSamples: small.count - 1 });
    assert.deepEqual(clamped.singleLinkageTree, exact.singleLinkageTree);
    assert.equal(clamped.params.minSamples, 500, 'params report what was asked');
  });

  it('fills documented defaults into params', async () => {
    const result = await hdbscan(matrix);
    assert.deepEqual(result.params, {
      minClusterSize: 5,
      minSamples: 5,
      clusterSelectionEpsilon: 0,
      clusterSelectionMethod: 'leaf',
      allowSingleCluster: false,
      metric: 'euclidean',
    });
  });
});

describe('hdbscan on degenerate data', () => {
  const identical = makeMatrix(20, 3, new Float32Array(60).fill(1.5));

  it('all identical rows, eom: all noise by default', async () => {
    const result = await hdbscan(identical, { clusterSelectionMethod: 'eom' });
    assert.equal(result.clusterCount, 0);
    assert.ok(result.labels.every((l) => l === -1));
    assert.ok(result.probabilities.every((p) => p === 0));
    assert.ok(result.outlierScores.every((s) => s === 0));
  });

  it('all identical rows, eom + allowSingleCluster: one cluster with probability 1', async () => {
    const result = await hdbscan(identical, { clusterSelectionMethod: 'eom', allowSingleCluster: true });
    assert.equal(result.clusterCount, 1);
    assert.ok(result.labels.every((l) => l === 0));
    assert.ok(result.probabilities.every((p) => p === 1));
    assert.ok(result.outlierScores.every((s) => s === 0));
    assert.deepEqual(Array.from(result.persistence), [1]);
  });

  it('all identical rows, leaf: all noise even with allowSingleCluster (as hdbscan)', async () => {
    for (const allowSingleCluster of [false, true]) {
      const result = await hdbscan(identical, { clusterSelectionMethod: 'leaf', allowSingleCluster });
      assert.equal(result.clusterCount, 0);
      assert.ok(result.labels.every((l) => l === -1));
      assert.ok(result.condensedTree.lambda.every((lambda) => lambda === Infinity));
    }
  });

  it('exactly minClusterSize rows still clusters', async () => {
    const tiny = randomBlobs({ seed: 8, centres: 1, perBlob: 5, dim: 2 });
    const result = await hdbscan(tiny, { clusterSelectionMethod: 'eom', allowSingleCluster: true });
    assertWellFormed(result, 5);
    assert.equal(result.clusterCount, 1);
  });

  it('duplicated rows inside a blob: still well-formed labels and probabilities', async () => {
    const blobs = randomBlobs({ seed: 21, centres: 3, perBlob: 30, dim: 2 });
    for (let r = 1; r < 10; r++) blobs.data.copyWithin(r * 2, 0, 2); // rows 0..9 identical
    const result = await hdbscan(blobs, { clusterSelectionMethod: 'eom' });
    assert.equal(result.clusterCount, 3);
    const first = result.labels[0];
    for (let r = 0; r < 10; r++) {
      assert.equal(result.labels[r], first);
      assert.equal(result.outlierScores[r], 0, 'a duplicate leaves at infinite lambda: score 0');
      assert.equal(result.probabilities[r], 1, 'a duplicate is a core member of its pattern');
    }
    assert.ok(result.probabilities.every((p) => p >= 0 && p <= 1));
    assert.ok(
      result.outlierScores.every((s) => s >= 0 && s <= 1),
      'GLOSH stays in [0, 1] beside duplicates (hdbscan gives NaN)',
    );
    const sameCluster = Array.from(result.labels.keys()).filter((r) => r >= 10 && result.labels[r] === first);
    assert.ok(
      sameCluster.some((r) => result.probabilities[r]! > 0 && result.probabilities[r]! < 1),
      'other members keep graded probabilities',
    );
  });
});

describe('hdbscan progress, cancellation and pluggable spanning tree', () => {
  const matrix = randomBlobs({ seed: 2, centres: 3, perBlob: 30, dim: 4 });

  for (const [name, mst] of [
    ['reference', referenceMst],
    ['fast (default)', undefined],
  ] as const) {
    it(`reports each stage with done rising to total (${name} spanning tree)`, async () => {
      const reports = new Map<string, { done: number; total: number }[]>();
      await hdbscan(matrix, mst ? { mst } : {}, {
        onProgress: (p) => reports.set(p.stage, [...(reports.get(p.stage) ?? []), p]),
      });
      assert.deepEqual([...reports.keys()], ['core distances', 'spanning tree', 'condensing']);
      for (const [stage, list] of reports) {
        let previous = 0;
        for (const { done } of list) {
          assert.ok(done >= previous, `${stage} went backwards`);
          previous = done;
        }
        const last = list.at(-1);
        assert.ok(last, `${stage} reported nothing`);
        assert.equal(last.done, last.total, `${stage} finishes`);
      }
      if (mst) {
        assert.equal(reports.get('core distances')?.at(-1)?.total, matrix.count);
        assert.equal(reports.get('spanning tree')?.at(-1)?.total, matrix.count - 1);
      }
    });
  }

  it('throws CancelledError when the signal is already aborted', async () => {
    await assert.rejects(hdbscan(matrix, {}, { signal: AbortSignal.abort() }), { name: 'CancelledError' });
  });

  it('stops mid-run when aborted during the spanning tree', async () => {
    const controller = new AbortController();
    let condensed = false;
    const run = hdbscan(
      matrix,
      {},
      {
        signal: controller.signal,
        onProgress: ({ stage }) => {
          if (stage === 'spanning tree') controller.abort();
          if (stage === 'condensing') condensed = true;
        },
      },
    );
    await assert.rejects(run, { name: 'CancelledError', message: /spanning tree/ });
    assert.equal(condensed, false);
  });

  it('uses the MstBuilder it is given', async () => {
    let calls = 0;
    const reference = await hdbscan(matrix);
    const result = await hdbscan(matrix, {
      minSamples: 5,
      mst: async (m, options, control) => {
        calls++;
        assert.deepEqual(options, { minSamples: 5, metric: 'euclidean' });
        const { referenceMst } = await import('../../../src/compute/hdbscan/reference-mst.js');
        return referenceMst(m, options, control);
      },
    });
    assert.equal(calls, 1);
    assert.deepEqual(result.labels, reference.labels);
  });
});
