import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Matrix } from '../../src/compute/matrix.js';
import { labelAgreement } from '../../src/compute/projection/index.js';
import { analyze } from '../../src/engine/analyze.js';
import { projectMatrix, storeRunProjections, type ProjectMatrix } from '../../src/engine/project-layer.js';
import { planProjection, type ProjectionPlan } from '../../src/engine/projection-options.js';
import { CancelledError, InputError, NotFoundError } from '../../src/errors.js';
import { NapStore, type StoredProjection } from '../../src/io/store/index.js';
import type { Progress } from '../../src/progress.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { random } from '../io/store/helpers.js';

const LIMIT = 150;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];

let dir: string;
let model: string;
let out: string;
let runId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-projection-'));
  model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  out = path.join(dir, 'results.duckdb');
  ({ runId } = await analyze({ model, data: 'mnist', out, limit: LIMIT, layers: LAYERS }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withStore<T>(work: (store: NapStore) => Promise<T>, file = out): Promise<T> {
  const store = await NapStore.open(file);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function interleaved({ x, y }: { x: Float32Array; y: Float32Array }): Float32Array {
  const points = new Float32Array(2 * x.length);
  x.forEach((value, i) => ([points[2 * i], points[2 * i + 1]] = [value, y[i]!]));
  return points;
}

/** Three well separated Gaussian blobs in 8-D, 30 rows each, and each row's blob. */
function blobs(): { matrix: Matrix; labels: Int32Array } {
  const next = random(7);
  const count = 90;
  const dim = 8;
  const data = new Float32Array(count * dim);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < dim; c++) data[r * dim + c] = (c === labels[r]! ? 10 : 0) + (next() - 0.5);
  }
  return { matrix: { count, dim, data }, labels };
}

function variance(values: Float32Array): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
}

/** Largest eigenvalue of the rows' covariance by power iteration: the variance PCA's first axis must carry. */
function topCovarianceEigenvalue({ count, dim, data }: Matrix): number {
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let c = 0; c < dim; c++) mean[c]! += data[r * dim + c]! / count;
  let vector = Float64Array.from({ length: dim }, (_, c) => 1 + c);
  let value = 0;
  for (let iteration = 0; iteration < 500; iteration++) {
    const next = new Float64Array(dim);
    for (let r = 0; r < count; r++) {
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += (data[r * dim + c]! - mean[c]!) * vector[c]!;
      for (let c = 0; c < dim; c++) next[c]! += (dot * (data[r * dim + c]! - mean[c]!)) / (count - 1);
    }
    value = Math.hypot(...next);
    vector = next.map((v) => v / value);
  }
  return value;
}

