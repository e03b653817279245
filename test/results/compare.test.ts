import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adjustedRandIndex } from '../../src/compute/partition-metrics.js';
import { analyze } from '../../src/engine/analyze.js';
import { compareRuns, matchInputsByPath } from '../../src/results/compare.js';
import { storeResults } from '../../src/results/node/duckdb-reader.js';
import { layerClusterings } from '../../src/engine/flow.js';
import { InputError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { random } from '../io/store/helpers.js';

const LIMIT = 160;
const LAYERS = [TINY.relu, TINY.pool, TINY.logits];

let dir: string;
let original: NapStore;
let runId: number;
let coarseRunId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-compare-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const out = path.join(dir, 'results.duckdb');
  ({ runId } = await analyze({ model, data: 'mnist', out, limit: LIMIT, layers: LAYERS }));
  // Another run of the same file over the same inputs: max aggregation and coarser patterns.
  ({ runId: coarseRunId } = await analyze({
    model,
    data: 'mnist',
    out,
    limit: LIMIT,
    aggregation: 'max',
    layers: LAYERS,
    clustering: { minClusterSize: 8 },
  }));
  original = await NapStore.open(out, { readOnly: true });
});

after(async () => {
  await original?.close();
  await rm(dir, { recursive: true, force: true });
});

