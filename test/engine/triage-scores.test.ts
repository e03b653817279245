import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runTriageCommand } from '../../src/cli/commands/triage.js';
import { combinedScore } from '../../src/compute/triage/combine.js';
import { neighbourVotes } from '../../src/compute/triage/neighbour-votes.js';
import { analyze } from '../../src/engine/analyze.js';
import { labelLeads, triageTable } from '../../src/engine/triage-listing.js';
import { triageToSave } from '../../src/engine/triage-save.js';
import {
  EARLY_LAYER_WEIGHT,
  HEADLESS_EARLY_LAYER_WEIGHT,
  HEADLESS_PROBE_WEIGHT,
  IN_SAMPLE_MODEL_WEIGHT,
  PROBE_WEIGHT,
  MODEL_WEIGHT,
  scoreRun,
  type RunTriage,
} from '../../src/engine/triage-scores.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

let dir: string;
let storePath: string;
let runId: number;
let triage: RunTriage;

async function withStore<T>(body: (store: NapStore) => Promise<T>): Promise<T> {
  return withStoreAt(storePath, body);
}

async function withStoreAt<T>(file: string, body: (store: NapStore) => Promise<T>): Promise<T> {
  const store = await NapStore.open(file, { readOnly: true });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-triage-scores-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'nap.duckdb');
  runId = (
    await analyze({
      model,
      data: 'mnist',
      out: storePath,
      limit: 240,
      layers: [TINY.relu, TINY.pool, TINY.logits],
      projection: 'none',
    })
  ).runId;
  triage = await withStore((store) => scoreRun(store, runId, { k: 5, threads: 1 }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the run keeps every input probability vector; triage scores follow from it and the stored inputs', () => {
  const { inputs, probabilities, codes } = triage;
  assert.equal(triage.probabilitySource, 'model output');
  assert.ok(probabilities);
  const classes = probabilities.length / inputs.index.length;
  assert.equal(classes, 3);
  inputs.index.forEach((_, i) => {
    const row = probabilities.subarray(i * classes, (i + 1) * classes);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    // The stored prediction is the vector's argmax, and its probability the vector's.
    assert.ok(Math.abs(row[inputs.prediction[i]!]! - inputs.probability[i]!) < 1e-6);
    const given = codes.given[i]!;
    if (given >= 0 && given < classes) assert.ok(Math.abs(triage.selfConfidence[i]! - row[given]!) < 1e-7);
    else assert.ok(Number.isNaN(triage.selfConfidence[i]!));
  });
});

test('per layer: kNN votes of the stored neighbours, and the combined rank recomputed from its parts', () => {
  const { codes } = triage;
  for (const layer of triage.layers) {
    assert.equal(layer.neighbours.k, 5);
    const again = neighbourVotes(layer.neighbours, codes.given, codes.predicted, codes.names.length);
    assert.deepEqual(Array.from(again.majority), Array.from(layer.votes.majority));
    assert.ok(layer.probe.accuracy >= 0 && layer.probe.accuracy <= 1);
    assert.ok(layer.glosh && layer.pattern, 'each layer is clustered');
  }
  const chosen = triage.layers.filter((l) => l.combined);
  assert.ok(chosen.length > 0);
  const best = Math.max(...triage.layers.map((l) => l.probe.accuracy));
  for (const layer of chosen) assert.ok(layer.probe.accuracy >= best - 0.02);
  // The early layer: the analyzed layer closest to the input, when the layer rule did not choose it.
  const first = triage.layers.reduce((a, l) => (l.order < a.order ? l : a));
  assert.equal(triage.settings.earlyLayer, first.combined ? null : first.layer);
  const early = triage.layers.find((l) => l.layer === triage.settings.earlyLayer) ?? null;
  assert.equal(triage.settings.earlyLayerWeight, early ? EARLY_LAYER_WEIGHT : 0);
  const expected = combinedScore(
    {
      given: codes.given,
      labelCount: codes.names.length,
      selfConfidence: triage.selfConfidence,
      probe: triage.probe!.given,
      layers: chosen.map((l) => ({ givenShare: l.votes.givenShare, voters: l.votes.voters })),
      earlyLayer: early && { givenShare: early.votes.givenShare, voters: early.votes.voters },
    },
    { model: MODEL_WEIGHT, probe: PROBE_WEIGHT, earlyLayer: EARLY_LAYER_WEIGHT, smoothing: 2 },
  );
  assert.equal(triage.settings.modelWeight, 4);
  assert.equal(triage.settings.probeWeight, PROBE_WEIGHT);
  // The probe reads the last hidden layer (the deepest whose width is not the class count).
  assert.notEqual(triage.probe!.layer, TINY.logits);
  triage.probe!.given.forEach((p, i) => {
    if (codes.given[i]! >= 0) assert.ok(p >= 0 && p <= 1, `probe p(given) of row ${i} is ${p}`);
  });
  assert.deepEqual(Array.from(triage.combined), Array.from(expected));
  for (let r = 1; r < triage.order.length; r++) {
    const [a, b] = [triage.combined[triage.order[r - 1]!]!, triage.combined[triage.order[r]!]!];
    if (!Number.isNaN(b)) assert.ok(a >= b, 'the combined score never rises down the list');
  }
});

