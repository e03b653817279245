/**
 * The dot kernels of the exact screens: compute's JavaScript fallback agrees with ONNX Runtime's GEMM within
 * the float32 bound the screens assume; the library's entry points pass ONNX Runtime's kernels by default and
 * every compute entry point honours the kernels its caller passes (to the worker threads too).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastMst, fastMstWith } from '../../../src/compute/hdbscan/fast-mst.js';
import { importDotKernels, type DotKernels } from '../../../src/compute/hdbscan/kernels/dot-kernel.js';
import { javaScriptDotKernels } from '../../../src/compute/hdbscan/kernels/javascript-dot.js';
import { buildSoftTree } from '../../../src/compute/hdbscan/soft/index.js';
import type { MstBuilder } from '../../../src/compute/hdbscan/types.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';
import { onnxDotKernels, SMALL_PRODUCT } from '../../../src/io/onnx/dot-kernel.js';
import { createPredictor, hdbscan, umap } from '../../../src/onnx-compute.js';
import { randomBlobs } from './random-data.js';

/** `kernels`, counting the kernels made from it. */
function counting(kernels: DotKernels): DotKernels & { created: number } {
  const counted = {
    module: kernels.module,
    created: 0,
    create: (threads: number) => {
      counted.created++;
      return kernels.create(threads);
    },
  };
  return counted;
}

function randomValues(count: number, seed: number, shared = false): Float32Array {
  const random = mulberry32(seed);
  const values = shared ? new Float32Array(new SharedArrayBuffer(4 * count)) : new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (random() - 0.5) * 2 ** Math.floor(random() * 12 - 6);
  return values;
}

describe('dot kernels', () => {
  it('JavaScript products equal ONNX Runtime products within the float32 rounding bound', async () => {
    const onnx = await onnxDotKernels.create(1);
    const plain = await javaScriptDotKernels.create(1);
    try {
      for (const [m, n, dim] of [
        [1, 1, 1],
        [7, 5, 3],
        [33, 65, 17],
        [64, 128, 300],
      ] as const) {
        const rows = randomValues(m * dim, m + dim);
        const cols = randomValues(n * dim, n + 2 * dim, true);
        const expected = new Float32Array(m * n);
        const actual = new Float32Array(m * n);
        await onnx.dot(rows, m, cols, n, dim, expected);
        await plain.dot(rows, m, cols, n, dim, actual);
        // gamma_dim sum |x_k y_k| for each kernel's summation, plus the final rounding to float32.
        const gamma = (dim * 2 ** -24) / (1 - dim * 2 ** -24);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let magnitude = 0;
            for (let k = 0; k < dim; k++) magnitude += Math.abs(rows[i * dim + k]! * cols[j * dim + k]!);
            const bound = 2 * (gamma + 2 ** -24) * magnitude;
            const difference = Math.abs(actual[i * n + j]! - expected[i * n + j]!);
            assert.ok(difference <= bound, `${m}x${n}x${dim} [${i}, ${j}]: ${difference} > ${bound}`);
          }
        }
      }
      const untouched = new Float32Array([7]);
      await plain.dot(new Float32Array(0), 0, new Float32Array(3), 1, 3, untouched);
      assert.deepEqual(untouched, new Float32Array([7]), 'an empty tile writes nothing');
    } finally {
      await Promise.all([onnx.release(), plain.release()]);
    }
  });

  it("ONNX Runtime's kernel copies shared operands to its own scratch, never into a caller's array", async () => {
    const onnx = await onnxDotKernels.create(1);
    try {
      const dim = 16;
      // A big unshared operand first, then smaller shared ones: the copies must not land in the first.
      const big = randomValues(64 * dim, 1);
      const kept = big.slice();
      const out = new Float32Array(64 * 64);
      await onnx.dot(big, 64, big, 64, dim, out);
      const shared = randomValues(8 * dim, 2, true);
      await onnx.dot(shared, 8, shared, 8, dim, out);
      assert.deepEqual(big, kept);
      const plain = await javaScriptDotKernels.create(1);
      const expected = new Float32Array(64);
      await plain.dot(shared, 8, shared, 8, dim, expected);
      for (let at = 0; at < 64; at++)
        assert.ok(Math.abs(out[at]! - expected[at]!) <= 1e-5 * (1 + Math.abs(expected[at]!)));
    } finally {
      await onnx.release();
    }
  });

  it("ONNX Runtime's two-thread kernel gives one thread's values bit for bit, on either side of SMALL_PRODUCT", async () => {
    const one = await onnxDotKernels.create(1);
    const two = await onnxDotKernels.create(2);
    try {
      const shapes = [
        [1, 5, 8],
        [50, 512, 64],
        [512, 512, 64],
        [32, 32, 2048],
        [256, 256, 2048],
        [37, 300, 512],
      ] as const;
      assert.ok(shapes.some(([m, n, dim]) => m * n * dim <= SMALL_PRODUCT));
      assert.ok(shapes.some(([m, n, dim]) => m * n * dim > SMALL_PRODUCT));
      for (const [m, n, dim] of shapes) {
        const rows = randomValues(m * dim, m + 3 * dim);
        const cols = randomValues(n * dim, n + 5 * dim);
        const expected = new Float32Array(m * n);
        const actual = new Float32Array(m * n);
        await one.dot(rows, m, cols, n, dim, expected);
        await two.dot(rows, m, cols, n, dim, actual);
        assert.deepEqual(actual, expected, `${m}x${n}x${dim}`);
      }
    } finally {
      await Promise.all([one.release(), two.release()]);
    }
  });

  it('gives worker threads the kernels of their caller, by module', async () => {
    assert.equal(await importDotKernels(onnxDotKernels.module), onnxDotKernels);
    assert.equal(await importDotKernels(javaScriptDotKernels.module), javaScriptDotKernels);
    const noKernels = new URL('../../../src/compute/matrix.js', import.meta.url).href;
    await assert.rejects(importDotKernels(noKernels), /has no dotKernels export/);
  });
});

