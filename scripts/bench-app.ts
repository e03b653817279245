/**
 * Bench of the Magnifying Glass in headless Chromium: synthesizes a store of N MNIST digits with P
 * patterns per layer (or takes one with --store), serves it with startServer, and prints how long the
 * first render of a layer takes (cards on screen, then visible thumbnails loaded), scrolling the card
 * grid to its end, and opening the largest pattern's page. Figures only; nothing is asserted.
 *
 * Usage: node build/scripts/bench-app.js [--inputs 10000] [--patterns 150] [--repeats 5] [--store FILE [--run ID --layer NAME]]
 *   The synthetic store is kept at <tmpdir>/nap-bench-app-<inputs>-<patterns>.duckdb and reused.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { makeMatrix } from '../src/compute/matrix.js';
import { columnStatistics, rowsByGroup, type UnitStatistics } from '../src/compute/statistics.js';
import { openDataset } from '../src/io/datasets/open.js';
import { NapStore } from '../src/io/store/index.js';
import { startServer } from '../src/server/index.js';
import { buildApp, launchChromium } from '../test/app/fixture.js';
import { mulberry32 as random } from '../src/io/datasets/sample.js';

const LAYERS = [
  { name: 'conv1', units: 16 },
  { name: 'conv2', units: 32 },
  { name: 'dense', units: 64 },
];
const NOISE_SHARE = 0.15;
const TOP_K = 16;
const SIDE = 28;

function statsColumns(stats: UnitStatistics[], dim: number) {
  const rows = stats.length * dim;
  const unit = new Int32Array(rows);
  const patternId = new Int32Array(rows);
  const columns = {
    min: new Float64Array(rows),
    max: new Float64Array(rows),
    mean: new Float64Array(rows),
    q1: new Float64Array(rows),
    q3: new Float64Array(rows),
    iqr: new Float64Array(rows),
    lower: new Float64Array(rows),
    upper: new Float64Array(rows),
  };
  stats.forEach((s, p) => {
    for (let u = 0; u < dim; u++) {
      unit[p * dim + u] = u;
      patternId[p * dim + u] = p;
    }
    for (const key of Object.keys(columns) as (keyof typeof columns)[]) columns[key].set(s[key], p * dim);
  });
  return { unit, patternId, ...columns };
}

/**
 * A store shaped like a real analysis: N digits of the mnist package (cycled when N > 10,000), three
 * layers whose patterns group digits of one label (a few mixed in), 15% noise, activations drawn around
 * each pattern's centre, and statistics, max activations and average images computed from them.
 */