function shuffled(count: number, seed: number): Int32Array {
  const next = random(seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * A copy of the run in a new store, its inputs stored in another order (so input indices differ and only
 * paths match) and, for each layer, pattern ids renamed by `permutation(layer, patternCount)`.
 * `keep` limits the copy to the first inputs of the shuffled order.
 */
async function permutedCopy(
  file: string,
  permutation: (patterns: number) => Int32Array,
  keep = LIMIT,
): Promise<NapStore> {
  const copy = await NapStore.open(path.join(dir, file));
  const run = await original.getRun(runId);
  const copyId = await copy.createRun(run);
  const inputs = await original.readInputs(runId);
  const order = shuffled(inputs.index.length, 7).subarray(0, keep);
  // Input k of the copy is input order[k] of the original.
  await copy.appendInputs(copyId, {
    index: Int32Array.from(order, (_, k) => k),
    path: Array.from(order, (i) => inputs.path[i]!),
    label: Array.from(order, (i) => inputs.label[i]!),
    prediction: Int32Array.from(order, (i) => inputs.prediction[i]!),
    predictionLabel: Array.from(order, (i) => inputs.predictionLabel[i]!),
    probability: Float64Array.from(order, (i) => inputs.probability[i]!),
  });
  for (const layer of await original.listLayers(runId)) await copy.appendLayer(copyId, layer);
  for (const layer of await layerClusterings(original, runId)) {
    const memberships = await original.readMemberships(layer.clusteringId);
    const labelOf = new Map(Array.from(memberships.inputIndex, (input, row) => [input, memberships.patternId[row]!]));
    const renamed = permutation(layer.patternCount);
    await copy.saveClustering(copyId, layer.layer, {
      unit: null,
      params: {},
      inputIndex: Int32Array.from(order, (_, k) => k),
      labels: Int32Array.from(order, (i) => {
        const label = labelOf.get(inputs.index[i]!)!;
        return label < 0 ? -1 : renamed[label]!;
      }),
      probabilities: new Float64Array(order.length),
      outlierScores: new Float64Array(order.length),
      persistence: new Float64Array(layer.patternCount),
      condensedTree: {
        parent: new Int32Array(0),
        child: new Int32Array(0),
        lambda: new Float64Array(0),
        childSize: new Int32Array(0),
      },
    });
  }
  return copy;
}

describe('comparing runs', () => {
  it('scores a run against itself with ARI and NMI 1 and matches every pattern to itself', async () => {
    const result = await compareRuns(
      { tables: storeResults(original).tables, runId },
      { tables: storeResults(original).tables, runId },
    );
    assert.equal(result.sharedInputs, LIMIT);
    assert.deepEqual(
      result.layers.map((l) => l.layerA),
      LAYERS,
    );
    for (const layer of result.layers) {
      for (const agreement of [layer.agreement.withNoise, layer.agreement.withoutNoise]) {
        assert.equal(agreement.adjustedRandIndex, 1, layer.layerA);
        assert.ok(Math.abs(agreement.normalizedMutualInformation - 1) < 1e-12, layer.layerA);
      }
      assert.equal(layer.agreement.withNoise.inputs, LIMIT);
      assert.deepEqual(
        layer.matching.pairs.map((p) => [p.patternA, p.patternB, p.jaccard]),
        Array.from({ length: layer.patternsA }, (_, i) => [i, i, 1]),
      );
      assert.deepEqual([layer.matching.unmatchedA, layer.matching.unmatchedB], [[], []]);
    }
  });

  it('recovers the permutation of a label-permuted copy whose inputs are stored in another order', async () => {
    const permutations = new Map<number, Int32Array>();
    const permutation = (patterns: number) => {
      const renamed = shuffled(patterns, 100 + patterns);
      permutations.set(patterns, renamed);
      return renamed;
    };
    const copy = await permutedCopy('permuted.duckdb', permutation);
    try {
      const [copyRun] = await copy.listRuns();
      const result = await compareRuns(
        { tables: storeResults(original).tables, runId },
        { tables: storeResults(copy).tables, runId: copyRun!.runId },
      );
      assert.equal(result.sharedInputs, LIMIT);
      assert.deepEqual([result.unmatchedA, result.unmatchedB], [0, 0]);
      for (const layer of result.layers) {
        const renamed = permutations.get(layer.patternsA)!;
        assert.ok(
          Array.from(renamed).some((to, from) => to !== from) || layer.patternsA < 2,
          'the copy really is permuted',
        );
        assert.equal(layer.agreement.withNoise.adjustedRandIndex, 1);
        assert.ok(Math.abs(layer.agreement.withNoise.normalizedMutualInformation - 1) < 1e-12);
        assert.deepEqual(
          layer.matching.pairs.map((p) => [p.patternA, p.patternB]),
          Array.from(renamed, (to, from) => [from, to]),
        );
        assert.ok(layer.matching.pairs.every((p) => p.jaccard === 1));
      }
    } finally {
      await copy.close();
    }
  });

  it('compares on the shared inputs only', async () => {
    const identity = (patterns: number) => Int32Array.from({ length: patterns }, (_, i) => i);
    const copy = await permutedCopy('half.duckdb', identity, LIMIT / 2);
    try {
      const [copyRun] = await copy.listRuns();
      const result = await compareRuns(
        { tables: storeResults(original).tables, runId },
        { tables: storeResults(copy).tables, runId: copyRun!.runId },
        { layers: [[TINY.pool, TINY.pool]] },
      );
      assert.deepEqual([result.sharedInputs, result.unmatchedA, result.unmatchedB], [LIMIT / 2, LIMIT / 2, 0]);
      const [layer] = result.layers;
      assert.equal(layer!.inputs, LIMIT / 2);
      assert.equal(layer!.agreement.withNoise.adjustedRandIndex, 1);
      // Every pattern present in the half is matched to itself; the shared count is its size there.
      for (const pair of layer!.matching.pairs) assert.equal(pair.patternA, pair.patternB);
    } finally {
      await copy.close();
    }
  });

  it('gives consistent scores and a one-to-one matching for a different run', async () => {
    const result = await compareRuns(
      { tables: storeResults(original).tables, runId },
      { tables: storeResults(original).tables, runId: coarseRunId },
    );
    const { tables } = storeResults(original);
    const inputsA = await tables.inputs(runId);
    const inputsB = await tables.inputs(coarseRunId);
    assert.equal(result.sharedInputs, LIMIT, 'the same sample');
    assert.ok(
      result.layers.some((l) => l.agreement.withNoise.adjustedRandIndex < 1),
      'the two runs really differ',
    );
    const { indexA, indexB } = matchInputsByPath(inputsA, inputsB);
    for (const layer of result.layers) {
      const { withNoise, withoutNoise } = layer.agreement;
      assert.ok(withNoise.adjustedRandIndex <= 1 && withNoise.adjustedRandIndex >= -1);
      assert.ok(withNoise.normalizedMutualInformation >= 0 && withNoise.normalizedMutualInformation <= 1 + 1e-12);
      assert.ok(withoutNoise.inputs <= withNoise.inputs);
      // Reference ARI from the memberships, aligned independently.
      const labels = async (store: NapStore, clusteringId: number, inputs: Int32Array) => {
        const m = await store.readMemberships(clusteringId);
        const of = new Map(Array.from(m.inputIndex, (input, row) => [input, m.patternId[row]!]));
        return Int32Array.from(inputs, (input) => of.get(input)!);
      };
      const a = await labels(original, layer.clusteringA, indexA);
      const b = await labels(original, layer.clusteringB, indexB);
      assert.equal(withNoise.adjustedRandIndex, adjustedRandIndex(a, b));
      const { pairs, unmatchedA, unmatchedB } = layer.matching;
      assert.equal(new Set(pairs.map((p) => p.patternA)).size, pairs.length, 'each pattern of A at most once');
      assert.equal(new Set(pairs.map((p) => p.patternB)).size, pairs.length, 'each pattern of B at most once');
      assert.equal(pairs.length + unmatchedA.length, layer.patternsA);
      assert.equal(pairs.length + unmatchedB.length, layer.patternsB);
      for (const pair of pairs) {
        let shared = 0;
        let union = 0;
        a.forEach((label, k) => {
          if (label === pair.patternA && b[k] === pair.patternB) shared++;
          if (label === pair.patternA || b[k] === pair.patternB) union++;
        });
        assert.equal(pair.shared, shared);
        assert.ok(shared > 0);
        assert.ok(Math.abs(pair.jaccard - shared / union) < 1e-12);
      }
    }
  });

  it('refuses runs without shared inputs or layers, naming what is missing', async () => {
    await assert.rejects(
      compareRuns(
        { tables: storeResults(original).tables, runId },
        { tables: storeResults(original).tables, runId },
        { layers: [[TINY.pool, 'pool_ou']] },
      ),
      (e: unknown) => e instanceof InputError && /pool_ou/.test(e.message) && /pool_out/.test(e.message),
    );
    const other = await NapStore.open(path.join(dir, 'elsewhere.duckdb'));
    try {
      const run = await original.getRun(runId);
      const id = await other.createRun(run);
      await other.appendInputs(id, {
        index: Int32Array.from([0]),
        path: ['elsewhere.png'],
        label: ['0'],
        prediction: Int32Array.from([-1]),
        predictionLabel: [null],
        probability: Float64Array.from([NaN]),
      });
      await assert.rejects(
        compareRuns(
          { tables: storeResults(original).tables, runId },
          { tables: storeResults(other).tables, runId: id },
        ),
        (e: unknown) => e instanceof InputError && /share no input paths/.test(e.message),
      );
      await other.appendInputs(id, {
        index: Int32Array.from([1]),
        path: [(await original.readInputs(runId)).path[0]!],
        label: ['0'],
        prediction: Int32Array.from([-1]),
        predictionLabel: [null],
        probability: Float64Array.from([NaN]),
      });
      await assert.rejects(
        compareRuns(
          { tables: storeResults(original).tables, runId },
          { tables: storeResults(other).tables, runId: id },
        ),
        (e: unknown) => e instanceof InputError && /no layer with patterns under the same name/.test(e.message),
      );
    } finally {
      await other.close();
    }
  });
});

describe('matching inputs by path', () => {
  it('pairs unique paths and leaves out missing, null and repeated ones', () => {
    const inputs = (paths: (string | null)[]) => ({
      inputIndex: Int32Array.from(paths, (_, i) => 10 + i),
      path: paths,
      label: paths.map(() => null),
      prediction: new Int32Array(paths.length),
      predictionLabel: paths.map(() => null),
      probability: new Float64Array(paths.length),
      content: paths.map(() => null),
    });
    const a = inputs(['x', 'y', null, 'z', 'w']);
    const b = inputs(['z', 'x', 'w', 'w', null, 'v']);
    const { indexA, indexB } = matchInputsByPath(a, b);
    assert.deepEqual(Array.from(indexA), [10, 13]);
    assert.deepEqual(Array.from(indexB), [11, 10]);
  });
});
