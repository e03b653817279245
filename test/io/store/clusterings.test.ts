import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, NotFoundError } from '../../../src/errors.js';
import type { ClusteringToSave, InputColumns, NapStore } from '../../../src/io/store/index.js';
import { assertClose, countRows, random, sampleInputs, sampleLayer, sampleRun, tempStore } from './helpers.js';

const COUNT = 300;
const PATTERNS = 4;

/** A synthetic HDBSCAN* result over inputs 0..COUNT-1, rows in a shuffled input order. */
function sampleClustering(
  seed: number,
  unit: number | null = null,
): Required<Omit<ClusteringToSave, 'linkageTree' | 'softMemberships' | 'unitStats' | 'averageImages' | 'flows'>> {
  const next = random(seed);
  const inputIndex = Int32Array.from({ length: COUNT }, (_, i) => i);
  for (let i = COUNT - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [inputIndex[i], inputIndex[j]] = [inputIndex[j]!, inputIndex[i]!];
  }
  const labels = Int32Array.from({ length: COUNT }, () => Math.floor(next() * (PATTERNS + 1)) - 1);
  // Parents are cluster nodes COUNT.., children the points and the child clusters; every node is a child once.
  const treeRows = COUNT + PATTERNS;
  const parent = Int32Array.from({ length: treeRows }, (_, i) =>
    i < PATTERNS ? COUNT : COUNT + 1 + Math.floor(next() * PATTERNS),
  );
  const child = Int32Array.from({ length: treeRows }, (_, i) => (i < PATTERNS ? COUNT + 1 + i : i - PATTERNS));
  return {
    unit,
    params: { minClusterSize: 5, minSamples: 5, selection: 'leaf', epsilon: 0 },
    inputIndex,
    labels,
    probabilities: Float64Array.from({ length: COUNT }, (_, i) => (labels[i] === -1 ? 0 : next())),
    outlierScores: Float32Array.from({ length: COUNT }, () => next()),
    persistence: Float64Array.from({ length: PATTERNS }, () => next() * 3),
    condensedTree: {
      parent,
      child,
      lambda: Float64Array.from({ length: treeRows }, (_, i) => (i === 0 ? Infinity : 1 + next() * 10)),
      childSize: Int32Array.from({ length: treeRows }, (_, i) => (i < PATTERNS ? 10 + i : 1)),
    },
  };
}

async function storeWithInputs(): Promise<{
  store: NapStore;
  path: string;
  done: () => Promise<void>;
  runId: number;
  inputs: InputColumns;
}> {
  const opened = await tempStore();
  const runId = await opened.store.createRun(sampleRun());
  const inputs = sampleInputs(COUNT);
  await opened.store.appendInputs(runId, inputs);
  await opened.store.appendLayer(runId, sampleLayer());
  return { ...opened, runId, inputs };
}

/** The rows of `clustering`, sorted by input index. */
function byInput(
  clustering: Required<
    Omit<ClusteringToSave, 'linkageTree' | 'softMemberships' | 'unitStats' | 'averageImages' | 'flows'>
  >,
) {
  const order = Array.from(clustering.inputIndex.keys()).sort(
    (a, b) => clustering.inputIndex[a]! - clustering.inputIndex[b]!,
  );
  return {
    inputIndex: order.map((row) => clustering.inputIndex[row]!),
    labels: order.map((row) => clustering.labels[row]!),
    probabilities: order.map((row) => clustering.probabilities[row]!),
    outlierScores: order.map((row) => clustering.outlierScores[row]!),
  };
}

