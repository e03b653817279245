/**
 * The saved triage read back through the results API (src/results/saved-triage.ts) from all three readers:
 * the DuckDB store, the HTTP server and a static export; each answer compared with the engine's triage.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runTriageCommand } from '../../src/cli/commands/triage.js';
import { analyze } from '../../src/engine/analyze.js';
import { exportStaticSite } from '../../src/engine/export-static.js';
import { scoreRun, type RunTriage } from '../../src/engine/triage-scores.js';
import { NotFoundError } from '../../src/errors.js';
import { NapStore } from '../../src/io/store/index.js';
import { createResultsApi, type ResultsApi } from '../../src/results/api.js';
import { outlierRows } from '../../src/engine/triage-listing.js';
import type {
  AgreementResponse,
  DuplicatesResponse,
  LabelErrorsResponse,
  ModelErrorsResponse,
  OutliersResponse,
} from '../../src/results/api-types.js';
import { ARROW_MIME } from '../../src/results/codec/arrow.js';
import { createHttpApi } from '../../src/results/http/client.js';
import { storeReader } from '../../src/results/node/duckdb-reader.js';
import { apiPaths } from '../../src/results/routes.js';
import { staticPaths } from '../../src/results/static/layout.js';
import { openStaticSite } from '../../src/results/static/reader.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

let dir: string;
let storePath: string;
let runId: number;
let triage: RunTriage;
let server: RunningServer;
let staticApi: ResultsApi;
let site: string;
let readLocal: (url: string) => Promise<Response>;
let agreementIndex: number[];
/** The store reader's answers (the store is closed before the server opens it). */
let fromStore: {
  labelErrors: LabelErrorsResponse;
  top: LabelErrorsResponse;
  agreement: AgreementResponse;
  modelErrors: ModelErrorsResponse;
  outliers: OutliersResponse;
  duplicates: DuplicatesResponse;
};

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-saved-triage-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'nap.duckdb');
  const layers = [TINY.relu, TINY.pool, TINY.logits];
  runId = (await analyze({ model, data: 'mnist', out: storePath, limit: 160, layers, projection: 'none' })).runId;
  // No saved triage yet: the queries say which command saves one.
  const before = await NapStore.open(storePath, { readOnly: true });
  try {
    const api = createResultsApi(storeReader(before));
    await assert.rejects(api.labelErrors({ runId }), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match(e.message, /no saved triage/);
      assert.match(e.hint ?? '', /nap triage .* --save/);
      return true;
    });
  } finally {
    await before.close();
  }
  assert.equal(
    await runTriageCommand([storePath, '--k', '5', '--save', '--quiet', '--out', path.join(dir, 'x.csv')]),
    0,
  );
  // A static export needs a built app; an index.html and an assets folder stand in for it.
  const appDir = path.join(dir, 'app');
  await mkdir(path.join(appDir, 'assets'), { recursive: true });
  await writeFile(path.join(appDir, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  await writeFile(path.join(appDir, 'assets', 'app.js'), '');
  site = path.join(dir, 'site');
  await exportStaticSite({ store: storePath, out: site, appDir, thumbnails: false });
  readLocal = async (url: string) => {
    try {
      return new Response(await readFile(fileURLToPath(url)));
    } catch {
      return new Response(null, { status: 404 });
    }
  };
  const opened = await openStaticSite(new URL('data/', pathToFileURL(site + path.sep)), readLocal);
  staticApi = createResultsApi(opened.reader);
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    triage = await scoreRun(store, runId, { k: 5 });
    const api = createResultsApi(storeReader(store));
    agreementIndex = [0, 5, triage.inputs.index.length - 1].map((row) => triage.inputs.index[row]!);
    fromStore = {
      labelErrors: await api.labelErrors({ runId }),
      top: await api.labelErrors({ runId, limit: 3 }),
      agreement: await api.agreement({ runId, index: agreementIndex }),
      modelErrors: await api.modelErrors({ runId }),
      outliers: await api.outliers({ runId }),
      duplicates: await api.duplicates({ runId }),
    };
    await assert.rejects(api.agreement({ runId, index: [999_999] }), /input 999999 is not an input/);
  } finally {
    await store.close();
  }
  server = await startServer({ store: storePath, port: 0, appDir, thumbnailCacheDir: false });
});

