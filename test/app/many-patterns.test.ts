/**
 * The analytical views on a run with more than 1,000 patterns in a layer, in headless Chromium: the Jaccard
 * matrix (also with every pattern shown), the alluvial diagram with a clicked pattern's path, and the
 * label × pattern chart. Each must draw within 1 s of its data arriving (measured in the page: from the
 * API responses' resource timing, or from the control's change, to the view's 'nap-drawn:' mark), no
 * two pieces of text may overlap, and the header stays on one line. Screenshots at 1280 and 1920 px go to
 * $NAP_SCREENSHOT_DIR (default: nap-view-screenshots in the temporary folder).
 *
 * The run is synthetic, written through the store and the engine's clustering as analyze would: 1,100
 * tight Gaussian blobs of 4 inputs each in 16-D (min cluster size 2) in layer A, blobs of the same size
 * shifted by two inputs in layer B (each overlaps two of A), blobs of 32 in layer C; labels follow C's
 * blobs, one input in ten relabelled at random.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeMatrix } from '../../src/compute/matrix.js';
import { clusterRows, layerStatisticsColumns, storeLayerClustering } from '../../src/engine/cluster-layer.js';
import { NapStore } from '../../src/io/store/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { random } from '../io/store/helpers.js';
import { buildApp, launchChromium } from './fixture.js';

const BLOBS = 1100;
const PER_BLOB = 4;
const DIM = 16;
const LABELS = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen', 'ibis', 'jay'];
const LAYERS = [
  { layer: 'A', merge: 1, shift: 0 },
  { layer: 'B', merge: 1, shift: 2 },
  { layer: 'C', merge: 8, shift: 0 },
];
/** The most a view may take from its data to its drawing. */
const RENDER_BUDGET_MS = 1000;
const SCREENSHOTS = process.env.NAP_SCREENSHOT_DIR ?? path.join(tmpdir(), 'nap-view-screenshots');

let dir: string;
let server: RunningServer;
let browser: Browser;
let runId: number;
let patternsOfA: number;
const pageErrors: string[] = [];

/**
 * One layer's rows: inputs in groups of PER_BLOB × `merge` (after skipping `shift` inputs) share a random
 * center, each input jittered a little.
 */
