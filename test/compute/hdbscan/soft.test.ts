/**
 * Soft clustering parity with Python hdbscan 0.8.43 on the golden sets (test/fixtures/hdbscan/README.md):
 * all_points_membership_vectors, approximate_predict and membership_vector within 1e-6, every entry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fastMst, type HdbscanResult } from '../../../src/compute/hdbscan/index.js';
import {
  approximatePredict,
  buildSoftTree,
  membershipVectors,
  strongestMemberships,
} from '../../../src/compute/hdbscan/soft/index.js';
import { onnxDotKernels } from '../../../src/io/onnx/dot-kernel.js';
// The library's entry points: ONNX Runtime's dot kernels, as the engine uses.
import { allPointsMembershipVectors, createPredictor, hdbscan } from '../../../src/onnx-compute.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { ExemplarDistances } from '../../../src/compute/hdbscan/soft/exemplar-distances.js';
import { maxAbsDifference } from './assertions.js';
import { randomBlobs } from './random-data.js';
import { goldenNames, loadGoldenMatrix, referenceDir } from './reference-data.js';

const TOLERANCE = 1e-6;

function readRows(file: string): number[][] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number));
}

function readQueries(file: string, dim: number): Matrix {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(4 * i, true);
  return makeMatrix(data.length / dim, dim, data);
}

interface SoftGolden {
  params: { min_cluster_size: number; min_samples: number; cluster_selection_method: 'leaf' | 'eom' };
  membership: number[][];
  queries: Matrix;
  predictedLabels: number[];
  predictedProbabilities: number[];
  queryMembership: number[][];
}

function loadSoftGolden(name: string, variant: string, dim: number): SoftGolden {
  const dir = path.join(referenceDir, `${name}.ref`, variant);
  const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { params: SoftGolden['params'] };
  return {
    params: result.params,
    membership: readRows(path.join(dir, 'membership_vectors.csv')),
    queries: readQueries(path.join(dir, 'queries.f32'), dim),
    predictedLabels: readRows(path.join(dir, 'approximate_predict_labels.csv')).map(([v]) => v!),
    predictedProbabilities: readRows(path.join(dir, 'approximate_predict_probabilities.csv')).map(([v]) => v!),
    queryMembership: readRows(path.join(dir, 'query_membership_vectors.csv')),
  };
}

function assertMatrixClose(actual: Float64Array, expected: number[][], what: string): void {
  const columns = expected[0]?.length ?? 0;
  assert.equal(actual.length, expected.length * columns, `${what}: ${expected.length} x ${columns} values`);
  const difference = maxAbsDifference(actual, expected.flat());
  assert.ok(difference <= TOLERANCE, `${what}: largest difference ${difference}`);
}

describe('soft clustering parity with hdbscan 0.8.43', () => {
  for (const name of goldenNames()) {
    for (const variant of ['leaf-soft', 'eom-soft']) {
      describe(`${name} ${variant}`, () => {
        const matrix = loadGoldenMatrix(name);
        const golden = loadSoftGolden(name, variant, matrix.dim);
        let fitted: Promise<HdbscanResult> | undefined;
        const fit = () =>
          (fitted ??= hdbscan(matrix, {
            minClusterSize: golden.params.min_cluster_size,
            minSamples: golden.params.min_samples,
            clusterSelectionMethod: golden.params.cluster_selection_method,
            mst: fastMst,
          }));

        it('all_points_membership_vectors within 1e-6', async () => {
          const result = await fit();
          assert.equal(result.clusterCount, golden.membership[0]?.length, 'columns = clusters');
          const soft = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
          assertMatrixClose(await allPointsMembershipVectors(matrix, soft), golden.membership, 'membership vectors');
        });

        it('approximate_predict and membership_vector of new points within 1e-6', async () => {
          const result = await fit();
          const soft = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
          const predictor = await createPredictor(matrix, soft, { minSamples: golden.params.min_samples });
          const predicted = await approximatePredict(predictor, golden.queries);
          assert.deepEqual(Array.from(predicted.labels), golden.predictedLabels, 'labels');
          const difference = maxAbsDifference(predicted.probabilities, golden.predictedProbabilities);
          assert.ok(difference <= TOLERANCE, `probabilities: largest difference ${difference}`);
          assertMatrixClose(
            await membershipVectors(predictor, golden.queries),
            golden.queryMembership,
            'query vectors',
          );
        });
      });
    }
  }
});

describe('soft clustering invariants', () => {
  // 24 columns: the screen's re-measures in JavaScript; 64: in WebAssembly (see exemplar-distances.ts).
  for (const dim of [24, 64]) {
    it(`the screened GEMM gives exactly the exemplar distances of the plain loop (${dim} columns)`, async () => {
      const matrix = randomBlobs({ seed: 21, centres: 6, perBlob: 400, dim, spread: 0.3, noise: 200 });
      // Near-ties: a copy of some rows moved by one float32 step, so screened values cannot tell them apart.
      for (let r = 0; r < 100; r++) {
        matrix.data.copyWithin((r + 100) * dim, r * dim, (r + 1) * dim);
        matrix.data[(r + 100) * dim] = Math.fround(matrix.data[(r + 100) * dim]! * (1 + 2 ** -23));
      }
      const result = await hdbscan(matrix, { minClusterSize: 5, minSamples: 5 });
      const soft = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
      const distances = new ExemplarDistances(matrix, soft, 'euclidean', 1, onnxDotKernels);
      const k = result.clusterCount;
      const screened = new Float64Array(matrix.count * k);
      await distances.fillBlock(matrix.data, matrix.count, screened);
      await distances.release();
      assert.ok(matrix.count * soft.exemplarIds.length * matrix.dim >= 1 << 20, 'large enough for the GEMM');
      const plain = new Float64Array(k);
      for (let point = 0; point < matrix.count; point++) {
        distances.fill(matrix.data, point * matrix.dim, plain);
        assert.deepEqual(screened.subarray(point * k, (point + 1) * k), plain, `point ${point}`);
      }
    });
  }

  it('exact duplicates (infinite lambdas): every strength finite, in [0, 1], rows sum to at most 1', async () => {
    const base = randomBlobs({ seed: 5, centres: 3, perBlob: 15, dim: 4, noise: 5 });
    // Every point 8 times (more than min samples): core distances 0, points leaving at infinite lambda.
    const copies = 8;
    const data = new Float32Array(base.data.length * copies);
    for (let copy = 0; copy < copies; copy++) data.set(base.data, copy * base.data.length);
    const matrix = makeMatrix(base.count * copies, base.dim, data);
    const result = await hdbscan(matrix, { minClusterSize: 5, minSamples: 5 });
    assert.ok(
      result.condensedTree.lambda.some((lambda) => lambda === Infinity),
      'the tree has infinite lambdas',
    );
    const soft = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
    const vectors = await allPointsMembershipVectors(matrix, soft);
    const k = result.clusterCount;
    for (let point = 0; point < matrix.count; point++) {
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const value = vectors[point * k + j]!;
        assert.ok(Number.isFinite(value) && value >= 0 && value <= 1, `point ${point}, label ${j}: ${value}`);
        sum += value;
      }
      assert.ok(sum <= 1 + 1e-12, `point ${point}: row sum ${sum}`);
    }
  });

  it('the compact form keeps each row strongest-first and equals the dense rows', async () => {
    const matrix = randomBlobs({ seed: 8, centres: 4, perBlob: 30, dim: 3, noise: 15 });
    const result = await hdbscan(matrix, { minClusterSize: 5, minSamples: 5 });
    const soft = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
    const dense = await allPointsMembershipVectors(matrix, soft);
    const k = result.clusterCount;
    const width = 3;
    assert.ok(k > width, `${k} clusters`);
    const top = await strongestMemberships(matrix, soft, { width });
    for (let point = 0; point < matrix.count; point++) {
      const row = Array.from(dense.subarray(point * k, (point + 1) * k), (value, label) => ({ value, label }));
      row.sort((a, b) => b.value - a.value || a.label - b.label);
      for (let i = 0; i < width; i++) {
        assert.equal(top.labels[point * width + i], row[i]!.label, `point ${point}, place ${i}`);
        assert.equal(top.strengths[point * width + i], Math.fround(row[i]!.value));
      }
    }
  });

  it('clustered points are strongest in their own cluster', async () => {
    const matrix = randomBlobs({ seed: 3, centres: 5, perBlob: 50, dim: 6, noise: 20 });
    const result = await hdbscan(matrix, { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'eom' });
    const soft = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
    const top = await strongestMemberships(matrix, soft, { width: 1 });
    result.labels.forEach((label, point) => {
      if (label >= 0) assert.equal(top.labels[point], label, `point ${point}`);
    });
  });
});
