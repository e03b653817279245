/**
 * fastMst must return exactly referenceMst's tree: the same (from, to) sequence, the same float64
 * weights and core distances, on the golden data and on seeded data full of exact ties, with either
 * dot kernel (ONNX Runtime's, which the engine and library use, and compute's JavaScript fallback).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledError, InputError } from '../../../src/errors.js';
import {
  fastMst,
  fastMstWith,
  TREE_SEARCH_MIN_ROWS,
  treeSearchAxes,
  type FastMstTuning,
} from '../../../src/compute/hdbscan/fast-mst.js';
import { nearestNeighbours } from '../../../src/compute/hdbscan/kernels/neighbours.js';
import type { DotKernels } from '../../../src/compute/hdbscan/kernels/dot-kernel.js';
import { javaScriptDotKernels } from '../../../src/compute/hdbscan/kernels/javascript-dot.js';
import { prepareScreen } from '../../../src/compute/hdbscan/kernels/screen.js';
import { tileEdge, tileFiller } from '../../../src/compute/hdbscan/kernels/tiles.js';
import { rowDistance } from '../../../src/compute/hdbscan/distance.js';
import { referenceMst } from '../../../src/compute/hdbscan/reference-mst.js';
import type { Metric, MstResult } from '../../../src/compute/hdbscan/types.js';
import { makeMatrix, type Matrix } from '../../../src/compute/matrix.js';
import { randomBlobs } from './random-data.js';
import { mulberry32 } from '../../../src/io/datasets/sample.js';
import { onnxDotKernels } from '../../../src/io/onnx/dot-kernel.js';
import { goldenNames, loadGoldenMatrix } from './reference-data.js';

function assertSameTree(actual: MstResult, expected: MstResult, label: string): void {
  assert.equal(actual.tree.to.length, expected.tree.to.length, `${label}: edge count`);
  for (let k = 0; k < expected.tree.to.length; k++) {
    const at = `${label}: step ${k}`;
    assert.equal(actual.tree.from[k], expected.tree.from[k], `${at} from`);
    assert.equal(actual.tree.to[k], expected.tree.to[k], `${at} to`);
    const w = expected.tree.weight[k]!;
    assert.ok(
      Math.abs(actual.tree.weight[k]! - w) <= 1e-9 * Math.abs(w),
      `${at} weight ${actual.tree.weight[k]} vs ${w}`,
    );
  }
  assert.deepEqual(actual.coreDistances, expected.coreDistances, `${label}: core distances`);
}

async function assertMatchesReference(
  matrix: Matrix,
  minSamples: number,
  metric: Metric,
  label: string,
  tuning: FastMstTuning = {},
): Promise<void> {
  const expected = await referenceMst(matrix, { minSamples, metric });
  for (const [name, kernels] of KERNELS) {
    const actual = await fastMstWith(matrix, { minSamples, metric, kernels }, tuning);
    assertSameTree(actual, expected, `${label} (${name} kernel)`);
  }
}

const KERNELS: [string, DotKernels][] = [
  ['ONNX Runtime', onnxDotKernels],
  ['JavaScript', javaScriptDotKernels],
];

/** Integer points in [0, values)^dim: most distances occur many times over. */
function lattice(count: number, dim: number, seed: number, values = 6): Matrix {
  const random = mulberry32(seed);
  return makeMatrix(
    count,
    dim,
    Float32Array.from({ length: count * dim }, () => Math.floor(random() * values)),
  );
}

/** Every row of `matrix` `copies` times, interleaved so duplicates have far-apart indices. */
function duplicated(matrix: Matrix, copies: number): Matrix {
  const data = new Float32Array(matrix.data.length * copies);
  for (let c = 0; c < copies; c++) data.set(matrix.data, c * matrix.data.length);
  return makeMatrix(matrix.count * copies, matrix.dim, data);
}

/** Blobs whose float32 values are rounded to a coarse grid (ties among many, not all, distances). */
function quantised(matrix: Matrix, step: number): Matrix {
  return makeMatrix(
    matrix.count,
    matrix.dim,
    matrix.data.map((v) => Math.round(v / step) * step),
  );
}

