/**
 * Every view on a run with more than 1,000 patterns in a layer, in headless Chromium: the Jaccard matrix
 * (also with every pattern shown), the alluvial diagram with a clicked pattern's path, the label × pattern
 * chart and the patterns grid, the map, a unit's page (its max-activating inputs), the noise page, the
 * triage (label errors) and the search box's results. Each must draw within 1 s of its data arriving
 * (measured in the page: from the API responses' resource timing, or from the control's change, to the
 * view's 'nap-drawn:' mark, or for views without one to the first animation frame that shows their
 * drawing: WATCH_DRAWN), no two pieces of text may overlap, and the header stays on one line. Screenshots
 * at 1280 and 1920 px go to $NAP_SCREENSHOT_DIR (default: nap-view-screenshots in the temporary folder).
 * The run's static export stays within a bounded number of files and opens in the browser.
 *
 * The run is synthetic, written through the store and the engine's clustering as analyze would: 1,100
 * tight Gaussian blobs of 4 inputs each in 16-D (min cluster size 2) in layer A, blobs of the same size
 * shifted by two inputs in layer B (each overlaps two of A), blobs of 32 in layer C, one input in 40 alone
 * in every layer; labels follow C's blobs, one input in ten relabelled at random. Layer A has a map (its first two columns) and every layer
 * its max-activating inputs; the run has a saved triage.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeMatrix } from '../../src/compute/matrix.js';
import { rankMaxActivations } from '../../src/compute/max-activations.js';
import { clusterRows, layerStatisticsColumns, storeLayerClustering } from '../../src/engine/cluster-layer.js';
import { exportStaticSite, type StaticExportResult } from '../../src/engine/export-static.js';
import { SHEET_BUDGET } from '../../src/engine/site-writer.js';
import { triageToSave } from '../../src/engine/triage-save.js';
import { scoreRun } from '../../src/engine/triage-scores.js';
import { NapStore } from '../../src/io/store/index.js';
import type { FlowGraphResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { STATIC_RESULTS_FILE, TABLE_PACK_BYTES, type StaticResults } from '../../src/results/static/layout.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { random } from '../io/store/helpers.js';
import { buildApp, launchChromium } from './fixture.js';
import { serveFolder, type StaticServer } from './static-server.js';

const BLOBS = 1100;
const PER_BLOB = 4;
const DIM = 16;
const OUTLIER_EVERY = 40;
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
let storeFile: string;
let appDir: string;
let site: string;
let exported: StaticExportResult;
let server: RunningServer;
let browser: Browser;
let runId: number;
let patternsOfA: number;
let noiseOfA: number;
const pageErrors: string[] = [];

/**
 * One layer's rows: inputs in groups of PER_BLOB × `merge` (after skipping `shift` inputs) share a random
 * center, each input jittered a little; one input in OUTLIER_EVERY lies alone somewhere (the layer's noise).
 */
