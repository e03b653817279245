/** The heatmap routes over a real store in which `computePatternHeatmaps` stored pattern 0 of the relu layer. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { renderHeatmap } from '../../src/compute/heatmap-image.js';
import { computePatternHeatmaps } from '../../src/engine/heatmaps.js';
import { MEAN_HEATMAP, NapStore, type PatternHeatmaps } from '../../src/io/store/index.js';
import { type ApiError, type HeatmapsResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { TINY } from '../helpers/tiny-models.js';
import { buildFixture, getJson, LAYERS, type Fixture } from './fixture.js';

let fixture: Fixture;
let server: RunningServer;
let url: string;
let relu: number;
let logits: number;
let stored: PatternHeatmaps;
let nonMember: number;

before(async () => {
  fixture = await buildFixture('nap-server-heatmaps-');
  relu = fixture.clusteringIds[LAYERS.indexOf(TINY.relu)]!;
  logits = fixture.clusteringIds[LAYERS.indexOf(TINY.logits)]!;
  const store = await NapStore.open(fixture.storePath);
  try {
    await computePatternHeatmaps(store, { layer: TINY.relu, patterns: [0], threads: 1 });
    stored = await store.readPatternHeatmaps(relu, 0);
    const memberships = await store.readMemberships(relu);
    nonMember = memberships.inputIndex[memberships.patternId.findIndex((p) => p !== 0)]!;
  } finally {
    await store.close();
  }
  server = await startServer({ store: fixture.storePath, port: 0, appDir: fixture.appDir, thumbnailCacheDir: false });
  url = server.url;
});

after(async () => {
  await server?.close();
  await fixture?.cleanup();
});

async function png(path: string): Promise<{ width: number; height: number; channels: number; pixels: Buffer }> {
  const response = await fetch(url + path);
  assert.equal(response.status, 200, `GET ${path}: ${response.status}`);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, pixels: data };
}

async function problem(path: string, status: number): Promise<ApiError> {
  const response = await fetch(url + path);
  assert.equal(response.status, status, `GET ${path}`);
  return (await response.json()) as ApiError;
}

function heatmapOfInput(inputIndex: number): Float32Array {
  const row = stored.inputIndex.indexOf(inputIndex);
  const size = stored.height * stored.width;
  return stored.values.subarray(row * size, (row + 1) * size);
}

test('the heatmap list names the stored mean and members and the sizes', async () => {
  const body = await getJson<HeatmapsResponse>(url, apiPaths.heatmaps(relu, 0));
  assert.deepEqual(body, {
    clusteringId: relu,
    patternId: 0,
    layer: TINY.relu,
    hasMean: true,
    height: 4,
    width: 4,
    imageHeight: 4,
    imageWidth: 4,
    inputIndex: Array.from(stored.inputIndex).filter((index) => index !== MEAN_HEATMAP),
  });
  const none = await getJson<HeatmapsResponse>(url, apiPaths.heatmaps(relu, 1));
  assert.equal(none.hasMean, false);
  assert.deepEqual(none.inputIndex, []);
});

test('the mean heatmap PNG is the RGBA rendering of the stored mean at the model input size', async () => {
  const image = await png(apiPaths.heatmapImage(relu, 0));
  assert.deepEqual([image.width, image.height, image.channels], [4, 4, 4]);
  assert.deepEqual(Array.from(image.pixels), Array.from(renderHeatmap(heatmapOfInput(MEAN_HEATMAP), 4, 4, 4, 4)));
});

test("a member's heatmap PNG renders that member's stored heatmap", async () => {
  const member = stored.inputIndex[stored.inputIndex.length - 1]!;
  const image = await png(apiPaths.heatmapImage(relu, 0, member, 'ignored-version'));
  assert.deepEqual([image.width, image.height, image.channels], [4, 4, 4]);
  assert.deepEqual(Array.from(image.pixels), Array.from(renderHeatmap(heatmapOfInput(member), 4, 4, 4, 4)));
});

test('missing heatmaps are 404s that say to run nap heatmaps', async () => {
  const notMade = await problem(apiPaths.heatmapImage(relu, 1), 404);
  assert.match(notMade.error, /pattern 1 of clustering \d+ .* has no stored mean heatmap/);
  assert.match(notMade.hint ?? '', /nap heatmaps .*--layer "relu_out" --pattern 1/);
  const otherLayer = await problem(apiPaths.heatmapImage(logits, 0), 404);
  assert.match(otherLayer.hint ?? '', /nap heatmaps/);
});

test('noise, unknown patterns and non-members are 404s; malformed inputs 400s', async () => {
  assert.match((await problem(apiPaths.heatmapImage(relu, -1), 404)).error, /noise \(pattern -1\) .* has no heatmap/);
  assert.match((await problem(apiPaths.heatmaps(relu, -1), 404)).error, /noise/);
  assert.match((await problem(apiPaths.heatmapImage(relu, 999), 404)).error, /pattern 999 does not exist/);
  assert.match(
    (await problem(apiPaths.heatmapImage(relu, 0, nonMember), 404)).error,
    new RegExp(`input ${nonMember} is not a member of pattern 0`),
  );
  assert.match(
    (await problem(`${apiPaths.heatmapImage(relu, 0)}?input=abc`, 400)).error,
    /input "abc" is not a valid id/,
  );
  assert.match(
    (await problem(`${apiPaths.heatmapImage(relu, 0)}?size=8`, 400)).error,
    /query parameter "size" is not known/,
  );
});