test('label leads: one row per labelled input, best first, with a reason; limit and min-score narrow it', () => {
  const leads = labelLeads(triage);
  assert.equal(leads.rows.length, triage.inputs.label.filter((l) => l !== null).length);
  const score = leads.columns.indexOf('score');
  const reason = leads.columns.indexOf('reason');
  for (const column of ['self_confidence', 'margin', `knn:${TINY.logits}`, `pattern:${TINY.pool}`, 'suggested'])
    assert.ok(leads.columns.includes(column), column);
  assert.match(String(leads.rows[0]![reason]), /of \d+ neighbours in /);
  // The linear probe's column is its out-of-fold p(given) of the probe layer, row by row in rank order.
  const probe = leads.columns.indexOf(`probe:${triage.probe!.layer}`);
  assert.ok(probe > 0, 'a probe column');
  const input = leads.columns.indexOf('input');
  for (const row of leads.rows) {
    const at = triage.inputs.index.indexOf(row[input] as number);
    assert.ok(Math.abs((row[probe] as number) - triage.probe!.given[at]!) <= 5e-5, `probe of input ${row[input]}`);
  }
  const threshold = leads.rows[10]![score] as number;
  const narrowed = labelLeads(triage, { minScore: threshold, limit: 5 });
  assert.equal(narrowed.rows.length, 5);
  assert.ok(narrowed.rows.every((row) => (row[score] as number) >= threshold));
  assert.equal(triageTable(triage, 'outliers').rows.length, triage.inputs.index.length);
});

test('the early layer joins beside the chosen layers; named layers, weight 0 or exclusion leave it out', async () => {
  // With conv_out analyzed too, relu_out is the best layer (chosen) and conv_out, closest to the input, is not.
  const file = path.join(dir, 'early.duckdb');
  const layers = [TINY.conv, TINY.relu, TINY.pool, TINY.logits];
  const early = await analyze({
    model: path.join(dir, 'tiny.onnx'),
    data: 'mnist',
    out: file,
    limit: 240,
    layers,
    projection: 'none',
  });
  const score = (options: Parameters<typeof scoreRun>[2]) =>
    withStoreAt(file, (store) => scoreRun(store, early.runId, { k: 5, threads: 1, ...options }));
  const withEarly = await score({});
  assert.ok(!withEarly.layers.find((l) => l.layer === TINY.conv)!.combined);
  assert.equal(withEarly.settings.earlyLayer, TINY.conv);
  assert.equal(withEarly.settings.earlyLayerWeight, EARLY_LAYER_WEIGHT);
  const conv = withEarly.layers.find((l) => l.layer === TINY.conv)!;
  const expected = combinedScore(
    {
      given: withEarly.codes.given,
      labelCount: withEarly.codes.names.length,
      selfConfidence: withEarly.selfConfidence,
      probe: withEarly.probe!.given,
      layers: withEarly.layers
        .filter((l) => l.combined)
        .map((l) => ({ givenShare: l.votes.givenShare, voters: l.votes.voters })),
      earlyLayer: { givenShare: conv.votes.givenShare, voters: conv.votes.voters },
    },
    { model: MODEL_WEIGHT, probe: PROBE_WEIGHT, earlyLayer: EARLY_LAYER_WEIGHT, smoothing: 2 },
  );
  assert.deepEqual(Array.from(withEarly.combined), Array.from(expected));
  const headless = await score({ probabilities: { kind: 'none' } });
  assert.equal(headless.settings.earlyLayer, TINY.conv);
  assert.equal(headless.settings.earlyLayerWeight, HEADLESS_EARLY_LAYER_WEIGHT);
  for (const options of [{ layers: [TINY.relu] }, { earlyLayerWeight: 0 }, { excludeLayers: [TINY.conv] }]) {
    const without = await score(options);
    assert.equal(without.settings.earlyLayer, null, JSON.stringify(options));
    assert.equal(without.settings.earlyLayerWeight, 0);
  }
  // Where no early layer joins, the combined score is the pool of the chosen layers alone.
  const unweighted = await score({ earlyLayerWeight: 0 });
  assert.notDeepEqual(Array.from(unweighted.combined), Array.from(withEarly.combined));
});