describe('layer projections', () => {
  it('analyze stores a UMAP map of every layer: one finite point per input, by input index, reproducible from its params', async () => {
    await withStore(async (store) => {
      const list = await store.listProjections(runId);
      assert.deepEqual(
        list.map((p) => [p.layer, p.method, p.pointCount]),
        LAYERS.map((layer) => [layer, 'umap', LIMIT]),
      );
      assert.deepEqual(list[0]!.params, {
        seed: 42,
        nNeighbors: 15,
        minDist: 0.1,
        nEpochs: 200,
        pcaDims: 0,
        knn: 'exact',
      });
      for (const layer of LAYERS) {
        const stored = (await store.readProjection(runId, layer))!;
        const { matrix, inputIndex } = await store.readActivations(runId, layer);
        assert.deepEqual(stored.inputIndex, inputIndex);
        assert.ok(stored.x.every(Number.isFinite) && stored.y.every(Number.isFinite), `${layer}: finite`);
        assert.ok(variance(stored.x) > 0 && variance(stored.y) > 0, `${layer}: the points are spread out`);
        const again = await projectMatrix(matrix, planProjection({}, matrix)!);
        assert.deepEqual(again.x, stored.x, `${layer}: same seed and data give the same map`);
        assert.deepEqual(again.y, stored.y);
      }
    });
  });

  it('a second analyze reuses the stored maps instead of computing them again', async () => {
    const before = await withStore((store) => store.readProjection(runId, TINY.pool));
    const stages = new Set<string>();
    const again = await analyze(
      { model, data: 'mnist', out, limit: LIMIT, layers: LAYERS },
      { onProgress: (p) => stages.add(p.stage) },
    );
    assert.equal(again.runId, runId);
    assert.deepEqual(
      [...stages].filter((stage) => /umap|pca/.test(stage)),
      [],
      'no projection stage ran',
    );
    const after = await withStore((store) => store.readProjection(runId, TINY.pool));
    assert.equal(after!.createdAt.getTime(), before!.createdAt.getTime());
    assert.deepEqual(after!.x, before!.x);
  });

  it('keeps a map made with the asked parameters, replaces one made with others, and replaces any when told to', async () => {
    await withStore(async (store) => {
      const stored = async () => new Map((await store.listProjections(runId)).map((p) => [p.layer, p]));
      const first = await stored();
      const kept = await storeRunProjections(store, runId, { existing: 'update' });
      assert.deepEqual(
        kept.map((p) => p.computed),
        [false, false, false],
      );

      const reseeded = await storeRunProjections(store, runId, { existing: 'update', seed: 7, layers: [TINY.logits] });
      assert.deepEqual(
        reseeded.map((p) => [p.layer, p.computed, (p.params as { seed: number }).seed]),
        [[TINY.logits, true, 7]],
      );
      const afterSeed = await stored();
      assert.equal(
        afterSeed.get(TINY.relu)!.createdAt.getTime(),
        first.get(TINY.relu)!.createdAt.getTime(),
        'layers not asked for are left alone',
      );
      const seven = (await store.readProjection(runId, TINY.logits))!;
      const seed42 = await projectMatrix(
        (await store.readActivations(runId, TINY.logits)).matrix,
        planProjection({}, { count: LIMIT, dim: 3 })!,
      );
      assert.notDeepEqual(seven.x, seed42.x, 'another seed gives another map');

      await new Promise((resolve) => setTimeout(resolve, 5));
      const forced = await storeRunProjections(store, runId, { existing: 'replace', seed: 7, layers: [TINY.logits] });
      assert.equal(forced[0]!.computed, true);
      const recomputed = (await store.readProjection(runId, TINY.logits))!;
      assert.ok(recomputed.createdAt.getTime() > seven.createdAt.getTime(), 'stored anew');
      assert.deepEqual(recomputed.x, seven.x, 'and equal for the same seed');

      // Back to the defaults, as the other tests expect.
      await storeRunProjections(store, runId, { existing: 'update', layers: [TINY.logits] });
    });
  });

  it('PCA maps carry the most variance along x: the largest eigenvalue of the covariance', async () => {
    const { matrix } = blobs();
    const { x, y } = await projectMatrix(matrix, planProjection({ method: 'pca' }, matrix)!);
    const expected = topCovarianceEigenvalue(matrix);
    assert.ok(Math.abs(variance(x) - expected) <= 1e-4 * expected, `var(x) ${variance(x)} vs eigenvalue ${expected}`);
    assert.ok(variance(y) <= variance(x) && variance(y) > 0);
    const meanX = x.reduce((s, v) => s + v, 0) / x.length;
    assert.ok(Math.abs(meanX) < 1e-4, 'centred');

    await withStore(async (store) => {
      const made = await storeRunProjections(store, runId, { method: 'pca', existing: 'update', layers: [TINY.pool] });
      assert.deepEqual(
        made.map((p) => [p.method, p.computed]),
        [['pca', true]],
      );
      const stored = (await store.readProjection(runId, TINY.pool))!;
      const { matrix: pool } = await store.readActivations(runId, TINY.pool);
      assert.equal(stored.method, 'pca');
      assert.deepEqual(stored.params, { seed: 42 });
      const reference = topCovarianceEigenvalue(pool);
      assert.ok(
        Math.abs(variance(stored.x) - reference) <= 1e-3 * reference,
        'the stored map is the PCA of the stored activations',
      );
      await storeRunProjections(store, runId, { existing: 'update', layers: [TINY.pool] });
    });
  });

  it('UMAP keeps well separated groups apart, and other seeds give other maps', async () => {
    const { matrix, labels } = blobs();
    const plan = planProjection({ seed: 1 }, matrix)!;
    const map = await projectMatrix(matrix, plan);
    assert.ok(labelAgreement(interleaved(map), labels, 10) >= 0.95, 'nearest points on the map share their blob');
    assert.deepEqual(await projectMatrix(matrix, plan), map);
    assert.notDeepEqual((await projectMatrix(matrix, planProjection({ seed: 2 }, matrix)!)).x, map.x);
  });

  it('plans: defaults by layer shape, small layers, and bad values named', () => {
    const umapParams = (plan: ProjectionPlan | null) => (plan?.method === 'umap' ? plan.params : null);
    assert.deepEqual(umapParams(planProjection({}, { count: 10_000, dim: 64 })), {
      seed: 42,
      nNeighbors: 15,
      minDist: 0.1,
      nEpochs: 200,
      pcaDims: 0,
      knn: 'exact',
    });
    assert.equal(umapParams(planProjection({}, { count: 20_001, dim: 64 }))?.knn, 'nn-descent');
    assert.equal(
      umapParams(planProjection({}, { count: 500, dim: 512 }))?.pcaDims,
      50,
      'wide layers are reduced first',
    );
    assert.equal(
      umapParams(planProjection({ pcaDims: 80 }, { count: 500, dim: 64 }))?.pcaDims,
      0,
      'no reduction to as many dims or more',
    );
    assert.equal(umapParams(planProjection({}, { count: 8, dim: 4 }))?.nNeighbors, 7, 'small layers: fewer neighbours');
    assert.equal(planProjection({}, { count: 2, dim: 4 })?.method, 'pca', 'too few inputs for UMAP');
    assert.equal(planProjection({ method: 'none' }, { count: 100, dim: 4 }), null);
    const refused = (options: object, pattern: RegExp) =>
      assert.throws(
        () => planProjection(options, { count: 100, dim: 4 }),
        (e: unknown) => e instanceof InputError && pattern.test(e.message) && (e.hint ?? '') !== '',
      );
    refused({ method: 'tsne' }, /method 'tsne' is not one of umap, pca, none/);
    refused({ nNeighbors: 1 }, /nNeighbors 1/);
    refused({ minDist: 2 }, /minDist 2/);
    refused({ seed: 1.5 }, /seed 1.5/);
    refused({ nEpochs: 0 }, /nEpochs 0/);
    refused({ knn: 'fast' }, /knn 'fast' is not one of/);
  });

  it('a tiny layer still gets a map: one input at the origin, two on a line', async () => {
    const one = await projectMatrix(
      { count: 1, dim: 3, data: Float32Array.of(1, 2, 3) },
      planProjection({}, { count: 1, dim: 3 })!,
    );
    assert.deepEqual([one.x[0], one.y[0]], [0, 0]);
    const line = await projectMatrix(
      { count: 4, dim: 1, data: Float32Array.of(0, 1, 2, 3) },
      planProjection({ method: 'pca' }, { count: 4, dim: 1 })!,
    );
    assert.deepEqual(Array.from(line.y), [0, 0, 0, 0]);
    assert.ok(Math.abs(variance(line.x) - variance(Float32Array.of(0, 1, 2, 3))) < 1e-5);
  });

  it('reports progress per layer, stops when cancelled, and keeps the map stored before', async () => {
    await withStore(async (store) => {
      const before = (await store.readProjection(runId, TINY.relu)) as StoredProjection;
      const controller = new AbortController();
      const seen: Progress[] = [];
      const onProgress = (p: Progress) => {
        seen.push(p);
        if (p.stage.endsWith('umap: layout') && p.done === 0) controller.abort();
      };
      await assert.rejects(
        storeRunProjections(
          store,
          runId,
          { existing: 'replace', layers: [TINY.relu] },
          { signal: controller.signal, onProgress },
        ),
        CancelledError,
      );
      assert.ok(
        seen.some((p) => p.stage === `${TINY.relu}: umap: layout`),
        'stages name the layer',
      );
      const after = (await store.readProjection(runId, TINY.relu))!;
      assert.equal(after.createdAt.getTime(), before.createdAt.getTime());
      assert.deepEqual(after.x, before.x);
    });
  });

  it('a projector that joins takes the layers not yet begun; the maps equal those of one projector', async () => {
    await withStore(async (store) => {
      await storeRunProjections(store, runId, { existing: 'replace' });
      const alone = await Promise.all(LAYERS.map(async (layer) => (await store.readProjection(runId, layer))!.x));
      const madeBy = new Map<string, string>();
      let join: (project: ProjectMatrix) => void = () => {};
      const joining = new Promise<ProjectMatrix>((resolve) => (join = resolve));
      const recording =
        (name: string): ProjectMatrix =>
        (layer, matrix, _inputIndex, plan, control) => {
          madeBy.set(layer, name);
          join(recording('second'));
          return projectMatrix(matrix, plan, control);
        };
      const made = await storeRunProjections(store, runId, { existing: 'replace' }, {}, recording('first'), joining);
      assert.deepEqual(
        made.map((m) => m.layer),
        LAYERS,
      );
      assert.equal(madeBy.size, LAYERS.length);
      assert.ok([...madeBy.values()].includes('second'), `made by ${JSON.stringify([...madeBy])}`);
      for (const [i, layer] of LAYERS.entries()) {
        assert.deepEqual((await store.readProjection(runId, layer))!.x, alone[i], layer);
      }
    });
  });

  it('refuses an unknown layer, naming the stored ones', async () => {
    await withStore(async (store) => {
      await assert.rejects(
        storeRunProjections(store, runId, { layers: ['nope'] }),
        (e: unknown) => e instanceof NotFoundError && /"nope"/.test(e.message) && (e.hint ?? '').includes(TINY.relu),
      );
    });
  });

  it("analyze --projection: 'pca' stores PCA maps, 'none' stores none", async () => {
    const pcaStore = path.join(dir, 'pca.duckdb');
    const noneStore = path.join(dir, 'none.duckdb');
    const pcaRun = await analyze({
      model,
      data: 'mnist',
      out: pcaStore,
      limit: 40,
      layers: [TINY.pool],
      projection: 'pca',
    });
    const noneRun = await analyze({
      model,
      data: 'mnist',
      out: noneStore,
      limit: 40,
      layers: [TINY.pool],
      projection: 'none',
    });
    assert.deepEqual(
      (await withStore((store) => store.listProjections(pcaRun.runId), pcaStore)).map((p) => p.method),
      ['pca'],
    );
    assert.deepEqual(await withStore((store) => store.listProjections(noneRun.runId), noneStore), []);
    await assert.rejects(
      analyze({ model, data: 'mnist', out: noneStore, projection: 'tsne' as 'umap' }),
      (e: unknown) => e instanceof InputError && /projection 'tsne'/.test(e.message),
    );
  });
});