after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function served<T>(route: string): Promise<T> {
  const response = await fetch(server.url + route);
  assert.equal(response.status, 200, route);
  return (await response.json()) as T;
}

const nullIfNaN = (value: number) => (Number.isNaN(value) ? null : value);

test('label errors: the saved ranking, labelled inputs best first, alike from store, server and static export', async () => {
  const body = fromStore.labelErrors;
  const ranked = Array.from(triage.order).filter((row) => !Number.isNaN(triage.combined[row]!));
  assert.equal(body.total, ranked.length);
  assert.deepEqual(
    body.inputIndex,
    ranked.map((row) => triage.inputs.index[row]),
  );
  assert.deepEqual(
    body.label,
    ranked.map((row) => triage.inputs.label[row]),
  );
  assert.deepEqual(
    body.suggestedLabel,
    ranked.map((row) => (triage.suggested[row]! >= 0 ? triage.codes.names[triage.suggested[row]!] : null)),
  );
  assert.deepEqual(
    body.selfConfidence,
    ranked.map((row) => nullIfNaN(triage.selfConfidence[row]!)),
  );
  // The linear probe's out-of-fold p(given), and the layer it read in the settings.
  assert.ok(triage.probe, 'the run has a probe layer');
  assert.deepEqual(
    body.probe,
    ranked.map((row) => nullIfNaN(triage.probe!.given[row]!)),
  );
  assert.equal((body.settings as { probeLayer: unknown }).probeLayer, triage.probe.layer);
  body.score.forEach((score, r) => assert.ok(Math.abs(score - triage.combined[ranked[r]!]!) < 1e-12));
  assert.ok(body.reason.every((reason) => reason.length > 0));
  const top = fromStore.top;
  assert.deepEqual(top.inputIndex, body.inputIndex.slice(0, 3));
  assert.equal(top.total, body.total);
  assert.deepEqual(await served<LabelErrorsResponse>(apiPaths.labelErrors(runId)), JSON.parse(JSON.stringify(body)));
  assert.deepEqual(await staticApi.labelErrors({ runId }), body);
});

test('agreement: per layer, the given- and predicted-label shares of the neighbours, and probe accuracy', async () => {
  const rows = [0, 5, triage.inputs.index.length - 1];
  const index = agreementIndex;
  const body = fromStore.agreement;
  assert.deepEqual(
    body.layers.map((l) => [l.layer, l.probeAccuracy, l.combined]),
    triage.layers.map((l) => [l.layer, nullIfNaN(l.probe.accuracy), l.combined]),
  );
  rows.forEach((row, slot) => {
    const input = body.inputs[slot]!;
    assert.equal(input.inputIndex, triage.inputs.index[row]);
    assert.deepEqual(
      input.given,
      triage.layers.map((l) => nullIfNaN(l.votes.givenShare[row]!)),
    );
    assert.deepEqual(
      input.predicted,
      triage.layers.map((l) => nullIfNaN(l.votes.predictedShare[row]!)),
    );
  });
  assert.deepEqual(await served<AgreementResponse>(apiPaths.agreement(runId, index)), body);
  assert.deepEqual(await staticApi.agreement({ runId, index }), body);
});

test('model errors: the confusion matrix of given by predicted labels, each cell with its inputs', async () => {
  const body = fromStore.modelErrors;
  const { inputs } = triage;
  let misclassified = 0;
  let total = 0;
  // Hand count, cell by cell, from the stored inputs.
  inputs.index.forEach((inputIndex, row) => {
    const label = inputs.label[row];
    if (label === null || label === undefined || inputs.prediction[row]! < 0) return;
    const prediction = inputs.predictionLabel[row]!;
    total++;
    if (label !== prediction) misclassified++;
    const cell = body.inputs[body.labels.indexOf(label)]![body.predictions.indexOf(prediction)]!;
    assert.ok(cell.includes(inputIndex));
  });
  assert.equal(body.total, total);
  assert.equal(body.misclassified, misclassified);
  assert.equal(
    body.counts.flat().reduce((a, b) => a + b, 0),
    total,
  );
  body.inputs.forEach((cells, r) => cells.forEach((cell, c) => assert.equal(cell.length, body.counts[r]![c])));
  assert.deepEqual(await served<ModelErrorsResponse>(apiPaths.modelErrors(runId)), body);
  assert.deepEqual(await staticApi.modelErrors({ runId }), body);
  // The app's client asks for the Arrow form, and reads back the same matrix.
  const arrow = await fetch(server.url + apiPaths.modelErrors(runId), { headers: { Accept: ARROW_MIME } });
  assert.equal(arrow.headers.get('content-type'), ARROW_MIME);
  assert.deepEqual(await createHttpApi({ baseUrl: server.url }).modelErrors({ runId }), body);
});

