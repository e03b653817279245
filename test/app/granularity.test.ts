/**
 * Coverage and the granularity control on a run of 10,000 inputs (the built-in MNIST model on every test
 * digit, layer pool2), in headless Chromium against nap serve and against the static export: the coverage
 * line equals what analyze counted in the store; re-selecting in the page from the stored tree (min
 * cluster size, leaf / eom, epsilon) gives the patterns nap recluster stores and the Node re-selection
 * computes, and the page's own measure of the redraw is printed (figures, not assertions).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { linkageFromMerges, selectFromLinkage } from '../../src/compute/hdbscan/reselect.js';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { exportStaticSite } from '../../src/engine/export-static.js';
import { recluster } from '../../src/engine/recluster.js';
import { NapStore } from '../../src/io/store/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { buildApp, launchChromium } from './fixture.js';
import { serveFolder, type StaticServer } from './static-server.js';

const MODEL = fileURLToPath(new URL('../../../models/mnist-cnn.onnx', import.meta.url));
const LAYER = 'pool2';

let dir: string;
let run: AnalyzeResult;
let server: RunningServer;
let host: StaticServer;
let browser: Browser;
let tree: ReturnType<typeof linkageFromMerges>;
/** nap recluster's stored clustering of LAYER at min cluster size 50, eom. */
let stored50: { patterns: number; noise: number; sizes: number[] };
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-granularity-'));
  const store = path.join(dir, 'demo.duckdb');
  const appDir = path.join(dir, 'app');
  [run] = await Promise.all([
    analyze({ model: MODEL, data: 'mnist', out: store, projection: 'none', layers: [LAYER] }),
    buildApp(appDir),
  ]);
  const copy = path.join(dir, 'reclustered.duckdb');
  await copyFile(store, copy);
  const napStore = await NapStore.open(copy);
  try {
    const stored = await napStore.readLinkageTree(run.layers[0]!.clusteringId);
    assert.ok(stored, 'analyze stored the tree');
    tree = linkageFromMerges(stored);
    const result = await recluster(napStore, { layer: LAYER, minClusterSize: 50, selection: 'eom' });
    const patterns = await napStore.readPatterns(result.clusteringId);
    stored50 = { patterns: result.patterns, noise: result.noise, sizes: Array.from(patterns.size) };
  } finally {
    await napStore.close();
  }
  await exportStaticSite({ store, out: path.join(dir, 'site'), appDir, thumbnails: false });
  server = await startServer({ store, port: 0, appDir, thumbnailCacheDir: false });
  host = await serveFolder(path.join(dir, 'site'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const share = (covered: number, inputs: number) => {
  const value = covered / inputs;
  return `${(value * 100).toFixed(value >= 0.995 || value === 0 ? 0 : 1)}%`;
};

async function redrawMs(page: Page, patterns: number): Promise<number> {
  const note = page.locator('.reselection', { hasText: `${patterns.toLocaleString('en-US')} pattern` });
  await note.waitFor().catch(async (error: unknown) => {
    const panel = await page.locator('.granularity-panel').textContent();
    throw new Error(`no re-selection of ${patterns} patterns; the panel says: ${panel}`, { cause: error });
  });
  // A string, not a function: this file is type-checked without the DOM's types.
  await page.waitForFunction("document.querySelector('.reselection')?.getAttribute('data-redraw-ms') !== ''");
  return Number(await note.getAttribute('data-redraw-ms'));
}

async function checkPage(baseUrl: string, where: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(30_000);
  await page.goto(`${baseUrl}/?run=${run.runId}&layer=${LAYER}`);
  await page.locator('.granularity-panel summary').click();
  const layer = run.layers[0]!;
  const { coverage } = layer;
  assert.equal(coverage.inputs, 10000);
  assert.equal(
    await page.locator('.coverage-line .coverage-hard').textContent(),
    `${share(coverage.inPattern, 10000)} in a pattern (${coverage.inPattern.toLocaleString('en-US')} of 10,000)`,
  );
  const near = coverage.withNearMembers.find((c) => c.strength === 0.1);
  assert.ok(near, 'analyze counted near members at strength 0.1');
  assert.match(
    (await page.locator('.coverage-line .coverage-near').textContent()) ?? '',
    new RegExp(
      `^${share(near.covered, 10000).replace('.', '\\.')} with near members \\(${(near.covered - coverage.inPattern).toLocaleString('en-US')}\\) at strength ≥ 0\\.10$`,
    ),
  );
  await page.locator('.layer-strip .layer-coverage').waitFor();
  assert.equal(
    await page.locator('.layer-strip .layer-coverage').textContent(),
    `${share(coverage.inPattern, 10000)} in a pattern`,
  );

  // eom at min cluster size 50: what nap recluster stores.
  await page.locator('.granularity-selection').selectOption('eom');
  // The first change loads the tree; its re-selection re-renders the inputs, so the next one waits for it.
  await page.locator('.reselection', { hasText: `--selection eom` }).waitFor();
  await page.locator('.granularity-size').fill('50');
  await page.locator('.granularity-size').press('Tab');
  const ms50 = await redrawMs(page, stored50.patterns);
  assert.equal(
    await page.locator('.summary-line strong').textContent(),
    `${stored50.patterns.toLocaleString('en-US')} patterns`,
  );
  assert.match(
    (await page.locator('.summary-line .coverage').textContent()) ?? '',
    new RegExp(`^${share(10000 - stored50.noise, 10000).replace('.', '\\.')} of the inputs in a pattern`),
  );
  await page.locator('.toolbar select').selectOption('size');
  const largest = Math.max(...stored50.sizes);
  assert.equal(
    await page.locator('article.card .card-size').first().textContent(),
    largest.toLocaleString('en-US'),
    'the largest card is the largest stored pattern',
  );
  const figures = [`eom mcs 50: ${stored50.patterns} patterns, redrawn in ${ms50.toFixed(1)} ms`];

  // The slider, leaf and an epsilon: each equals the re-selection in Node over the tree as stored.
  for (const [step, selection, epsilon] of [
    [120, 'eom', 0],
    [60, 'leaf', 0],
    [90, 'eom', 0.5],
  ] as const) {
    // One change at a time, each waited for (a re-render sets the inputs to the value it re-selected).
    const settle = () =>
      page.waitForFunction("document.querySelector('.reselection')?.getAttribute('data-redraw-ms') !== ''");
    await page.locator('.granularity-selection').selectOption(selection);
    await settle();
    await page.locator('.granularity-epsilon').fill(String(epsilon));
    await page.locator('.granularity-epsilon').press('Tab');
    await settle();
    await page.locator('.granularity-slider').fill(String(step));
    const minClusterSize = Number(await page.locator('.granularity-size').inputValue());
    const expected = selectFromLinkage(tree, {
      minClusterSize,
      clusterSelectionMethod: selection,
      clusterSelectionEpsilon: epsilon,
      allowSingleCluster: false,
    });
    const ms = await redrawMs(page, expected.clusterCount);
    const noise = expected.labels.reduce((n, label) => n + (label === -1 ? 1 : 0), 0);
    assert.match(
      (await page.locator('.summary-line .coverage').textContent()) ?? '',
      new RegExp(`^${share(10000 - noise, 10000).replace('.', '\\.')} of the inputs in a pattern`),
    );
    figures.push(
      `${selection} mcs ${minClusterSize} epsilon ${epsilon}: ${expected.clusterCount} patterns, ${share(10000 - noise, 10000)} covered, redrawn in ${ms.toFixed(1)} ms`,
    );
  }

  await page.locator('.granularity-reset').click();
  await page.locator('.coverage-line .coverage-hard').waitFor();
  assert.equal(
    await page.locator('.summary-line strong').textContent(),
    `${layer.patterns.toLocaleString('en-US')} patterns`,
    'back to the stored patterns',
  );
  console.log(`# ${where}, 10,000 inputs, layer ${LAYER}:\n#   ${figures.join('\n#   ')}`);
  await page.close();
}

test('coverage and the granularity control against nap serve (10,000 inputs)', async () => {
  await checkPage(server.url, 'nap serve');
  assert.deepEqual(pageErrors, []);
});

test('coverage and the granularity control in the static export (10,000 inputs)', async () => {
  await checkPage(host.url, 'static export');
  assert.deepEqual(pageErrors, []);
});