function layerRows(merge: number, shift: number, seed: number): Float32Array {
  const next = random(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const centers = Array.from({ length: Math.ceil(BLOBS / merge) + 1 }, () =>
    Float32Array.from({ length: DIM }, () => next() * 100),
  );
  const data = new Float32Array(BLOBS * PER_BLOB * DIM);
  for (let input = 0; input < BLOBS * PER_BLOB; input++) {
    const center = centers[Math.floor((input + shift) / PER_BLOB / merge)]!;
    for (let d = 0; d < DIM; d++) data[input * DIM + d] = center[d]! + 0.05 * gaussian();
  }
  return data;
}

async function buildStore(file: string): Promise<number> {
  const store = await NapStore.open(file);
  try {
    const id = await store.createRun({
      name: 'blobs',
      modelPath: 'blobs.onnx',
      modelSha256: '0'.repeat(64),
      modelLayout: 'channels-first',
      datasetSpec: 'synthetic blobs',
      datasetFingerprint: 'blobs',
      extractionConfigHash: 'blobs',
      config: {},
      predictionLabels: null,
    });
    const count = BLOBS * PER_BLOB;
    const next = random(3);
    const label = Array.from({ length: count }, (_, input) =>
      next() < 0.1 ? LABELS[Math.floor(next() * LABELS.length)]! : LABELS[Math.floor(input / PER_BLOB / 8) % 10]!,
    );
    await store.appendInputs(id, {
      index: Int32Array.from({ length: count }, (_, i) => i),
      path: Array.from({ length: count }, (_, i) => `blob-${i}.png`),
      label,
      prediction: new Int32Array(count).fill(-1),
      predictionLabel: Array.from({ length: count }, () => null),
      probability: new Float64Array(count).fill(Number.NaN),
    });
    const inputIndex = Int32Array.from({ length: count }, (_, i) => i);
    for (const [order, { layer, merge, shift }] of LAYERS.entries()) {
      // mean_std: the 16 columns are 8 units' means, then their standard deviations.
      await store.appendLayer(id, {
        layer,
        order,
        opType: 'Conv',
        rawDims: [8, 4, 4],
        aggregation: 'mean_std',
        dim: DIM,
      });
      const matrix = makeMatrix(count, DIM, layerRows(merge, shift, 10 + order));
      await store.appendActivations(id, layer, matrix, inputIndex);
      await store.saveUnitStats({ runId: id, layer }, layerStatisticsColumns(matrix));
      const fit = await clusterRows(matrix, { minClusterSize: 2, minSamples: 2 }, (params) => params, {});
      await storeLayerClustering(
        store,
        { runId: id, layer, unit: null },
        { activations: matrix, space: matrix, inputIndex },
        fit,
        {},
      );
      if (layer === 'A') patternsOfA = fit.selection.clusterCount;
    }
    await store.setRunStatus(id, 'complete');
    return id;
  } finally {
    await store.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-many-patterns-'));
  const appDir = path.join(dir, 'app');
  const file = path.join(dir, 'blobs.duckdb');
  [runId] = await Promise.all([buildStore(file), buildApp(appDir), mkdir(SCREENSHOTS, { recursive: true })]);
  server = await startServer({ store: file, port: 0, appDir, thumbnailCacheDir: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

async function openPage(query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(20_000);
  await page.goto(`${server.url}/${query}`);
  return page;
}

// The scripts below run in the page (the tests are type-checked without the DOM's types).

/** Milliseconds from the last API response that arrived before the view's first drawing to that drawing. */
async function renderTime(page: Page, view: string): Promise<number> {
  await page.waitForFunction(`performance.getEntriesByName('nap-drawn:${view}').length > 0`);
  return page.evaluate<number>(`(() => {
    const drawn = performance.getEntriesByName('nap-drawn:${view}')[0].startTime;
    const arrived = performance
      .getEntriesByType('resource')
      .filter((entry) => new URL(entry.name).pathname.startsWith('/api/'))
      .map((entry) => entry.responseEnd)
      .filter((end) => end <= drawn);
    return drawn - Math.max(...arrived);
  })()`);
}

/** Milliseconds from choosing `value` in the select of the field named `field` to the view's next drawing. */
function changeAndTime(page: Page, field: string, value: string, view: string): Promise<number> {
  return page.evaluate<number>(`(async () => {
    const select = [...document.querySelectorAll('label.field')]
      .find((label) => label.textContent.startsWith(${JSON.stringify(field)}))
      .querySelector('select');
    const before = performance.getEntriesByName('nap-drawn:${view}').length;
    const start = performance.now();
    select.value = ${JSON.stringify(value)};
    select.dispatchEvent(new Event('change', { bubbles: true }));
    for (;;) {
      const marks = performance.getEntriesByName('nap-drawn:${view}');
      if (marks.length > before) return marks[marks.length - 1].startTime - start;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })()`);
}

/** Pairs of visible text boxes (one per line of each text node) that overlap by more than a pixel. */
function overlappingText(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const boxes = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent || '').trim();
      const parent = node.parentElement;
      if (text === '' || !parent || parent.closest('title, .sr-only, details:not([open]) > :not(summary), .tooltip'))
        continue;
      const style = getComputedStyle(parent);
      if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) continue;
      // What ancestors that clip their overflow leave of the text is what shows.
      let clip = { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity };
      for (let element = parent; element; element = element.parentElement) {
        const css = getComputedStyle(element);
        if (css.overflowX === 'visible' && css.overflowY === 'visible') continue;
        const r = element.getBoundingClientRect();
        clip = {
          left: Math.max(clip.left, r.left),
          top: Math.max(clip.top, r.top),
          right: Math.min(clip.right, r.right),
          bottom: Math.min(clip.bottom, r.bottom),
        };
      }
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        const rect = {
          left: Math.max(r.left, clip.left),
          top: Math.max(r.top, clip.top),
          right: Math.min(r.right, clip.right),
          bottom: Math.min(r.bottom, clip.bottom),
        };
        if (rect.right - rect.left > 1 && rect.bottom - rect.top > 1) boxes.push({ node, text, rect });
      }
    }
    const found = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        // Lines of one text node (or its ellipsis) never count against each other.
        if (boxes[i].node === boxes[j].node) continue;
        const a = boxes[i].rect;
        const b = boxes[j].rect;
        const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (dx > 1 && dy > 1) found.push('"' + boxes[i].text + '" and "' + boxes[j].text + '"');
      }
    }
    return found;
  })()`);
}

/** Tabs of the header cut off at its right edge. */
const CLIPPED_TABS = `(() => {
  const nav = document.querySelector('.app-header .tabs').getBoundingClientRect();
  return [...document.querySelectorAll('.app-header .tabs .tab')]
    .filter((tab) => tab.getBoundingClientRect().right > nav.right + 0.5)
    .map((tab) => tab.textContent);
})()`;

async function checkPage(page: Page, name: string): Promise<void> {
  for (const width of [1280, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150);
    const file = path.join(SCREENSHOTS, `${name}-${width}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot ${file}`);
    assert.deepEqual(await overlappingText(page), [], `${name} at ${width} px: overlapping text`);
    const header = await page.locator('.app-header').boundingBox();
    assert.ok(header && header.height < 50, `${name} at ${width} px: the header is one line (${header?.height} px)`);
    const clipped = await page.evaluate<string[]>(CLIPPED_TABS);
    assert.deepEqual(clipped, [], `${name} at ${width} px: every tab and badge shows`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('the Jaccard matrix draws the top patterns, then all 1,000+ × 1,000+, each within a second', async () => {
  // Pins and a selection give the header its badges.
  const page = await openPage(`?view=jaccard&run=${runId}&layer=A&to=B&pins=1.0,1.1,1.2&sel=1,2,3,4,5,6,7,8,9,10`);
  assert.ok(patternsOfA >= 1000, `${patternsOfA} patterns in layer A`);
  const canvas = page.locator('canvas.jaccard');
  await canvas.waitFor();
  const first = await renderTime(page, 'jaccard');
  console.log(`Jaccard matrix, top 50: drawn ${first.toFixed(0)} ms after its data`);
  assert.ok(first <= RENDER_BUDGET_MS, `top 50 drawn in ${first} ms`);
  assert.equal((await canvas.getAttribute('data-rows'))!.split(',').length, 50);

  const took = await changeAndTime(page, 'Patterns', 'Infinity', 'jaccard');
  const rows = (await canvas.getAttribute('data-rows'))!.split(',').length;
  const cols = (await canvas.getAttribute('data-cols'))!.split(',').length;
  console.log(`Jaccard matrix, all ${rows} x ${cols}: seriated and drawn in ${took.toFixed(0)} ms`);
  assert.ok(rows >= 1000 && cols >= 1000, `${rows} x ${cols}`);
  assert.ok(took <= RENDER_BUDGET_MS, `all patterns drawn in ${took} ms`);

  // Hover details, then a zoom that the toolbar reports.
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.jaccard-tip').waitFor();
  assert.match((await page.locator('.jaccard-tip').textContent())!, /Jaccard .* shared/);
  await page.mouse.wheel(0, -600);
  await page.locator('.jaccard-toolbar', { hasText: 'zoom' }).waitFor();
  await page.mouse.move(0, 0);
  await checkPage(page, 'jaccard');
  await page.close();
});

test('the alluvial diagram keeps the largest patterns per layer, and a clicked pattern shows its path', async () => {
  const page = await openPage(`?view=flow&run=${runId}`);
  await page.locator('svg.sankey .sankey-node').first().waitFor();
  const took = await renderTime(page, 'flow');
  console.log(`Alluvial diagram: drawn ${took.toFixed(0)} ms after its data`);
  assert.ok(took <= RENDER_BUDGET_MS, `drawn in ${took} ms`);
  const nodesOfA = page.locator('svg.sankey .sankey-node[data-layer="A"]');
  assert.equal(await nodesOfA.count(), 25 + 1, 'the 25 largest patterns of A and one "other" bar');
  assert.equal(await page.locator('svg.sankey .sankey-node[data-pattern="-2"]').count(), 3, 'an "other" bar per layer');
  assert.ok((await page.locator('.label-legend .legend-item').count()) >= 2, 'a legend of majority labels');

  await page.locator('svg.sankey .sankey-node[data-layer="C"] rect').first().click();
  await page.locator('svg.sankey .sankey-path-link').first().waitFor();
  await page.locator('.flow-path .lineage-step.own').waitFor();
  assert.equal(await page.locator('.flow-path .lineage-step').count(), 3, 'where the members are in every layer');
  await page.locator('.flow-members .tile').first().waitFor();
  assert.ok((await page.locator('.sankey-node.on-path').count()) >= 3, 'the path runs through every layer');
  await checkPage(page, 'flow');

  // The pattern page says which columns are means and which standard deviations (mean_std).
  await page.locator('.flow-path a', { hasText: 'open the pattern' }).click();
  await page.locator('.aggregation-note').waitFor();
  assert.match(
    (await page.locator('.aggregation-note').textContent())!,
    /μn: unit n’s mean.*σn: its standard deviation/,
  );
  await page.locator('.unit-chart canvas').waitFor();
  await page.close();
});

test('the label × pattern chart orders 1,000+ patterns by label mix and bins them to its width', async () => {
  const page = await openPage(`?view=layer&run=${runId}&layer=A`);
  const chart = page.locator('.label-pattern-chart canvas');
  await chart.waitFor();
  const took = await renderTime(page, 'label-pattern');
  console.log(`Label x pattern chart: drawn ${took.toFixed(0)} ms after its data`);
  assert.ok(took <= RENDER_BUDGET_MS, `drawn in ${took} ms`);
  const columns = Number(await chart.getAttribute('data-columns'));
  assert.ok(columns < patternsOfA && columns > 100, `${patternsOfA} patterns binned into ${columns} columns`);
  assert.ok((await chart.getAttribute('data-order'))!.split(',').length >= patternsOfA, 'every pattern is in a bin');
  await checkPage(page, 'label-pattern');
  await page.close();
});
