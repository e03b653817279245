import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { indexInputs, type IndexedInputs } from '../../src/results/input-index.js';
import { storeResults } from '../../src/results/node/duckdb-reader.js';
import { summarizePatterns } from '../../src/results/pattern-summaries.js';
import type { MembershipsTable } from '../../src/results/tables.js';
import { majorityLabels, triageClustering, triageRun } from '../../src/results/triage.js';
import { triageCsv } from '../../src/results/triage-records.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

let dir: string;
let storePath: string;
let runId: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-triage-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'nap.duckdb');
  runId = (
    await analyze({ model, data: 'mnist', out: storePath, limit: 240, layers: [TINY.relu, TINY.pool, TINY.logits] })
  ).runId;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function inputsOf(rows: {
  label: (string | null)[];
  prediction: number[];
  predictionLabel: (string | null)[];
}): IndexedInputs {
  const n = rows.label.length;
  return indexInputs({
    inputIndex: Int32Array.from({ length: n }, (_, i) => i),
    path: Array.from({ length: n }, (_, i) => `img/${i}.png`),
    label: rows.label,
    prediction: Int32Array.from(rows.prediction),
    predictionLabel: rows.predictionLabel,
    probability: Float64Array.from(rows.prediction, (p) => (p >= 0 ? 0.9 : NaN)),
    content: rows.label.map(() => null),
  });
}

function membershipsOf(patternId: number[], outlierScore: number[]): MembershipsTable {
  return {
    inputIndex: Int32Array.from(patternId, (_, i) => i),
    patternId: Int32Array.from(patternId),
    probability: Float64Array.from(patternId, (p) => (p < 0 ? 0 : 0.5)),
    outlierScore: Float64Array.from(outlierScore),
  };
}

test('majority label: most frequent label among labelled members; ties go to natural order; none without labels', () => {
  const inputs = inputsOf({
    label: ['10', '2', '10', '2', null, null, '7', 'x'],
    prediction: [-1, -1, -1, -1, -1, -1, -1, -1],
    predictionLabel: [null, null, null, null, null, null, null, null],
  });
  // Pattern 0: '10' x2, '2' x2 (tie: "2" before "10"); pattern 1: only unlabelled; pattern 2: '7'; input 7 is noise.
  const memberships = membershipsOf([0, 0, 0, 0, 1, 1, 2, -1], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(majorityLabels(memberships, inputs, 3), [
    { label: '2', share: 0.5 },
    { label: null, share: 0 },
    { label: '7', share: 1 },
  ]);
});

test('candidates disagree with the majority or the prediction; unlabelled and noise never take part; ranked by outlier score', () => {
  const inputs = inputsOf({
    label: ['a', 'a', 'a', 'b', 'a', null, 'b', 'a'],
    prediction: [0, 1, 0, 0, -1, 0, 1, 1],
    predictionLabel: ['a', 'b', 'a', 'a', null, 'a', 'b', 'b'],
  });
  const memberships = membershipsOf([0, 0, 0, 0, 0, 0, -1, 1], [0.1, 0.7, 0.2, NaN, 0.9, 0.95, 0.99, 0.3]);
  const scope = { layer: 'dense', layerOrder: 3, clusteringId: 11, patternCount: 2 };
  const rows = triageClustering(scope, memberships, inputs);
  // Input 1: predicted b (prediction); 3: label b in an 'a' pattern (majority; prediction a too: both);
  // 4: does not classify and agrees with the majority: no; 5: unlabelled; 6: noise; 7: majority 'a', predicted b.
  assert.deepEqual([...rows.inputIndex], [1, 7, 3], 'outlier score descending, NaN last');
  assert.deepEqual([...rows.disagreesWithMajority], [0, 0, 1]);
  assert.deepEqual([...rows.disagreesWithPrediction], [1, 1, 1]);
  assert.deepEqual(rows.majorityLabel, ['a', 'a', 'a']);
  assert.deepEqual([...rows.patternId], [0, 1, 0]);
  assert.deepEqual(rows.path, ['img/1.png', 'img/7.png', 'img/3.png']);
  assert.deepEqual(rows.layer, ['dense', 'dense', 'dense']);
  assert.ok(Math.abs(rows.majorityShare[2]! - 4 / 5) < 1e-12, 'pattern 0: four of five labelled members are a');

  assert.deepEqual([...triageClustering(scope, memberships, inputs, { reason: 'majority' }).inputIndex], [3]);
  assert.deepEqual([...triageClustering(scope, memberships, inputs, { reason: 'prediction' }).inputIndex], [1, 7, 3]);
  assert.deepEqual([...triageClustering(scope, memberships, inputs, { pattern: 1 }).inputIndex], [7]);
  assert.throws(
    () => triageClustering(scope, memberships, inputs, { reason: 'both' as 'any' }),
    (e: Error) => e instanceof InputError && /both/.test(e.message),
  );
});

test('a real run: every candidate follows the rules, none is missed, and the ranking holds', async () => {
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const { tables } = storeResults(store);
    const result = await triageRun(tables, runId);
    const layers = await tables.layerClusterings(runId);
    assert.deepEqual(
      result.layers.map((l) => l.layer),
      [TINY.relu, TINY.pool, TINY.logits],
    );
    const table = await tables.inputs(runId);
    const inputs = table;
    const { rows } = result;
    const expectedKeys = new Set<string>();
    for (const layer of layers) {
      const memberships = await store.readMemberships(layer.clusteringId);
      const patterns = await store.readPatterns(layer.clusteringId);
      // The pattern cards' dominant label is an independent implementation of the majority rule.
      const dominant = summarizePatterns(memberships, patterns.persistence, table, 0).patterns.map(
        (p) => p.dominantLabel,
      );
      memberships.patternId.forEach((patternId, row) => {
        if (patternId < 0) return;
        const inputRow = table.rows.rowOf(memberships.inputIndex[row]!);
        const label = inputs.label[inputRow];
        if (label === null || label === undefined) return;
        if (label !== dominant[patternId] || table.misclassified[inputRow] === 1)
          expectedKeys.add(`${layer.layer}:${memberships.inputIndex[row]}`);
      });
      for (let k = 0; k < rows.layer.length; k++) {
        if (rows.layer[k] !== layer.layer) continue;
        const patternId = rows.patternId[k]!;
        const inputRow = table.rows.rowOf(rows.inputIndex[k]!);
        const memberRow = memberships.inputIndex.indexOf(rows.inputIndex[k]!);
        assert.equal(memberships.patternId[memberRow], patternId);
        assert.equal(rows.clusteringId[k], layer.clusteringId);
        assert.equal(rows.majorityLabel[k], dominant[patternId]);
        assert.equal(rows.label[k], inputs.label[inputRow]);
        assert.equal(rows.path[k], inputs.path[inputRow]);
        assert.equal(rows.disagreesWithMajority[k], rows.label[k] !== dominant[patternId] ? 1 : 0);
        assert.equal(rows.disagreesWithPrediction[k], table.misclassified[inputRow]);
        assert.equal(rows.outlierScore[k], memberships.outlierScore[memberRow]);
        assert.equal(rows.membershipProbability[k], memberships.probability[memberRow]);
      }
    }
    const keys = rows.layer.map((layer, k) => `${layer}:${rows.inputIndex[k]}`);
    assert.equal(new Set(keys).size, keys.length, 'each input once per layer');
    assert.deepEqual(new Set(keys), expectedKeys);
    assert.ok(keys.length > 0, 'an untrained tiny net disagrees somewhere');
    for (let k = 1; k < rows.outlierScore.length; k++)
      assert.ok(rows.outlierScore[k - 1]! >= rows.outlierScore[k]!, `row ${k} is ranked by outlier score`);

    // One layer, one pattern, one reason: exactly the matching subset of the full list, in the same order.
    const layer = layers.find((l) => l.layer === TINY.pool)!;
    const pattern = rows.patternId[rows.layer.indexOf(TINY.pool)]!;
    const subset = await triageRun(tables, runId, { layer: TINY.pool, pattern, reason: 'majority' });
    const expected = keys.filter(
      (_, k) => rows.layer[k] === TINY.pool && rows.patternId[k] === pattern && rows.disagreesWithMajority[k] === 1,
    );
    assert.deepEqual(
      subset.layers.map((l) => l.clusteringId),
      [layer.clusteringId],
    );
    assert.deepEqual(
      Array.from(subset.rows.inputIndex, (index) => `${TINY.pool}:${index}`),
      expected,
    );
  } finally {
    await store.close();
  }
});