function layerRows(merge: number, shift: number, seed: number): Float32Array {
  const next = random(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const centers = Array.from({ length: Math.ceil(BLOBS / merge) + 1 }, () =>
    Float32Array.from({ length: DIM }, () => next() * 100),
  );
  const data = new Float32Array(BLOBS * PER_BLOB * DIM);
  for (let input = 0; input < BLOBS * PER_BLOB; input++) {
    const alone = input % OUTLIER_EVERY === OUTLIER_EVERY - 1;
    const center = alone
      ? Float32Array.from({ length: DIM }, () => next() * 100)
      : centers[Math.floor((input + shift) / PER_BLOB / merge)]!;
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
      const rows = layerRows(merge, shift, 10 + order);
      const matrix = makeMatrix(count, DIM, rows);
      await store.appendActivations(id, layer, matrix, inputIndex);
      await store.saveUnitStats({ runId: id, layer }, layerStatisticsColumns(matrix));
      await store.saveMaxActivations(id, layer, rankMaxActivations(rows, DIM, inputIndex, 12));
      if (layer === 'A') {
        const column = (d: number) => Float32Array.from({ length: count }, (_, i) => rows[i * DIM + d]!);
        await store.saveProjection(id, layer, { method: 'pca', params: {}, inputIndex, x: column(0), y: column(1) });
      }
      const fit = await clusterRows(matrix, { minClusterSize: 2, minSamples: 2 }, (params) => params, {});
      const summary = await storeLayerClustering(
        store,
        { runId: id, layer, unit: null },
        { activations: matrix, space: matrix, inputIndex },
        fit,
        {},
      );
      if (layer === 'A') [patternsOfA, noiseOfA] = [fit.selection.clusterCount, summary.noise];
    }
    await store.setRunStatus(id, 'complete');
    await store.saveTriage(triageToSave(await scoreRun(store, id, { k: 5 })));
    return id;
  } finally {
    await store.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-many-patterns-'));
  appDir = path.join(dir, 'app');
  storeFile = path.join(dir, 'blobs.duckdb');
  [runId] = await Promise.all([buildStore(storeFile), buildApp(appDir), mkdir(SCREENSHOTS, { recursive: true })]);
  // Exported before the server opens the store (a results file has one owner at a time).
  site = path.join(dir, 'site');
  exported = await exportStaticSite({ store: storeFile, out: site, appDir, thumbnails: false });
  server = await startServer({ store: storeFile, port: 0, appDir, thumbnailCacheDir: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

/** Selectors whose first match shows a view drawn with its data, for views that mark no drawing of their own. */
const DRAWN_WHEN = {
  grid: '.card-grid article.card',
  map: '.scatter-canvas[data-view]',
  unit: '.focus-unit .tile',
  noise: '.member-grid .tile',
  triage: '.label-errors-table tbody tr[data-input]',
  search: '#search-results .search-group',
};

// The scripts below run in the page (the tests are type-checked without the DOM's types).

/** Marks 'nap-drawn:<name>' at the first animation frame where DRAWN_WHEN[name] matches. */
const WATCH_DRAWN = `(() => {
  const selectors = ${JSON.stringify(DRAWN_WHEN)};
  const seen = new Set();
  const check = () => {
    for (const [name, selector] of Object.entries(selectors)) {
      if (seen.has(name) || !document.querySelector(selector)) continue;
      seen.add(name);
      performance.mark('nap-drawn:' + name);
    }
    if (seen.size < Object.keys(selectors).length) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})()`;

async function openPage(query: string, base = server.url): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(20_000);
  await page.addInitScript(WATCH_DRAWN);
  await page.goto(`${base}/${query}`);
  return page;
}

/**
 * Milliseconds from the last data response (the API's, or a static export's data files) that arrived before
 * the view's first drawing to that drawing.
 */
async function renderTime(page: Page, view: string): Promise<number> {
  await page.waitForFunction(`performance.getEntriesByName('nap-drawn:${view}').length > 0`);
  return page.evaluate<number>(`(() => {
    const drawn = performance.getEntriesByName('nap-drawn:${view}')[0].startTime;
    const arrived = performance
      .getEntriesByType('resource')
      .filter((entry) => ['/api/', '/data/'].some((data) => new URL(entry.name).pathname.startsWith(data)))
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

/**
 * Pairs of visible text boxes (one per line of each text node) that overlap by more than a pixel. Text that
 * a floating layer (a listbox, dialog or tooltip with its own background, such as the search results)
 * covers is hidden, not overlapped: only the layer's own text counts there.
 */
function overlappingText(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const layers = [...document.querySelectorAll('[role=listbox], [role=dialog], [role=tooltip]')].filter((layer) => {
      const css = getComputedStyle(layer);
      return (css.position === 'absolute' || css.position === 'fixed') && css.backgroundColor !== 'rgba(0, 0, 0, 0)';
    });
    const covered = (parent, rect) =>
      layers.some((layer) => {
        if (layer.contains(parent)) return false;
        const r = layer.getBoundingClientRect();
        return rect.left < r.right && rect.right > r.left && rect.top < r.bottom && rect.bottom > r.top;
      });
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
        if (rect.right - rect.left > 1 && rect.bottom - rect.top > 1 && !covered(parent, rect))
          boxes.push({ node, text, rect });
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

/**
 * The patterns of each layer at either end of one of the `k` heaviest pattern-to-pattern bands of a pair of
 * consecutive layers (ties: the band first in the graph), as "layer:pattern".
 */
function endsOfHeaviestBands(graph: FlowGraphResponse, k: number): Set<string> {
  const { layerIndex, patternId } = graph.nodes;
  const name = (node: number) => `${graph.layers[layerIndex[node]!]!.layer}:${patternId[node]}`;
  const ends = new Set<string>();
  for (let pair = 0; pair + 1 < graph.layers.length; pair++) {
    const bands = graph.links.source
      .map((source, link) => ({ source, target: graph.links.target[link]!, count: graph.links.count[link]!, link }))
      .filter((b) => layerIndex[b.source] === pair && patternId[b.source]! >= 0 && patternId[b.target]! >= 0)
      .sort((a, b) => b.count - a.count || a.link - b.link)
      .slice(0, k);
    for (const band of bands) ends.add(name(band.source)).add(name(band.target));
  }
  return ends;
}

test('the alluvial diagram keeps the heaviest bands per layer pair, and a clicked pattern shows its path', async () => {
  const graph = (await (await fetch(server.url + apiPaths.flowGraph(runId))).json()) as FlowGraphResponse;
  const page = await openPage(`?view=flow&run=${runId}`);
  await page.locator('svg.sankey .sankey-node').first().waitFor();
  const took = await renderTime(page, 'flow');
  console.log(`Alluvial diagram: drawn ${took.toFixed(0)} ms after its data`);
  assert.ok(took <= RENDER_BUDGET_MS, `drawn in ${took} ms`);
  const drawn = await page
    .locator('svg.sankey .sankey-node')
    .evaluateAll((gs) => gs.map((g) => `${g.getAttribute('data-layer')}:${g.getAttribute('data-pattern')}`));
  const expected = endsOfHeaviestBands(graph, 25);
  assert.deepEqual(
    drawn.filter((node) => !node.endsWith(':-2')).sort(),
    [...expected].sort(),
    'the patterns of the 25 heaviest bands between A and B and between B and C',
  );
  assert.ok(
    drawn.filter((node) => node.startsWith('B:')).length > drawn.filter((node) => node.startsWith('A:')).length,
    'the middle layer keeps the patterns of both its pairs',
  );
  assert.equal(await page.locator('svg.sankey .sankey-node[data-pattern="-2"]').count(), 3, 'an "other" bar per layer');
  const bands = await page.locator('svg.sankey .sankey-link').count();
  assert.ok(bands >= 2 * 25, `every kept band is drawn (${bands} bands in all)`);
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

test('the label × pattern chart orders 1,000+ patterns by label mix and bins them to its width; the grid of cards follows', async () => {
  const page = await openPage(`?view=layer&run=${runId}&layer=A`);
  const grid = await renderTime(page, 'grid');
  console.log(`Patterns grid: drawn ${grid.toFixed(0)} ms after its data`);
  assert.ok(grid <= RENDER_BUDGET_MS, `the cards drawn in ${grid} ms`);
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

/** Opens `query`, waits for view `view`'s drawing, checks its time, text and header, and returns the page. */
async function timedView(query: string, view: keyof typeof DRAWN_WHEN, what: string, base?: string): Promise<Page> {
  const page = await openPage(query, base);
  const took = await renderTime(page, view);
  console.log(`${what}: drawn ${took.toFixed(0)} ms after its data`);
  assert.ok(took <= RENDER_BUDGET_MS, `${what} drawn in ${took} ms`);
  return page;
}

test('the map draws every input of the 1,000+ patterns, with its list of patterns', async () => {
  const page = await timedView(`?view=map&run=${runId}&layer=A`, 'map', 'Map');
  assert.equal(await page.locator('.scatter-canvas').getAttribute('data-points'), String(BLOBS * PER_BLOB));
  await checkPage(page, 'map');
  await page.close();
});

test("a unit's page shows its max-activating inputs", async () => {
  const page = await timedView(`?view=maxact&run=${runId}&layer=A&unit=3`, 'unit', 'Unit page');
  assert.equal(await page.locator('.focus-unit .tile').count(), 12);
  await checkPage(page, 'unit');
  await page.close();
});

test('the noise page of a layer of 1,000+ patterns lists its members', async () => {
  assert.ok(noiseOfA > 0, `layer A has noise (${noiseOfA} inputs)`);
  const page = await timedView(`?view=pattern&run=${runId}&layer=A&p=-1`, 'noise', 'Noise page');
  await page.locator('h1', { hasText: 'Noise' }).waitFor();
  await checkPage(page, 'noise');
  await page.close();
});

test('the triage ranks the label errors of the run', async () => {
  const page = await timedView(`?view=label-errors&run=${runId}`, 'triage', 'Label errors');
  assert.ok((await page.locator('.label-errors-table tbody tr[data-input]').count()) > 10);
  await checkPage(page, 'triage');
  await page.close();
});

test('the search box lists patterns and inputs of the 1,000+ patterns', async () => {
  const page = await openPage(`?view=layer&run=${runId}&layer=A`);
  await page.locator('article.card').first().waitFor();
  await page.getByLabel('Search patterns, inputs and units').fill('label:cat');
  const took = await renderTime(page, 'search');
  console.log(`Search results: drawn ${took.toFixed(0)} ms after their data`);
  assert.ok(took <= RENDER_BUDGET_MS, `drawn in ${took} ms`);
  assert.ok((await page.locator('#search-results .search-group').count()) >= 2, 'patterns and inputs');
  await checkPage(page, 'search');
  await page.close();
});

test('the static export of the run is a bounded number of files and draws its views', async () => {
  const result = exported;
  const data = await readdir(path.join(site, 'data'), { recursive: true, withFileTypes: true });
  const files = data.filter((entry) => entry.isFile()).length;
  const results = JSON.parse(await readFile(path.join(site, 'data', STATIC_RESULTS_FILE), 'utf8')) as StaticResults;
  const tableBytes = Object.values(results.tables).reduce((sum, [, , bytes]) => sum + bytes, 0);
  const packs = new Set(Object.values(results.tables).map(([pack]) => pack)).size;
  console.log(
    `static export: ${result.files} files (${files} data files), ${Object.keys(results.tables).length} tables (${(tableBytes / 2 ** 20).toFixed(1)} MiB) in ${packs} packs`,
  );
  // Every table of the 3 layers and their 1,000+ patterns in a pack per TABLE_PACK_BYTES (twice: a pack
  // closes early when the next table does not fit), plus the records, the manifest and the notes.
  assert.ok(packs <= 2 * Math.ceil(tableBytes / TABLE_PACK_BYTES) + 1, `${packs} packs`);
  assert.equal(files, packs + 3);
  const images = Object.values(SHEET_BUDGET).reduce((sum, budget) => sum + budget, 0);
  assert.ok(result.files <= 2000 - images, `${result.files} files leave room for every image budget`);

  const host: StaticServer = await serveFolder(site);
  try {
    const page = await openPage(`index.html?view=layer&run=${runId}&layer=A`, host.url);
    const grid = await renderTime(page, 'grid');
    console.log(`Static export, patterns grid: drawn ${grid.toFixed(0)} ms after its data`);
    assert.ok(grid <= RENDER_BUDGET_MS, `drawn in ${grid} ms`);
    await page.goto(`${host.url}/index.html?view=flow&run=${runId}`);
    await page.locator('svg.sankey .sankey-node[data-pattern="-2"]').first().waitFor();
    assert.ok(
      host.requests.some((request) => request.endsWith('.bin')),
      'tables read from the packs',
    );
    assert.deepEqual(
      host.requests.filter((request) => request.startsWith('/api')),
      [],
    );
    await page.close();
  } finally {
    await host.close();
  }
});
