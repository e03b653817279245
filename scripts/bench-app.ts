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
import { startServer } from '../src/server/index.js';
import { buildApp, launchChromium } from '../test/app/fixture.js';
import { DEFAULT_LAYERS as LAYERS, synthesizeStore } from '../test/helpers/synthetic-store.js';

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
      ({ runId } = await synthesizeStore(file, { inputs, patterns }));
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
