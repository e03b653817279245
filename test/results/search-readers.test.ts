/**
 * The search query on a real run (the tiny conv net over 120 MNIST digits) from all three readers: the
 * DuckDB store, the HTTP server and a static export answer alike, and the answer is the patterns, inputs
 * and units of the run's tables that meet the query, counted here from those tables directly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze } from '../../src/engine/analyze.js';
import { exportStaticSite } from '../../src/engine/export-static.js';
import { NapStore } from '../../src/io/store/index.js';
import { createResultsApi, type ResultsApi } from '../../src/results/api.js';
import type { PatternsResponse, RunDetail, SearchResponse } from '../../src/results/api-types.js';
import { storeReader } from '../../src/results/node/duckdb-reader.js';
import { apiPaths } from '../../src/results/routes.js';
import { openStaticSite } from '../../src/results/static/reader.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

let dir: string;
let runId: number;
let server: RunningServer;
let staticApi: ResultsApi;
let run: RunDetail;
/** Each layer's patterns as the store's API answers them. */
let patterns: Map<string, PatternsResponse>;
/** The store's answers to the queries below. */
const fromStore = new Map<string, SearchResponse>();
let label: string;

const queries = () => [`label:${label}`, `label:${label} size>=3 purity>0.5`, '1', 'kind:unit', 'file:mnist#1'];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-search-readers-'));
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const storePath = path.join(dir, 'nap.duckdb');
  const layers = [TINY.relu, TINY.pool, TINY.logits];
  runId = (await analyze({ model, data: 'mnist', out: storePath, limit: 120, layers, projection: 'none' })).runId;
  // A static export needs a built app; an index.html and an assets folder stand in for it.
  const appDir = path.join(dir, 'app');
  await mkdir(path.join(appDir, 'assets'), { recursive: true });
  await writeFile(path.join(appDir, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  await writeFile(path.join(appDir, 'assets', 'app.js'), '');
  const site = path.join(dir, 'site');
  await exportStaticSite({ store: storePath, out: site, appDir, thumbnails: false });
  const readLocal = async (url: string) => {
    try {
      return new Response(await readFile(fileURLToPath(url)));
    } catch {
      return new Response(null, { status: 404 });
    }
  };
  staticApi = createResultsApi(
    (await openStaticSite(new URL('data/', pathToFileURL(site + path.sep)), readLocal)).reader,
  );
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const api = createResultsApi(storeReader(store));
    run = await api.run({ runId });
    patterns = new Map();
    for (const layer of run.layers)
      patterns.set(layer.layer, await api.patterns({ clusteringId: layer.clusterings.at(-1)!.clusteringId }));
    label = patterns.get(TINY.pool)!.patterns.find((p) => p.dominantLabel !== null)!.dominantLabel!;
    for (const q of queries()) fromStore.set(q, await api.search({ runId, q, limit: 1000 }));
  } finally {
    await store.close();
  }
  server = await startServer({ store: storePath, port: 0, appDir, thumbnailCacheDir: false });
});

after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the store, the server and the static export answer every query alike', async () => {
  for (const q of queries()) {
    const body = fromStore.get(q)!;
    const response = await fetch(server.url + apiPaths.search(runId, q, 1000));
    assert.equal(response.status, 200, q);
    assert.deepEqual(await response.json(), JSON.parse(JSON.stringify(body)), q);
    assert.deepEqual(await staticApi.search({ runId, q, limit: 1000 }), body, q);
  }
});

test("the hits are the run's patterns, inputs and units that meet the query", async () => {
  const byLabel = fromStore.get(`label:${label}`)!;
  const expectedPatterns = run.layers.flatMap((layer) =>
    patterns
      .get(layer.layer)!
      .patterns.filter((p) => p.dominantLabel === label)
      .map((p) => `${layer.layer}/${p.patternId}`),
  );
  assert.ok(expectedPatterns.length > 0);
  assert.deepEqual(
    byLabel.patterns.hits.map((h) => `${h.layer}/${h.patternId}`),
    expectedPatterns,
  );
  const inputs = await staticApi.inputs({ runId, limit: 1000 });
  const labelled = Array.from(inputs.inputIndex).filter((_, row) => inputs.label[row] === label);
  assert.deepEqual(
    byLabel.inputs.hits.map((h) => h.inputIndex),
    labelled,
  );
  assert.equal(byLabel.units.total, 0);

  const narrowed = fromStore.get(`label:${label} size>=3 purity>0.5`)!;
  const narrowedExpected = run.layers.flatMap((layer) =>
    patterns
      .get(layer.layer)!
      .patterns.filter((p) => p.dominantLabel === label && p.size >= 3 && p.labelPurity! > 0.5)
      .map((p) => `${layer.layer}/${p.patternId}`),
  );
  assert.deepEqual(
    narrowed.patterns.hits.map((h) => `${h.layer}/${h.patternId}`),
    narrowedExpected,
  );
  assert.equal(narrowed.inputs.total, 0, 'size and purity are about patterns only');

  const units = fromStore.get('kind:unit')!;
  assert.equal(
    units.units.total,
    run.layers.reduce((sum, layer) => sum + layer.dim, 0),
  );
  const one = fromStore.get('1')!;
  assert.deepEqual(
    one.inputs.hits.map((h) => h.inputIndex),
    [1],
  );
  assert.deepEqual(
    one.units.hits.map((h) => h.layer),
    run.layers.filter((layer) => layer.dim > 1).map((layer) => layer.layer),
  );
  const files = fromStore.get('file:mnist#1')!;
  const paths = Array.from(inputs.path).filter((p): p is string => p !== null && p.includes('mnist#1'));
  assert.ok(paths.length > 1);
  assert.deepEqual(
    files.inputs.hits.map((h) => h.path),
    paths,
  );
});

test('a bad limit is an HTTP 400 that names it; an unknown run a 404', async () => {
  const bad = await fetch(`${server.url}/api/runs/${runId}/search?q=1&limit=0`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /limit 0 is outside 1\.\.1000/);
  const missing = await fetch(server.url + apiPaths.search(99, '1'));
  assert.equal(missing.status, 404);
});