test('outliers: every input, labelled or not, in the order and with the scores of nap triage --list outliers', async () => {
  const body = fromStore.outliers;
  const listed = outlierRows(triage);
  const column = (name: string) => listed.columns.indexOf(name);
  assert.equal(body.total, triage.inputs.index.length);
  assert.deepEqual(
    body.inputIndex,
    listed.rows.map((row) => row[column('input')]),
  );
  body.score.forEach((score, r) => {
    const expected = listed.rows[r]![column('score')] as number;
    assert.ok(Math.abs(score! - expected) < 1e-4, `row ${r}: ${score} against ${expected}`);
  });
  // The highest GLOSH score over the layers and the layer where the distance percentile is highest.
  const row = triage.inputs.index.indexOf(body.inputIndex[0]!);
  const glosh = Math.max(...triage.layers.map((l) => l.glosh![row]!));
  assert.ok(Math.abs(body.glosh[0]! - glosh) < 1e-12);
  assert.ok(triage.layers.some((l) => l.layer === body.farthestLayer[0]));
  assert.deepEqual((await staticApi.outliers({ runId, limit: 4 })).inputIndex, body.inputIndex.slice(0, 4));
  assert.deepEqual(await served<OutliersResponse>(apiPaths.outliers(runId)), JSON.parse(JSON.stringify(body)));
  assert.deepEqual(await staticApi.outliers({ runId }), body);
});

test('duplicates: the groups and near pairs of the triage, alike from store, server and static export', async () => {
  const body = fromStore.duplicates;
  const expectedGroups = (kind: string, grouping: { group: Int32Array; groupCount: number } | null) =>
    Array.from({ length: grouping?.groupCount ?? 0 }, (_, g) => ({
      kind,
      group: g,
      inputs: Array.from(triage.inputs.index).filter((_, row) => grouping!.group[row] === g),
    }));
  assert.deepEqual(
    body.groups.map((g) => ({ kind: g.kind, group: g.group, inputs: g.inputs.map((i) => i.inputIndex) })),
    [...expectedGroups('same input', triage.sameInput), ...expectedGroups('same activations', triage.sameActivations)],
  );
  const near = triage.nearDuplicates;
  assert.deepEqual(
    body.near.map((p) => [p.a.inputIndex, p.b.inputIndex, p.layer]),
    Array.from(near.a, (a, p) => [triage.inputs.index[a], triage.inputs.index[near.b[p]!], near.layer]),
  );
  assert.deepEqual(await served<DuplicatesResponse>(apiPaths.duplicates(runId)), JSON.parse(JSON.stringify(body)));
  assert.deepEqual(await staticApi.duplicates({ runId }), body);
});

test('a triage saved before outliers were kept: the lists name the command that saves them again', async () => {
  // A site exported before outliers were kept lists no outlier or near-duplicate tables.
  const resultsFile = path.join(site, 'data', 'results.json');
  const results = JSON.parse(await readFile(resultsFile, 'utf8')) as { tables: Record<string, unknown> };
  for (const table of ['outliers', 'near-duplicates'] as const) {
    assert.ok(results.tables[staticPaths.triage(table)], `the export lists the ${table} table`);
    delete results.tables[staticPaths.triage(table)];
  }
  await writeFile(resultsFile, JSON.stringify(results));
  const opened = await openStaticSite(new URL('data/', pathToFileURL(site + path.sep)), readLocal);
  const older = createResultsApi(opened.reader);
  assert.equal((await older.labelErrors({ runId })).total, fromStore.labelErrors.total);
  for (const query of [() => older.outliers({ runId }), () => older.duplicates({ runId })]) {
    await assert.rejects(query(), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match(e.hint ?? '', /nap triage .* --save` again/);
      return true;
    });
  }
});