async function synthesizeStore(file: string, inputs: number, patterns: number): Promise<{ runId: number }> {
  const dataset = await openDataset('mnist');
  const next = random(inputs * 7919 + patterns);
  const labels = Array.from({ length: inputs }, (_, i) => dataset.items[i % dataset.items.length]!.label);
  const prediction = Int32Array.from(labels, (label) => (next() < 0.08 ? Math.floor(next() * 10) : Number(label)));
  const pixels = new Uint8Array(dataset.items.length * SIDE * SIDE);
  for (const item of dataset.items)
    pixels.set(await dataset.pixels(item.index, { width: SIDE, height: SIDE }, 1), item.index * SIDE * SIDE);

  const store = await NapStore.open(file);
  try {
    const runId = await store.createRun({
      name: `synthetic ${inputs} digits`,
      modelPath: 'synthetic.onnx',
      modelSha256: '0'.repeat(64),
      modelLayout: 'channels-first',
      datasetSpec: 'mnist',
      datasetFingerprint: dataset.fingerprint,
      extractionConfigHash: `bench-${inputs}-${patterns}`,
      config: { preprocessing: { width: SIDE, height: SIDE, channels: 1 }, synthetic: true },
      predictionLabels: Array.from({ length: 10 }, (_, i) => String(i)),
    });
    const index = Int32Array.from({ length: inputs }, (_, i) => i);
    await store.appendInputs(runId, {
      index,
      path: Array.from(index, (i) => dataset.items[i % dataset.items.length]!.path),
      label: labels,
      prediction,
      predictionLabel: Array.from(prediction, String),
      probability: Float64Array.from({ length: inputs }, () => 0.5 + next() / 2),
    });
    const perLabel = Math.ceil(patterns / 10);
    for (const [order, layer] of LAYERS.entries()) {
      await store.appendLayer(runId, {
        layer: layer.name,
        order,
        opType: order < 2 ? 'Relu' : 'Gemm',
        rawDims: order < 2 ? [layer.units, 12, 12] : [layer.units],
        aggregation: 'mean',
        dim: layer.units,
      });
      const assignment = Int32Array.from(labels, (label) => {
        if (next() < NOISE_SHARE) return -1;
        const group = next() < 0.1 ? Math.floor(next() * 10) : Number(label);
        return Math.min(patterns - 1, group * perLabel + Math.floor(next() * perLabel));
      });
      const centres = Float32Array.from({ length: patterns * layer.units }, () => (next() < 0.4 ? 0 : next()));
      const data = new Float32Array(inputs * layer.units);
      for (let i = 0; i < inputs; i++) {
        const p = assignment[i]!;
        for (let u = 0; u < layer.units; u++)
          data[i * layer.units + u] = Math.max(
            0,
            (p < 0 ? next() * 0.6 : centres[p * layer.units + u]!) + (next() - 0.5) * 0.2,
          );
      }
      for (let u = 0; u < layer.units; u++) {
        let max = 0;
        for (let i = 0; i < inputs; i++) max = Math.max(max, data[i * layer.units + u]!);
        for (let i = 0; i < inputs; i++) data[i * layer.units + u] = max > 0 ? data[i * layer.units + u]! / max : 0;
      }
      const matrix = makeMatrix(inputs, layer.units, data);
      await store.appendActivations(runId, layer.name, matrix, index);
      await store.saveUnitStats(
        { runId, layer: layer.name },
        { unit: Int32Array.from({ length: layer.units }, (_, u) => u), ...columnStatistics(matrix) },
      );
      const probabilities = Float64Array.from(assignment, (p) => (p < 0 ? 0 : 0.3 + 0.7 * next()));
      const outlierScores = Float64Array.from(assignment, (p) => (p < 0 ? 0.5 + next() / 2 : next() * 0.6));
      const clusteringId = await store.saveClustering(runId, layer.name, {
        unit: null,
        params: {
          minClusterSize: 5,
          minSamples: 5,
          clusterSelectionMethod: 'leaf',
          metric: 'euclidean',
          synthetic: true,
        },
        inputIndex: index,
        labels: assignment,
        probabilities,
        outlierScores,
        persistence: Float64Array.from({ length: patterns }, () => next() * 0.4),
        condensedTree: {
          parent: Int32Array.from(index, () => inputs),
          child: index,
          lambda: Float64Array.from(index, () => 1),
          childSize: Int32Array.from(index, () => 1),
        },
      });
      const groups = rowsByGroup(assignment, patterns);
      await store.saveUnitStats(
        { clusteringId },
        statsColumns(
          groups.map((rows) => columnStatistics(matrix, rows)),
          layer.units,
        ),
      );
      const maxUnit: number[] = [];
      const maxRank: number[] = [];
      const maxInput: number[] = [];
      const maxValue: number[] = [];
      for (let u = -1; u < layer.units; u++) {
        const value = (i: number) =>
          u >= 0 ? data[i * layer.units + u]! : Math.max(...data.subarray(i * layer.units, (i + 1) * layer.units));
        const values = Float64Array.from(index, value);
        const top = Array.from(index)
          .sort((a, b) => values[b]! - values[a]! || a - b)
          .slice(0, TOP_K);
        top.forEach((i, rank) => {
          maxUnit.push(u);
          maxRank.push(rank);
          maxInput.push(i);
          maxValue.push(values[i]!);
        });
      }
      await store.saveMaxActivations(runId, layer.name, {
        unit: Int32Array.from(maxUnit),
        rank: Int32Array.from(maxRank),
        inputIndex: Int32Array.from(maxInput),
        value: Float64Array.from(maxValue),
      });
      const sums = new Float64Array(patterns * SIDE * SIDE);
      const sizes = new Int32Array(patterns);
      assignment.forEach((p, i) => {
        if (p < 0) return;
        sizes[p]!++;
        const from = (i % dataset.items.length) * SIDE * SIDE;
        for (let k = 0; k < SIDE * SIDE; k++) sums[p * SIDE * SIDE + k]! += pixels[from + k]!;
      });
      const means = Uint8Array.from(sums, (sum, k) =>
        Math.round(sum / Math.max(1, sizes[Math.floor(k / (SIDE * SIDE))]!)),
      );
      await store.saveAverageImages(clusteringId, {
        patternId: Int32Array.from({ length: patterns }, (_, p) => p),
        width: SIDE,
        height: SIDE,
        channels: 1,
        pixels: means,
      });
    }
    await store.setRunStatus(runId, 'complete');
    return { runId };
  } finally {
    await store.close();
  }
}