describe('NapStore clusterings', () => {
  it('round-trips a clustering: record, patterns, memberships and condensed tree', async () => {
    const { store, runId, done } = await storeWithInputs();
    try {
      const clustering = sampleClustering(11);
      const clusteringId = await store.saveClustering(runId, 'conv1', clustering);
      const record = await store.getClustering(clusteringId);
      const noise = clustering.labels.filter((label) => label === -1).length;
      assert.deepEqual(
        { ...record, createdAt: undefined },
        {
          clusteringId,
          runId,
          layer: 'conv1',
          unit: null,
          params: clustering.params,
          patternCount: PATTERNS,
          noiseCount: noise,
          createdAt: undefined,
        },
      );
      assert.ok(noise > 0 && noise < COUNT, 'fixture has noise and members');

      const patterns = await store.readPatterns(clusteringId);
      assert.deepEqual(Array.from(patterns.patternId), [0, 1, 2, 3]);
      const sizes = [0, 1, 2, 3].map((id) => clustering.labels.filter((label) => label === id).length);
      assert.deepEqual(Array.from(patterns.size), sizes);
      assert.equal(sizes.reduce((a, b) => a + b, 0) + noise, COUNT);
      assertClose(patterns.persistence, clustering.persistence, 1e-12, 'persistence');

      const memberships = await store.readMemberships(clusteringId);
      const expected = byInput(clustering);
      assert.deepEqual(Array.from(memberships.inputIndex), expected.inputIndex);
      assert.deepEqual(Array.from(memberships.patternId), expected.labels);
      assertClose(memberships.probability, expected.probabilities, 1e-12, 'probability');
      assertClose(memberships.outlierScore, expected.outlierScores, 1e-7, 'outlier score');

      const tree = await store.readCondensedTree(clusteringId);
      const edges = Array.from(clustering.condensedTree.parent.keys()).sort(
        (a, b) =>
          clustering.condensedTree.parent[a]! - clustering.condensedTree.parent[b]! ||
          clustering.condensedTree.child[a]! - clustering.condensedTree.child[b]!,
      );
      assert.deepEqual(
        Array.from(tree.parent),
        edges.map((e) => clustering.condensedTree.parent[e]!),
      );
      assert.deepEqual(
        Array.from(tree.child),
        edges.map((e) => clustering.condensedTree.child[e]!),
      );
      assert.deepEqual(
        Array.from(tree.childSize),
        edges.map((e) => clustering.condensedTree.childSize[e]!),
      );
      assertClose(
        tree.lambda,
        edges.map((e) => clustering.condensedTree.lambda[e]!),
        1e-12,
        'lambda',
      );
      assert.ok(tree.lambda.includes(Infinity), 'infinite lambda survives');
    } finally {
      await done();
    }
  });

  it('lists layer and unit clusterings and defaults rows to the run inputs in index order', async () => {
    const { store, runId, done } = await storeWithInputs();
    try {
      await store.appendLayer(runId, sampleLayer({ layer: 'dense', order: 1, dim: 16 }));
      const withoutIndex = { ...sampleClustering(3), inputIndex: undefined };
      const layerId = await store.saveClustering(runId, 'conv1', withoutIndex);
      const unitId = await store.saveClustering(runId, 'conv1', sampleClustering(4, 5));
      const denseId = await store.saveClustering(runId, 'dense', sampleClustering(5));
      assert.deepEqual(
        Array.from((await store.readMemberships(layerId)).inputIndex),
        Array.from({ length: COUNT }, (_, i) => i),
      );
      assert.deepEqual(Array.from((await store.readMemberships(layerId)).patternId), Array.from(withoutIndex.labels));
      assert.deepEqual(
        (await store.listClusterings(runId)).map((c) => c.clusteringId),
        [layerId, unitId, denseId],
      );
      assert.deepEqual(
        (await store.listClusterings(runId, 'conv1')).map((c) => [c.clusteringId, c.unit]),
        [
          [layerId, null],
          [unitId, 5],
        ],
      );
      await assert.rejects(
        store.saveClustering(runId, 'conv1', {
          ...withoutIndex,
          labels: withoutIndex.labels.subarray(1),
          probabilities: withoutIndex.probabilities.subarray(1),
          outlierScores: withoutIndex.outlierScores.subarray(1),
        }),
        (e: unknown) => e instanceof InputError && /299 labels but run \d+ has 300 inputs/.test(e.message),
      );
    } finally {
      await done();
    }
  });

  it('stores nothing of a clustering that fails part-way, and later saves still work', async () => {
    const { store, runId, path, done } = await storeWithInputs();
    try {
      const bad = sampleClustering(7);
      // A repeated input breaks the memberships key after the clustering row and its patterns were written.
      bad.inputIndex[COUNT - 1] = bad.inputIndex[0]!;
      await assert.rejects(store.saveClustering(runId, 'conv1', bad), /[Dd]uplicate|constraint/);
      assert.deepEqual(await store.listClusterings(runId), []);

      const good = await store.saveClustering(runId, 'conv1', sampleClustering(8));
      assert.deepEqual(
        (await store.listClusterings(runId)).map((c) => c.clusteringId),
        [good],
      );
      await store.close();
      assert.equal(await countRows(path, 'clusterings'), 1);
      assert.equal(await countRows(path, 'patterns'), PATTERNS);
      assert.equal(await countRows(path, 'memberships'), COUNT);
      assert.equal(await countRows(path, 'condensed_tree'), COUNT + PATTERNS);
    } finally {
      await done();
    }
  });

  it('refuses inconsistent clusterings with clear errors', async () => {
    const { store, runId, done } = await storeWithInputs();
    try {
      const clustering = sampleClustering(9);
      const labels = clustering.labels.slice();
      labels[10] = PATTERNS;
      await assert.rejects(
        store.saveClustering(runId, 'conv1', { ...clustering, labels }),
        /label 4 of row 10 is outside -1\.\.3/,
      );
      await assert.rejects(
        store.saveClustering(runId, 'conv1', { ...clustering, outlierScores: new Float64Array(3) }),
        /outlierScores has 3 rows, expected 300/,
      );
      await assert.rejects(
        store.saveClustering(runId, 'conv1', {
          ...clustering,
          condensedTree: { ...clustering.condensedTree, lambda: new Float64Array(1) },
        }),
        /condensed tree: column lambda/,
      );
      await assert.rejects(store.saveClustering(runId, 'conv1', { ...clustering, unit: -2 }), /unit -2/);
      await assert.rejects(store.saveClustering(runId, 'fc9', clustering), NotFoundError);
      await assert.rejects(store.saveClustering(runId, 'conv1', { ...clustering, params: 10n }), /JSON/);
      assert.deepEqual(await store.listClusterings(runId), []);
      await assert.rejects(store.getClustering(12345), NotFoundError);
    } finally {
      await done();
    }
  });

  it('pages through the members of a pattern with their inputs, in each order', async () => {
    const { store, runId, inputs, done } = await storeWithInputs();
    try {
      const clustering = sampleClustering(21);
      const clusteringId = await store.saveClustering(runId, 'conv1', clustering);
      const rows = byInput(clustering);
      for (const patternId of [2, -1]) {
        const members = rows.inputIndex.filter((_, i) => rows.labels[i] === patternId);
        const probabilityOf = new Map(
          members.map((input) => [input, rows.probabilities[rows.inputIndex.indexOf(input)]!]),
        );
        const mostStable = [...members].sort((a, b) => probabilityOf.get(b)! - probabilityOf.get(a)! || a - b);

        const seen: number[] = [];
        for (let offset = 0; offset < members.length; offset += 16) {
          const page = await store.readPatternMembers(clusteringId, patternId, { offset, limit: 16 });
          assert.equal(page.total, members.length);
          seen.push(...page.index);
          page.index.forEach((input, i) => {
            assert.equal(page.path[i], inputs.path[input]);
            assert.equal(page.label[i], inputs.label[input]);
            assert.equal(page.prediction[i], inputs.prediction[input]);
            assert.equal(page.predictionLabel[i], inputs.predictionLabel[input]);
            assertClose([page.probability[i]!], [inputs.probability[input]!], 1e-7);
            assertClose([page.membershipProbability[i]!], [probabilityOf.get(input)!], 1e-12);
          });
        }
        assert.deepEqual(seen, mostStable, `pattern ${patternId}: pages cover the members, most stable first`);

        const leastStable = await store.readPatternMembers(clusteringId, patternId, {
          order: 'least-stable',
          limit: 5,
        });
        assert.deepEqual(
          Array.from(leastStable.index),
          [...members].sort((a, b) => probabilityOf.get(a)! - probabilityOf.get(b)! || a - b).slice(0, 5),
        );
        const byIndex = await store.readPatternMembers(clusteringId, patternId, {
          order: 'input',
          offset: 3,
          limit: 4,
        });
        assert.deepEqual(Array.from(byIndex.index), [...members].sort((a, b) => a - b).slice(3, 7));
      }
      const beyond = await store.readPatternMembers(clusteringId, 0, { offset: 10_000 });
      assert.equal(beyond.index.length, 0);
      await assert.rejects(store.readPatternMembers(clusteringId, PATTERNS), NotFoundError);
      await assert.rejects(store.readPatternMembers(clusteringId, 0, { offset: -1 }), InputError);
      await assert.rejects(store.readPatternMembers(clusteringId, 0, { limit: 1.5 }), InputError);
    } finally {
      await done();
    }
  });

  it('counts members per pattern and label, and finds the patterns of given inputs', async () => {
    const { store, runId, inputs, done } = await storeWithInputs();
    try {
      const first = sampleClustering(31);
      const second = sampleClustering(32, 0);
      const firstId = await store.saveClustering(runId, 'conv1', first);
      const secondId = await store.saveClustering(runId, 'conv1', second);

      for (const by of ['label', 'prediction'] as const) {
        const column = by === 'label' ? inputs.label : inputs.predictionLabel;
        const expected = new Map<string, number>();
        first.labels.forEach((pattern, row) => {
          const key = `${pattern}|${column[first.inputIndex[row]!]}`;
          expected.set(key, (expected.get(key) ?? 0) + 1);
        });
        const counts = await store.readPatternLabelCounts(firstId, by);
        const actual = new Map(
          Array.from(counts.patternId, (pattern, i) => [`${pattern}|${counts.label[i]}`, counts.count[i]!]),
        );
        assert.deepEqual(actual, expected);
        assert.ok(counts.label.includes(null) === (by === 'label'), 'the unlabeled input counts under null');
      }

      const asked = Int32Array.of(42, 7);
      const found = await store.readMembershipsOfInputs(runId, asked);
      assert.deepEqual(Array.from(found.clusteringId), [firstId, firstId, secondId, secondId]);
      assert.deepEqual(Array.from(found.inputIndex), [7, 42, 7, 42]);
      assert.equal((await store.readMembershipsOfInputs(runId, new Int32Array(0))).inputIndex.length, 0);
      const labelOf = (c: ClusteringToSave & { inputIndex: Int32Array }, input: number) =>
        c.labels[c.inputIndex.indexOf(input)]!;
      assert.deepEqual(Array.from(found.patternId), [
        labelOf(first, 7),
        labelOf(first, 42),
        labelOf(second, 7),
        labelOf(second, 42),
      ]);
    } finally {
      await done();
    }
  });
});