describe('fastMst on the golden data', () => {
  const names = goldenNames();
  it('finds the golden inputs', () => {
    assert.ok(names.length >= 3);
  });
  for (const name of names) {
    it(`is identical to referenceMst on ${name} (minSamples 5)`, async () => {
      await assertMatchesReference(loadGoldenMatrix(name), 5, 'euclidean', name);
    });
  }
});

describe('fastMst on seeded random data', () => {
  const cases: [string, () => Matrix, number, Metric][] = [
    ['blobs D=2', () => randomBlobs({ seed: 1, centres: 4, perBlob: 60, dim: 2, noise: 30 }), 5, 'euclidean'],
    ['blobs D=16', () => randomBlobs({ seed: 2, centres: 5, perBlob: 50, dim: 16, noise: 40 }), 5, 'euclidean'],
    ['blobs D=300', () => randomBlobs({ seed: 3, centres: 4, perBlob: 40, dim: 300, noise: 20 }), 5, 'euclidean'],
    [
      'blobs D=64, minSamples 1',
      () => randomBlobs({ seed: 4, centres: 3, perBlob: 50, dim: 64, noise: 10 }),
      1,
      'euclidean',
    ],
    [
      'blobs D=8, minSamples 12',
      () => randomBlobs({ seed: 5, centres: 3, perBlob: 50, dim: 8, noise: 30 }),
      12,
      'euclidean',
    ],
    ['integer lattice D=2 (massive ties)', () => lattice(400, 2, 6), 5, 'euclidean'],
    ['integer lattice D=3', () => lattice(500, 3, 7), 5, 'euclidean'],
    ['integer lattice D=5, 3 values', () => lattice(300, 5, 8, 3), 4, 'euclidean'],
    [
      'duplicated points (x3)',
      () => duplicated(randomBlobs({ seed: 9, centres: 3, perBlob: 30, dim: 4, noise: 15 }), 3),
      5,
      'euclidean',
    ],
    [
      'duplicated points (x8 > minSamples)',
      () => duplicated(randomBlobs({ seed: 10, centres: 2, perBlob: 15, dim: 3, noise: 5 }), 8),
      5,
      'euclidean',
    ],
    [
      'quantised blobs D=10',
      () => quantised(randomBlobs({ seed: 11, centres: 4, perBlob: 60, dim: 10, noise: 30 }), 0.5),
      5,
      'euclidean',
    ],
    [
      'offset data far from the origin',
      () =>
        makeMatrix(
          300,
          6,
          randomBlobs({ seed: 12, centres: 3, perBlob: 90, dim: 6, noise: 30 }).data.map((v) => v + 5000),
        ),
      5,
      'euclidean',
    ],
    ['cosine blobs D=20', () => randomBlobs({ seed: 13, centres: 4, perBlob: 50, dim: 20, noise: 30 }), 5, 'cosine'],
    ['cosine lattice with zero rows', () => lattice(300, 4, 14, 3), 5, 'cosine'],
    [
      'manhattan blobs D=12',
      () => randomBlobs({ seed: 15, centres: 4, perBlob: 50, dim: 12, noise: 30 }),
      5,
      'manhattan',
    ],
    ['manhattan lattice D=2', () => lattice(300, 2, 16), 3, 'manhattan'],
  ];
  for (const [name, make, minSamples, metric] of cases) {
    it(`is identical to referenceMst: ${name} (${metric})`, async () => {
      await assertMatchesReference(make(), minSamples, metric, name);
    });
  }

  // 'auto' picks the neighbour search by the rows' spread; both searches must give the reference tree everywhere.
  for (const neighbours of ['tree', 'tiles'] as const) {
    it(`is identical to referenceMst with the ${neighbours} neighbour search on every euclidean case`, async () => {
      for (const [name, make, minSamples, metric] of cases) {
        if (metric !== 'euclidean') continue;
        let used: string | undefined;
        await assertMatchesReference(make(), minSamples, metric, `${name}, ${neighbours}`, {
          neighbours,
          search: (search) => (used = search),
        });
        assert.equal(used, neighbours, name);
      }
    });
  }

  it('stays identical with the k-d tree search shared with a worker thread', async () => {
    const tuning: FastMstTuning = { neighbours: 'tree', threads: 2 };
    await assertMatchesReference(
      randomBlobs({ seed: 25, centres: 5, perBlob: 120, dim: 12, noise: 100 }),
      5,
      'euclidean',
      'tree with a helper: blobs',
      tuning,
    );
    await assertMatchesReference(lattice(700, 3, 26), 5, 'euclidean', 'tree with a helper: lattice', tuning);
  });

  it("'auto' searches a k-d tree only for many euclidean rows whose variance lies along few axes", () => {
    const random = mulberry32(27);
    const rows = TREE_SEARCH_MIN_ROWS;
    // Spread along three of 40 columns, a little along the others.
    const flat = makeMatrix(
      rows,
      40,
      Float32Array.from({ length: rows * 40 }, (_, i) => (i % 40 < 3 ? random() : random() * 1e-3)),
    );
    const searched = (matrix: Matrix, metric: Metric): boolean => treeSearchAxes(matrix, metric, 'auto') !== undefined;
    assert.equal(searched(flat, 'euclidean'), true);
    assert.equal(searched(flat, 'cosine'), false);
    assert.equal(searched(makeMatrix(rows - 1, 40, flat.data.subarray(0, (rows - 1) * 40)), 'euclidean'), false);
    const wide = makeMatrix(
      rows,
      40,
      Float32Array.from({ length: rows * 40 }, () => random()),
    );
    assert.equal(searched(wide, 'euclidean'), false);
    assert.notEqual(treeSearchAxes(wide, 'euclidean', 'tree'), undefined);
    assert.equal(treeSearchAxes(flat, 'euclidean', 'tiles'), undefined);
  });

  it('stays identical with the narrowest neighbour lists (most flushes)', async () => {
    const matrix = randomBlobs({ seed: 17, centres: 6, perBlob: 40, dim: 24, noise: 60 });
    await assertMatchesReference(matrix, 5, 'euclidean', 'listWidth = minSamples', { listWidth: 5 });
    await assertMatchesReference(lattice(300, 3, 18), 5, 'euclidean', 'lattice, listWidth = minSamples', {
      listWidth: 5,
    });
  });

  it('stays identical with the work shared by two worker threads', async () => {
    const shared: FastMstTuning = { workers: 2 };
    await assertMatchesReference(
      randomBlobs({ seed: 19, centres: 5, perBlob: 60, dim: 40, noise: 50 }),
      5,
      'euclidean',
      'workers: blobs',
      shared,
    );
    await assertMatchesReference(lattice(400, 3, 20), 5, 'euclidean', 'workers: lattice', shared);
    await assertMatchesReference(
      duplicated(randomBlobs({ seed: 21, centres: 3, perBlob: 30, dim: 6, noise: 15 }), 3),
      5,
      'euclidean',
      'workers: duplicates',
      shared,
    );
    await assertMatchesReference(
      randomBlobs({ seed: 22, centres: 4, perBlob: 40, dim: 12, noise: 20 }),
      5,
      'cosine',
      'workers: cosine',
      shared,
    );
    await assertMatchesReference(lattice(250, 2, 23), 4, 'manhattan', 'workers: manhattan', shared);
  });

  it('rescans the rows whose float32 bound cannot certify their core distance', async () => {
    // On a lattice many rows have their minSamples-th and width-th neighbours at one distance.
    const matrix = lattice(300, 2, 24);
    const screen = prepareScreen(matrix, 'euclidean');
    const kernel = await onnxDotKernels.create(1);
    try {
      const lists = await nearestNeighbours(screen, tileFiller(screen, kernel), {
        width: 6,
        minSamples: 5,
        distance: rowDistance(matrix, 'euclidean'),
      });
      assert.ok(lists.exactRows > 0, 'some rows were rescanned');
      const reference = await referenceMst(matrix, { minSamples: 5, metric: 'euclidean' });
      assert.deepEqual(lists.coreDistances, reference.coreDistances);
      const distance = rowDistance(matrix, 'euclidean');
      for (let row = 0; row < matrix.count; row++) {
        for (let other = 0; other < matrix.count; other++) {
          const listed = lists.ids.subarray(row * 6, row * 6 + 6).includes(other);
          if (other !== row && !listed)
            assert.ok(distance(row, other) >= lists.beyond[row]!, `row ${row}: unlisted ${other} nearer than beyond`);
        }
      }
    } finally {
      await kernel.release();
    }
  });

  it('handles tiny inputs and minSamples clamped to N-1', async () => {
    for (const count of [1, 2, 3, 6]) {
      const matrix = randomBlobs({ seed: 20 + count, centres: 1, perBlob: count, dim: 3 });
      await assertMatchesReference(matrix, 5, 'euclidean', `N=${count}`);
    }
  });

  it('gives all-identical rows zero weights in index order', async () => {
    const matrix = makeMatrix(40, 3, new Float32Array(120).fill(2.5));
    const { tree, coreDistances } = await fastMst(matrix, { minSamples: 5, metric: 'euclidean' });
    assert.deepEqual(
      Array.from(tree.to),
      Array.from({ length: 39 }, (_, i) => i + 1),
    );
    assert.ok(tree.weight.every((w) => w === 0));
    assert.ok(coreDistances.every((c) => c === 0));
  });
});