/** Milliseconds since navigation start when `predicate` first holds in the page. */
async function timeUntil(page: Page, predicate: string): Promise<number> {
  await page.waitForFunction(predicate, undefined, { timeout: 60_000, polling: 'raf' });
  return page.evaluate<number>('performance.now()');
}

const CARDS_SHOWN =
  "document.querySelectorAll('article.card').length > 0 && document.querySelector('.summary-line') !== null";
const IMAGES_LOADED = `(() => { const imgs = [...document.querySelectorAll('img')].filter((img) => { const r = img.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }); return imgs.length > 0 && imgs.every((img) => img.complete); })()`;

async function measureLayer(browser: Browser, url: string): Promise<{ cards: number; images: number }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  const cards = await timeUntil(page, CARDS_SHOWN);
  const images = await timeUntil(page, IMAGES_LOADED);
  await context.close();
  return { cards, images };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      inputs: { type: 'string', default: '10000' },
      patterns: { type: 'string', default: '150' },
      repeats: { type: 'string', default: '5' },
      store: { type: 'string' },
      run: { type: 'string' },
      layer: { type: 'string' },
    },
  });
  const inputs = Number(values.inputs);
  const patterns = Number(values.patterns);
  const repeats = Math.max(1, Number(values.repeats));
  let file = values.store;
  let runId = values.run === undefined ? 1 : Number(values.run);
  let layer = values.layer ?? 'dense';
  if (file === undefined) {
    file = path.join(tmpdir(), `nap-bench-app-${inputs}-${patterns}.duckdb`);
    if (existsSync(file)) console.log(`store: ${file} (reused)`);
    else {
      const started = performance.now();
      ({ runId } = await synthesizeStore(file, inputs, patterns));
      console.log(
        `store: ${file} synthesized in ${ms(performance.now() - started)} (${inputs} inputs, ${patterns} patterns x ${LAYERS.length} layers)`,
      );
    }
    layer = values.layer ?? 'dense';
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'nap-bench-app-'));
  const appDir = path.join(dir, 'app');
  await buildApp(appDir);
  const starting = performance.now();
  const server = await startServer({ store: file, port: 0, appDir, thumbnailCacheDir: path.join(dir, 'thumbnails') });
  console.log(`server: listening after ${ms(performance.now() - starting)} (the store opened and its newest run read)`);
  const browser = await launchChromium();
  try {
    const url = `${server.url}/?run=${runId}&layer=${encodeURIComponent(layer)}`;
    console.log(`layer view: ${url} (Chromium ${browser.version()})`);
    const cold = await measureLayer(browser, url);
    console.log(
      `first render, cold server and browser: cards ${ms(cold.cards)}, visible thumbnails loaded ${ms(cold.images)}`,
    );
    const warm: { cards: number; images: number }[] = [];
    for (let i = 0; i < repeats; i++) warm.push(await measureLayer(browser, url));
    console.log(
      `first render, warm server, fresh browser context (median of ${repeats}): cards ${ms(median(warm.map((w) => w.cards)))}, visible thumbnails loaded ${ms(median(warm.map((w) => w.images)))}`,
    );

    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(url);
    await page.waitForFunction(CARDS_SHOWN);
    const count = await page.evaluate<number>("document.querySelectorAll('article.card').length");
    const scrollStart = performance.now();
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await page.waitForFunction(
      `(() => { const cells = [...document.querySelectorAll('.card-grid [data-cell]')]; const total = Number(document.querySelector('.summary-line strong').textContent.replace(/[^0-9]/g, '')); return cells.some((c) => Number(c.dataset.cell) === total - 1); })()`,
    );
    console.log(
      `card grid: ${count} cards in the DOM at the top; scrolled to the last card in ${ms(performance.now() - scrollStart)}`,
    );

    const largest = await page.evaluate<string>(
      `[...document.querySelectorAll('article.card')].map((card) => [card.querySelector('.card-size').textContent, card.querySelector('.card-title').getAttribute('href')]).sort((a, b) => parseInt(b[0].replace(/,/g, '')) - parseInt(a[0].replace(/,/g, '')))[0][1]`,
    );
    const patternStart = performance.now();
    await page.goto(`${server.url}${largest}`);
    await page.waitForFunction(
      "document.querySelectorAll('.member-grid .tile[aria-label]').length > 0 && document.querySelector('.unit-chart canvas') !== null",
    );
    const tiles = await page.evaluate<number>("document.querySelectorAll('.member-grid .tile').length");
    const members = await page.evaluate<string>("document.querySelector('#members-title .count').textContent");
    console.log(
      `pattern page of the largest pattern (${members} members): members and statistics in ${ms(performance.now() - patternStart)}, ${tiles} tiles in the DOM`,
    );
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
