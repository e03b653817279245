/** The projection route over a real store: every layer projected by analyze, except logits, whose map is removed. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { NapStore, type StoredProjection } from '../../src/io/store/index.js';
import { type ApiError, type ProjectionResponse, type RunsResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { float32Text } from '../../src/results/codec/json.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { TINY } from '../helpers/tiny-models.js';
import { random } from '../io/store/helpers.js';
import { buildFixture, getJson, INPUT_COUNT, type Fixture } from './fixture.js';

let fixture: Fixture;
let server: RunningServer;
let url: string;
const stored = new Map<string, StoredProjection>();

before(async () => {
  fixture = await buildFixture('nap-server-projection-');
  const store = await NapStore.open(fixture.storePath, { readOnly: true });
  try {
    for (const layer of [TINY.relu, TINY.pool]) stored.set(layer, (await store.readProjection(fixture.runId, layer))!);
  } finally {
    await store.close();
  }
  const instance = await DuckDBInstance.create(fixture.storePath);
  const connection = await instance.connect();
  await connection.run('DELETE FROM projections WHERE layer = $1', [TINY.logits]);
  connection.closeSync();
  instance.closeSync();
  server = await startServer({ store: fixture.storePath, port: 0, appDir: fixture.appDir, thumbnailCacheDir: false });
  url = server.url;
});

after(async () => {
  await server?.close();
  await fixture?.cleanup();
});

async function problem(path: string, status: number): Promise<ApiError> {
  const response = await fetch(url + path);
  assert.equal(response.status, status, `GET ${path}`);
  return (await response.json()) as ApiError;
}

test('a layer projection is the stored one: every input by index, coordinates reading back as the stored float32', async () => {
  for (const [layer, projection] of stored) {
    const body = await getJson<ProjectionResponse>(url, apiPaths.projection(fixture.runId, layer));
    assert.equal(body.runId, fixture.runId);
    assert.equal(body.layer, layer);
    assert.equal(body.method, 'umap');
    assert.deepEqual(body.params, projection.params);
    assert.equal(body.inputIndex.length, INPUT_COUNT);
    assert.deepEqual(body.inputIndex, Array.from(projection.inputIndex));
    assert.deepEqual(Float32Array.from(body.x), projection.x);
    assert.deepEqual(Float32Array.from(body.y), projection.y);
  }
});

test('the run summary says which layers have a projection', async () => {
  const { runs } = await getJson<RunsResponse>(url, apiPaths.runs());
  const layers = runs.find((run) => run.runId === fixture.runId)!.layers;
  assert.deepEqual(
    layers.map((layer) => [layer.layer, layer.projection]),
    [
      [TINY.relu, 'umap'],
      [TINY.pool, 'umap'],
      [TINY.logits, null],
    ],
  );
});

test('404 with a hint for a layer without a projection and for an unknown layer or run; 400 for malformed requests', async () => {
  const none = await problem(apiPaths.projection(fixture.runId, TINY.logits), 404);
  assert.match(none.error, new RegExp(`layer "${TINY.logits}" of run ${fixture.runId} has no stored projection`));
  assert.match(none.hint ?? '', new RegExp(`nap project <store> --run ${fixture.runId} --layer "${TINY.logits}"`));
  const unknown = await problem(apiPaths.projection(fixture.runId, 'nope'), 404);
  assert.match(unknown.error, /"nope"/);
  assert.match(unknown.hint ?? '', new RegExp(TINY.relu));
  await problem(apiPaths.projection(999, TINY.relu), 404);
  await problem(`/api/runs/x/layers/${TINY.relu}/projection`, 400);
  const extra = await problem(`${apiPaths.projection(fixture.runId, TINY.relu)}?limit=5`, 400);
  assert.match(extra.error, /limit/);
});

test('float32Text: 9 significant digits read back as the same float32, in fewer characters', () => {
  const next = random(11);
  const values = Float32Array.from({ length: 2000 }, (_, i) => (next() - 0.5) * 10 ** ((i % 13) - 6));
  for (const value of values) assert.equal(Math.fround(float32Text(value)), value);
  const text = (array: ArrayLike<number>) => JSON.stringify(Array.from(array)).length;
  assert.ok(text(Array.from(values, float32Text)) < 0.75 * text(values));
  assert.equal(float32Text(0), 0);
});