describe('fastMst invariants', () => {
  it('records a Prim sequence: from[k] is the node added at step k, every node added once', async () => {
    const matrix = randomBlobs({ seed: 30, centres: 3, perBlob: 40, dim: 5, noise: 10 });
    const { tree } = await fastMst(matrix, { minSamples: 5, metric: 'euclidean' });
    assert.equal(tree.from.length, matrix.count - 1);
    assert.equal(tree.from[0], 0);
    for (let k = 1; k < tree.from.length; k++) assert.equal(tree.from[k], tree.to[k - 1]);
    assert.deepEqual(
      Array.from(tree.to).sort((a, b) => a - b),
      Array.from({ length: matrix.count - 1 }, (_, i) => i + 1),
    );
  });

  it('works in bounded tiles: no N x N buffer whatever N is', () => {
    for (const dim of [2, 64, 512, 4096]) {
      const edge = tileEdge(dim, 1_000_000);
      assert.ok(edge * edge * 4 <= 16 * 2 ** 20, `dim ${dim}: tile of ${edge}^2 floats`);
    }
    assert.equal(tileEdge(64, 100), 100);
  });

  it('screens with bounds that hold for the reference distances', () => {
    const matrix = quantised(randomBlobs({ seed: 31, centres: 3, perBlob: 30, dim: 40, noise: 10 }), 0.25);
    for (const metric of ['euclidean', 'cosine', 'manhattan'] as const) {
      const screen = prepareScreen(matrix, metric);
      const distance = rowDistance(matrix, metric);
      const { dim, vectors, norms, scales } = screen;
      for (let a = 0; a < matrix.count; a += 7) {
        for (let b = 0; b < matrix.count; b += 5) {
          let t = 0;
          if (screen.tile === 'dot') {
            for (let k = 0; k < dim; k++) t += vectors[a * dim + k]! * vectors[b * dim + k]!;
          } else {
            for (let k = 0; k < dim; k++) t += Math.abs(vectors[a * dim + k]! - vectors[b * dim + k]!);
            t = -t / 2;
          }
          const s = norms[a]! + norms[b]! - 2 * Math.fround(t);
          const d = distance(a, b);
          assert.ok(screen.distanceAtLeast(s, scales[a]!) <= d, `${metric} lower bound for (${a}, ${b})`);
          assert.ok(s < screen.screenAtLeast(d * (1 + 1e-6) + 1e-9, scales[a]!), `${metric} screen for (${a}, ${b})`);
        }
      }
    }
  });
});

describe('fastMst input checks', () => {
  it('names a non-finite value and its place', async () => {
    const data = new Float32Array(20).fill(1);
    data[13] = Number.NaN;
    await assert.rejects(fastMst(makeMatrix(5, 4, data), { minSamples: 2, metric: 'euclidean' }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /row 3, column 1 is NaN/);
      return true;
    });
  });

  it('rejects minSamples below 1 and unknown metrics', async () => {
    const matrix = makeMatrix(4, 2, new Float32Array(8));
    await assert.rejects(fastMst(matrix, { minSamples: 0, metric: 'euclidean' }), InputError);
    await assert.rejects(fastMst(matrix, { minSamples: 2, metric: 'chebyshev' as Metric }), /metric is 'chebyshev'/);
  });

  it('stops with CancelledError when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const matrix = randomBlobs({ seed: 40, centres: 2, perBlob: 20, dim: 3 });
    await assert.rejects(
      fastMst(matrix, { minSamples: 5, metric: 'euclidean' }, { signal: controller.signal }),
      CancelledError,
    );
  });
});