test('bad layer, pattern and reason are refused with what to do', async () => {
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const { tables } = storeResults(store);
    await assert.rejects(
      triageRun(tables, runId, { layer: 'nope' }),
      (e: Error) => e instanceof NotFoundError && /"nope"/.test(e.message) && e.message.includes(TINY.pool),
    );
    await assert.rejects(
      triageRun(tables, runId, { pattern: 0 }),
      (e: Error) => e instanceof InputError && /needs a layer/.test(e.message),
    );
    await assert.rejects(
      triageRun(tables, runId, { layer: TINY.pool, pattern: -1 }),
      (e: Error) => e instanceof NotFoundError && /noise has no majority/.test(e.message),
    );
    await assert.rejects(
      triageRun(tables, runId, { layer: TINY.pool, pattern: 9999 }),
      (e: Error) => e instanceof NotFoundError && /9999/.test(e.message),
    );
    await assert.rejects(
      triageRun(tables, runId, { reason: 'all' as 'any' }),
      (e: Error) => e instanceof InputError && /"all"/.test(e.message),
    );
  } finally {
    await store.close();
  }
});

test('CSV fields with commas, quotes and line breaks are quoted; empty values stay empty', () => {
  const records = [
    {
      layer: 'block/conv,1',
      pattern: 2,
      input: 7,
      file: 'dir/a "b".png',
      label: 'cat\ndog',
      prediction: null,
      predictionProbability: null,
      majorityLabel: ' x',
      majorityShare: 0.5,
      disagreesWithMajority: true,
      disagreesWithPrediction: false,
      outlierScore: null,
      membershipProbability: 1,
    },
  ];
  assert.equal(
    triageCsv(records).split('\n').slice(1).join('\n'),
    '"block/conv,1",2,7,"dir/a ""b"".png","cat\ndog",,," x",0.5,true,false,,1\n',
  );
});
