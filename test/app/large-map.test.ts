/**
 * The app over a big run (200,000 synthetic inputs, test/helpers/synthetic-store.ts) in headless Chromium:
 * the map draws its points as a density picture past DENSITY_POINTS points in view and as discs once
 * zoomed in, hovering still finds a point's input in density mode, and galleries page: a box around the
 * whole map selects every input, but the gallery renders and asks thumbnails only for the tiles near the
 * viewport, and a big pattern's members arrive a page at a time. Timings are in scripts/bench-scatter.ts
 * (--store) and scripts/bench-server.ts (--store), not here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SHEET_CELLS } from '../../src/results/sprites.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { synthesizeStore } from '../helpers/synthetic-store.js';
import { buildApp, launchChromium } from './fixture.js';

/** Past DENSITY_POINTS (app/src/charts/scatter-gl.ts, 150,000) when the whole map is in view. */
const INPUTS = 200_000;
const PATTERNS = 60;
const LAYER = 'dense';

let dir: string;
let server: RunningServer;
let browser: Browser;
let runId: number;
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-large-map-test-'));
  const store = path.join(dir, 'big.duckdb');
  const appDir = path.join(dir, 'app');
  const [written] = await Promise.all([
    synthesizeStore(store, {
      inputs: INPUTS,
      patterns: PATTERNS,
      layers: [{ name: LAYER, units: 8 }],
      projections: true,
    }),
    buildApp(appDir),
  ]);
  runId = written.runId;
  server = await startServer({ store, port: 0, appDir, thumbnailCacheDir: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

async function openMap(page: Page): Promise<void> {
  await page.goto(`${server.url}/?view=map&run=${runId}&layer=${LAYER}`);
  await page.locator('.scatter-canvas[data-view]').waitFor();
  await page.locator('.map-legend-entry', { hasText: 'Pattern 0' }).waitFor();
}

/** The render mode once the view has rested (the density picture is binned again after a pause). */
async function restedMode(page: Page): Promise<string | null> {
  await page.waitForTimeout(400);
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  return page.locator('.scatter-canvas').getAttribute('data-render-mode');
}

test('past the threshold the map is a density picture, hover finds inputs, and zoomed in it draws discs', async () => {
  const page = await newPage();
  await openMap(page);
  const canvas = page.locator('.scatter-canvas');
  assert.equal(await canvas.getAttribute('data-points'), String(INPUTS));
  assert.equal(await restedMode(page), 'density');

  // The picture is not blank: coloured cells where the islands are.
  const png = await page.locator('.scatter').screenshot();
  assert.ok(png.length > 20_000, `a picture with content (${png.length} bytes of PNG)`);

  // Hover over the middle of the map: in density mode the point under the cursor is still found.
  const box = (await canvas.boundingBox())!;
  let found = false;
  for (const [fx, fy] of [
    [0.5, 0.5],
    [0.4, 0.45],
    [0.6, 0.55],
    [0.3, 0.6],
  ] as const) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
    if (
      await page
        .locator('.tooltip .map-tip')
        .waitFor({ timeout: 5_000 })
        .then(() => true)
        .catch(() => false)
    ) {
      found = true;
      break;
    }
  }
  assert.ok(found, 'hovering the map shows the input under the cursor');
  assert.match((await page.locator('.tooltip .map-tip').textContent()) ?? '', /#\d+/);

  // Zoomed in six steps (about 11 times), far fewer points are in view: discs again.
  await page.mouse.move(2, 2);
  await canvas.focus();
  for (let i = 0; i < 6; i++) await page.keyboard.press('+');
  const zoomed = await restedMode(page);
  assert.ok(zoomed === 'direct' || zoomed === 'cached', `discs when zoomed in, not ${zoomed}`);
  // And back out: the density picture again.
  await page.keyboard.press('0');
  assert.equal(await restedMode(page), 'density');
  await page.close();
});

test('a box around the whole map selects every input, and the gallery asks only for what it shows', async () => {
  const page = await newPage();
  const sheetInputs: number[] = [];
  page.on('request', (request) => {
    if (!request.url().includes('/thumbnails.png')) return;
    const index = new URL(request.url()).searchParams.get('index') ?? '';
    sheetInputs.push(index.split(',').length);
  });
  await openMap(page);
  await page.getByRole('button', { name: 'Box' }).click();
  const box = (await page.locator('.scatter-canvas').boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height - 2, { steps: 10 });
  await page.mouse.up();
  const gallery = page.locator('.map-gallery');
  await gallery.locator('.count', { hasText: '200,000' }).waitFor();
  // The gallery lies below the map: its tiles are rendered once it is scrolled into view.
  await page.locator('.map-gallery-grid').scrollIntoViewIfNeeded();
  await gallery.locator('.tile').first().waitFor();
  await page.waitForTimeout(500);
  const tiles = await gallery.locator('.tile').count();
  assert.ok(tiles > 0 && tiles < 2_000, `${tiles} tiles in the DOM for 200,000 selected inputs`);
  const asked = sheetInputs.reduce((a, b) => a + b, 0);
  assert.ok(asked <= 20 * SHEET_CELLS, `${asked} thumbnails asked for, in ${sheetInputs.length} sheets`);
  await page.close();
});

test("a big pattern's members arrive a page at a time as its gallery scrolls", async () => {
  const page = await newPage();
  const limits: number[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (/\/patterns\/-?\d+\/members$/.test(url.pathname)) limits.push(Number(url.searchParams.get('limit')));
  });
  // Pattern 0 of the only clustering holds a few thousand inputs.
  await page.goto(`${server.url}/?view=pattern&run=${runId}&layer=${LAYER}&p=0`);
  const grid = page.locator('.member-grid');
  await grid.locator('.tile[aria-label]').first().waitFor();
  const total = Number(((await page.locator('#members-title .count').textContent()) ?? '').replace(/[^0-9]/g, ''));
  assert.ok(total > 1_000, `pattern 0 holds ${total} members`);
  const before = limits.length;
  await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
  await page.waitForTimeout(1_000);
  assert.ok(limits.length > before, 'scrolling asked for more pages');
  assert.ok(
    limits.every((limit) => limit > 0 && limit < total),
    `pages of ${[...new Set(limits)].join(', ')} members, never all ${total}`,
  );
  assert.ok((await grid.locator('.tile').count()) < 2_000, 'only the tiles near the viewport are in the DOM');
  await page.close();
});