describe('kernels through the entry points', () => {
  const matrix = randomBlobs({ seed: 31, centres: 3, perBlob: 40, dim: 8, noise: 10 });

  it("the library's hdbscan() builds its tree with ONNX Runtime's kernels unless told otherwise", async () => {
    const seen: (DotKernels | undefined)[] = [];
    const spy: MstBuilder = (rows, options, control) => {
      seen.push(options.kernels);
      return fastMst(rows, options, control);
    };
    const byDefault = await hdbscan(matrix, { mst: spy });
    const chosen = await hdbscan(matrix, { mst: spy, kernels: javaScriptDotKernels });
    assert.deepEqual(seen, [onnxDotKernels, javaScriptDotKernels]);
    assert.deepEqual(chosen.labels, byDefault.labels);
    assert.deepEqual(chosen.singleLinkageTree, byDefault.singleLinkageTree);
  });

  it('the exact tree, the exact neighbours of umap() and the predictor use the kernels passed in', async () => {
    const kernels = counting(onnxDotKernels);
    await fastMstWith(matrix, { minSamples: 5, metric: 'euclidean', kernels });
    assert.equal(kernels.created, 1, 'fastMst');
    await fastMstWith(matrix, { minSamples: 5, metric: 'euclidean', kernels }, { workers: 1 });
    assert.equal(kernels.created, 2, 'fastMst with a worker: this thread makes one, the worker imports the module');
    await umap(matrix, { nEpochs: 5, knn: 'exact', threads: 1, kernels });
    assert.equal(kernels.created, 3, 'umap');
    const fit = await hdbscan(matrix, { kernels });
    assert.equal(kernels.created, 4, 'hdbscan');
    await createPredictor(matrix, buildSoftTree(fit.condensedTree, fit.labels, fit.clusterCount), {
      minSamples: 5,
      kernels,
    });
    assert.equal(kernels.created, 5, 'createPredictor');
  });
});