test('without a probe layer, no probe column is listed and the saved probe scores are NaN', async () => {
  const unprobed = await withStore((store) => scoreRun(store, runId, { k: 5, threads: 1, probeLayer: 'none' }));
  assert.equal(unprobed.probe, null);
  assert.equal(unprobed.settings.probeLayer, null);
  assert.ok(!labelLeads(unprobed).columns.some((column) => column.startsWith('probe:')));
  assert.ok(Array.from(triageToSave(unprobed).inputs.probe).every(Number.isNaN));
  assert.equal(triage.settings.probeLayer, triage.probe!.layer);
});

test('softmax of the logits layer gives the model output probabilities; kNN only without a classifier', async () => {
  const fromLayer = await withStore((store) =>
    scoreRun(store, runId, { k: 5, threads: 1, probabilities: { kind: 'layer', layer: TINY.logits } }),
  );
  assert.equal(fromLayer.probabilitySource, `softmax of layer ${TINY.logits}`);
  fromLayer.probabilities!.forEach((p, i) => assert.ok(Math.abs(p - triage.probabilities![i]!) < 1e-4));
  const headless = await withStore((store) =>
    scoreRun(store, runId, { k: 5, threads: 1, probabilities: { kind: 'none' }, excludeLayers: [TINY.logits] }),
  );
  assert.equal(headless.probabilities, null);
  assert.ok(!headless.layers.find((l) => l.layer === TINY.logits)!.combined);
  assert.ok(headless.layers.some((l) => l.combined));
  assert.equal(headless.settings.probeWeight, HEADLESS_PROBE_WEIGHT);
  assert.ok(headless.probe, 'the linear probe needs no classifier');
  // In-sample probabilities weigh a quarter of what out-of-sample ones do.
  const inSample = await withStore((store) => scoreRun(store, runId, { k: 5, threads: 1, inSample: true }));
  assert.equal(inSample.settings.modelWeight, IN_SAMPLE_MODEL_WEIGHT);
  assert.ok(IN_SAMPLE_MODEL_WEIGHT < MODEL_WEIGHT, 'in-sample, the neighbourhoods lead');
});

test('bad triage options are refused with what to do', async () => {
  await withStore(async (store) => {
    await assert.rejects(scoreRun(store, runId, { k: 0 }), InputError);
    await assert.rejects(scoreRun(store, runId, { layers: ['nope'] }), NotFoundError);
    await assert.rejects(scoreRun(store, runId, { probabilities: { kind: 'layer', layer: 'nope' } }), NotFoundError);
  });
});

test('nap triage writes CSV, JSON and Parquet, and refuses Parquet without --out', async () => {
  const csvFile = path.join(dir, 'leads.csv');
  assert.equal(await runTriageCommand([storePath, '--k', '5', '--limit', '7', '--out', csvFile, '--quiet']), 0);
  const lines = (await readFile(csvFile, 'utf8')).trimEnd().split('\n');
  assert.equal(lines.length, 8);
  assert.ok(lines[0]!.startsWith('rank,input,file,label,suggested,prediction,score,'));
  const jsonFile = path.join(dir, 'outliers.json');
  assert.equal(
    await runTriageCommand([storePath, '--k', '5', '--list', 'outliers', '--format', 'json', '--out', jsonFile]),
    0,
  );
  const json = JSON.parse(await readFile(jsonFile, 'utf8')) as { runId: number; count: number; layers: unknown[] };
  assert.equal(json.runId, runId);
  assert.equal(json.count, 240);
  assert.equal(json.layers.length, 3);
  const parquetFile = path.join(dir, 'leads.parquet');
  assert.equal(await runTriageCommand([storePath, '--k', '5', '--format', 'parquet', '--out', parquetFile]), 0);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(`SELECT count(*), min(rank) FROM '${parquetFile}'`);
  assert.deepEqual(reader.getRows()[0]!.map(Number), [triage.inputs.label.filter((l) => l !== null).length, 1]);
  // The probe's column, as in every format: its p(given) of the first lead.
  const first = await connection.runAndReadAll(
    `SELECT input, "probe:${triage.probe!.layer}" FROM '${parquetFile}' WHERE rank = 1`,
  );
  const [input, probe] = first.getRows()[0]!.map(Number);
  assert.ok(Math.abs(probe! - triage.probe!.given[triage.inputs.index.indexOf(input!)]!) <= 5e-5);
  connection.closeSync();
  instance.closeSync();
  await assert.rejects(runTriageCommand([storePath, '--format', 'parquet']), /needs --out/);
  await assert.rejects(runTriageCommand([storePath, '--probabilities', 'logits']), /layer:NAME/);
});

