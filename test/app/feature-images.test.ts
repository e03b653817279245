/**
 * Feature visualizations in the app: `nap visualize` stores images of two units and a pattern of the tiny
 * conv net's relu layer; nap serve lists them and serves each as a PNG of the stored pixels, the unit page
 * (max activations with a unit chosen) and the pattern page show them with their values, and a static
 * export holds them (a table and a sheet) and shows them the same way without any API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { exportStaticSite } from '../../src/engine/export-static.js';
import { visualizeLayer } from '../../src/engine/visualize.js';
import { NapStore, type FeatureVisualization } from '../../src/io/store/index.js';
import type { ApiError, FeatureImagesResponse } from '../../src/results/api-types.js';
import { formatNumber } from '../../src/results/format.js';
import { apiPaths } from '../../src/results/routes.js';
import { staticPaths } from '../../src/results/static/layout.js';
import { openStaticSite } from '../../src/results/static/reader.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { buildApp, launchChromium } from './fixture.js';
import { serveFolder, type StaticServer } from './static-server.js';

/** The tiny conv net reads MNIST digits at 4 x 4 pixels: its images are that size. */
const SIDE = 4;
let dir: string;
let appDir: string;
let storePath: string;
let run: AnalyzeResult;
let stored: FeatureVisualization[];
let server: RunningServer;
let host: StaticServer;
let browser: Browser;
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-feature-images-'));
  appDir = path.join(dir, 'app');
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'nap.duckdb');
  [run] = await Promise.all([
    analyze({ model, data: 'mnist', out: storePath, limit: 200, layers: [TINY.relu, TINY.logits], threads: 1 }),
    buildApp(appDir),
  ]);
  const store = await NapStore.open(storePath);
  try {
    const settings = { layer: TINY.relu, steps: 4, restarts: 1, refine: 2 };
    await visualizeLayer(store, { ...settings, units: [0, 1] });
    await visualizeLayer(store, { ...settings, units: [], patterns: [0] });
    stored = await store.readFeatureVisualizations(run.runId, TINY.relu);
  } finally {
    await store.close();
  }
  const site = path.join(dir, 'site');
  await exportStaticSite({ store: storePath, out: site, appDir });
  server = await startServer({ store: storePath, port: 0, appDir, thumbnailCacheDir: false });
  host = await serveFolder(site);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

async function openPage(base: string, query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${base}/index.html${query}`);
  return page;
}

const relu = () => run.layers.find((l) => l.layer === TINY.relu)!;

test('nap serve lists the stored images with their values and serves each as a PNG of its stored pixels', async () => {
  assert.deepEqual(
    stored.map((image) => [image.objective, image.target]),
    [
      ['pattern', 0],
      ['unit', 0],
      ['unit', 1],
    ],
  );
  const list = (await (
    await fetch(server.url + apiPaths.featureImages(run.runId, TINY.relu))
  ).json()) as FeatureImagesResponse;
  assert.deepEqual(
    list.images.map(({ row, objective, target, clusteringId, value, datasetMax, width, height, channels }) => ({
      row,
      objective,
      target,
      clusteringId,
      value,
      datasetMax,
      size: [width, height, channels],
    })),
    stored.map((image, row) => ({
      row,
      objective: image.objective,
      target: image.target,
      clusteringId: image.clusteringId,
      value: image.value,
      datasetMax: image.datasetMax,
      size: [SIDE, SIDE, 1],
    })),
  );
  assert.equal(list.images[0]!.clusteringId, relu().clusteringId);
  for (const [row, image] of stored.entries()) {
    const response = await fetch(server.url + apiPaths.featureImage(run.runId, TINY.relu, row));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/png');
    // A gray image; the decoder may hand it back as RGB: its first channel is the gray value.
    const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [SIDE, SIDE]);
    assert.deepEqual(new Uint8Array(data), image.pixels, `image ${row}: the stored pixels`);
  }
  const none = (await (
    await fetch(server.url + apiPaths.featureImages(run.runId, TINY.logits))
  ).json()) as FeatureImagesResponse;
  assert.deepEqual(none.images, [], 'a layer without images lists none');
  const missing = await fetch(server.url + apiPaths.featureImage(run.runId, TINY.relu, stored.length));
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as ApiError).hint ?? '', /0\.\.2/);
  const elsewhere = await fetch(server.url + apiPaths.featureImage(run.runId, TINY.logits, 0));
  assert.equal(elsewhere.status, 404);
  assert.match(((await elsewhere.json()) as ApiError).hint ?? '', /nap visualize/);
});

/** The captions of the feature images shown on the page, once every image has loaded. */
async function shownImages(page: Page, count: number): Promise<string[]> {
  await page.waitForFunction(
    `(() => { const images = [...document.querySelectorAll('.feature-images .feature-image .average')];
      return images.length === ${count} && images.every((image) => image.tagName === 'IMG' ? image.complete && image.naturalWidth === ${SIDE} : image.dataset.state === 'ready'); })()`,
  );
  return page.locator('.feature-images figcaption').allTextContents();
}

/** The caption as the app writes it (its number format is the results' own). */
const caption = (image: FeatureVisualization, what: string) =>
  `${what}${formatNumber(image.value, 3)} · dataset best ${formatNumber(image.datasetMax, 3)}`;

for (const source of ['nap serve', 'the static export'] as const) {
  test(`the unit and pattern pages show their images and values (${source})`, async () => {
    const base = source === 'nap serve' ? server.url : host.url;
    const unitPage = await openPage(base, `?view=maxact&run=${run.runId}&layer=${TINY.relu}&unit=1`);
    const unitCaptions = await shownImages(unitPage, 1);
    assert.equal(unitCaptions[0], caption(stored[2]!, 'mean activation'));
    await unitPage.close();
    const patternPage = await openPage(base, `?view=pattern&run=${run.runId}&layer=${TINY.relu}&p=0`);
    const patternCaptions = await shownImages(patternPage, 1);
    assert.equal(patternCaptions[0], caption(stored[0]!, 'cosine with the centroid'));
    await patternPage.goto(`${base}/index.html?view=pattern&run=${run.runId}&layer=${TINY.relu}&p=1`);
    await patternPage.locator('h1', { hasText: 'Pattern 1' }).waitFor();
    assert.equal(await patternPage.locator('.feature-images').count(), 0, 'a pattern without images shows none');
    await patternPage.close();
    if (source === 'the static export') {
      assert.deepEqual(
        host.requests.filter((p) => p.startsWith('/api')),
        [],
        'nothing asks for the API',
      );
    }
  });
}

test('the static export holds the table (in its packs) and a sheet of the stored pixels', async () => {
  const data = path.join(dir, 'site', 'data');
  const { reader } = await openStaticSite(new URL(`${host.url}/data/`));
  const table = await reader.featureImages(run.runId, TINY.relu);
  assert.deepEqual(
    Array.from(table.target),
    stored.map((image) => image.target),
  );
  assert.deepEqual(Array.from(table.value), [...stored.map((image) => image.value)]);
  const { data: sheet, info } = await sharp(path.join(data, staticPaths.sheet('features', 0)))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (const [k, image] of stored.entries()) {
    const cell = new Uint8Array(SIDE * SIDE);
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) cell[y * SIDE + x] = sheet[y * info.width + k * SIDE + x]!;
    assert.deepEqual(cell, image.pixels, `cell ${k}`);
  }
});