test('nap triage --save stores per-input scores, per-layer probe accuracy and agreement shares, as computed', async () => {
  const quiet = ['--k', '5', '--limit', '1', '--quiet', '--out', path.join(dir, 'saved.csv')];
  assert.equal(await runTriageCommand([storePath, '--save', ...quiet]), 0);
  // A second save replaces the first rather than adding rows.
  assert.equal(await runTriageCommand([storePath, '--save', ...quiet]), 0);
  const saved = await withStore((store) => store.readTriage(runId));
  assert.ok(saved);
  const { inputs, layers, agreement } = saved;
  const count = triage.inputs.index.length;
  assert.equal(inputs.inputIndex.length, count);
  assert.deepEqual(layers.layer, [TINY.relu, TINY.pool, TINY.logits]);
  assert.deepEqual(
    Array.from(layers.probeAccuracy),
    triage.layers.map((l) => l.probe.accuracy),
  );
  assert.equal(agreement.layer.length, count * 3);
  // Every input, labelled or not, in the outlier ranking (its order: test/results/saved-triage.test.ts).
  assert.deepEqual(
    Array.from(saved.outliers!.rank).sort((a, b) => a - b),
    Array.from({ length: count }, (_, r) => r),
  );
  // Inputs come by rank: the first is the triage's best lead, and ranks count up from 0.
  const ranked = triage.order.filter((row) => !Number.isNaN(triage.combined[row]!));
  assert.equal(inputs.inputIndex[0], triage.inputs.index[ranked[0]!]);
  ranked.forEach((row, r) => {
    assert.equal(inputs.rank[r], r);
    assert.equal(inputs.inputIndex[r], triage.inputs.index[row]);
    assert.ok(Math.abs(inputs.score[r]! - triage.combined[row]!) < 1e-12);
    assert.ok(Math.abs(inputs.probe[r]! - triage.probe!.given[row]!) < 1e-12);
    const strongest = triage.strongestLayer[row]!;
    assert.equal(inputs.strongestLayer[r], strongest >= 0 ? triage.layers[strongest]!.layer : null);
    const suggested = triage.suggested[row]!;
    assert.equal(inputs.suggestedLabel[r], suggested >= 0 ? triage.codes.names[suggested] : null);
  });
  // Agreement: layer by layer in model order, inputs ascending, the votes' shares.
  triage.layers.forEach((l, j) => {
    for (let i = 0; i < count; i++) {
      assert.equal(agreement.layer[j * count + i], l.layer);
      assert.equal(agreement.inputIndex[j * count + i], triage.inputs.index[i]);
      assert.ok(
        Object.is(agreement.givenShare[j * count + i], l.votes.givenShare[i]) ||
          Math.abs(agreement.givenShare[j * count + i]! - l.votes.givenShare[i]!) < 1e-12,
      );
    }
  });
  assert.deepEqual(
    saved.settings,
    JSON.parse(
      JSON.stringify({ ...triage.settings, probabilities: triage.probabilitySource, inSample: triage.inSample }),
    ),
  );
});

test('a triage saved before schema 11 keeps its rows when migrated, and reads NaN as its probe score', async () => {
  const older = path.join(dir, 'older.duckdb');
  await copyFile(storePath, older);
  const quiet = ['--k', '5', '--limit', '1', '--quiet', '--out', path.join(dir, 'older.csv')];
  assert.equal(await runTriageCommand([older, '--save', ...quiet]), 0);
  const saved = await withStoreAt(older, (store) => store.readTriage(runId));
  // Back to version 10's shape: no probe column, no shifted probabilities (version 12).
  const instance = await DuckDBInstance.create(older);
  const connection = await instance.connect();
  await connection.run('ALTER TABLE triage_inputs DROP COLUMN probe');
  await connection.run('DROP TABLE shifted_probabilities');
  await connection.run('UPDATE schema_version SET version = 10');
  connection.closeSync();
  instance.closeSync();
  const migrated = await withStoreAt(older, (store) => store.readTriage(runId));
  assert.ok(saved && migrated);
  assert.ok(
    Array.from(saved.inputs.probe).some((p) => !Number.isNaN(p)),
    'saved with probe scores',
  );
  assert.ok(Array.from(migrated.inputs.probe).every(Number.isNaN));
  assert.deepEqual(Array.from(migrated.inputs.score), Array.from(saved.inputs.score));
  assert.deepEqual(migrated.inputs.reason, saved.inputs.reason);
});
