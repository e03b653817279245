/**
 * Thumbnails from sprite sheets (issue 19 item 6), in the served app: a gallery page of 200+ images costs
 * at most 3 image requests, and after a fast programmatic scroll no visible tile is still blank 500 ms
 * after the scrolling stops (fetches for tiles that scrolled away are dropped on the way).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { NapStore } from '../../src/io/store/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { buildApp, launchChromium } from './fixture.js';

const INPUTS = 3000;
let dir: string;
let run: AnalyzeResult;
/** The largest group of the pool layer (a pattern, or noise) and its size. */
let gallery: { patternId: number; members: number };
let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-sprite-sheets-'));
  const appDir = path.join(dir, 'app');
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const storePath = path.join(dir, 'nap.duckdb');
  [run] = await Promise.all([
    analyze({ model, data: 'mnist', out: storePath, limit: INPUTS, layers: [TINY.pool], projection: 'none' }),
    buildApp(appDir),
  ]);
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const memberships = await store.readMemberships(run.layers[0]!.clusteringId);
    const sizes = new Map<number, number>();
    for (const patternId of memberships.patternId) sizes.set(patternId, (sizes.get(patternId) ?? 0) + 1);
    const [patternId, members] = [...sizes].sort((a, b) => b[1] - a[1])[0]!;
    gallery = { patternId, members };
  } finally {
    await store.close();
  }
  server = await startServer({ store: storePath, port: 0, appDir, thumbnailCacheDir: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

interface ImageRequests {
  thumbnails: string[];
  all: string[];
  aborted: string[];
}

async function openGallery(): Promise<{ page: Page; requests: ImageRequests }> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const requests: ImageRequests = { thumbnails: [], all: [], aborted: [] };
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!url.pathname.endsWith('.png')) return;
    requests.all.push(url.pathname + url.search);
    if (/\/thumbnails?\.png$/.test(url.pathname)) requests.thumbnails.push(url.pathname + url.search);
  });
  page.on('requestfailed', (request) => requests.aborted.push(request.url()));
  await page.goto(`${server.url}/?view=pattern&run=${run.runId}&layer=${TINY.pool}&p=${gallery.patternId}&order=input`);
  return { page, requests };
}

/** Cells of the member grid inside the viewport, and how many of them show a drawn thumbnail. */
function visibleTiles(page: Page): Promise<{ visible: number; ready: number }> {
  return page.evaluate(`(() => {
    const cells = [...document.querySelectorAll('.member-grid .vgrid-cell')].filter((cell) => {
      const box = cell.getBoundingClientRect();
      return box.bottom > 0 && box.top < window.innerHeight;
    });
    const ready = cells.filter((cell) => cell.querySelector('.thumb[data-state="ready"]') !== null);
    return { visible: cells.length, ready: ready.length };
  })()`);
}

test('a gallery page of 200+ images costs at most 3 image requests', async () => {
  assert.ok(gallery.members >= 1000, `the gallery has ${gallery.members} images, enough to scroll`);
  const { page, requests } = await openGallery();
  await page.waitForFunction(`(() => {
    const thumbs = [...document.querySelectorAll('.member-grid .tile .thumb')];
    return thumbs.length >= 200 && thumbs.every((thumb) => thumb.dataset.state === 'ready');
  })()`);
  const shown = await page.locator('.member-grid .tile .thumb').count();
  assert.ok(shown >= 200, `${shown} thumbnails on the first page`);
  assert.ok(
    requests.thumbnails.length <= 3,
    `${shown} thumbnails cost ${requests.thumbnails.length} requests: ${requests.thumbnails.join(' ')}`,
  );
  assert.ok(requests.all.length <= 4, `images in all (the average image included): ${requests.all.join(' ')}`);
  assert.ok(
    requests.thumbnails.every((url) => url.includes('/thumbnails.png?')),
    'sheets, never one request per thumbnail',
  );
  await page.close();
});

test('after a fast scroll, no visible tile is blank 500 ms after scrolling stops', async () => {
  const { page, requests } = await openGallery();
  // The noise page's panels above the gallery may push it below the window: bring it into view first.
  await page.locator('.member-grid').scrollIntoViewIfNeeded();
  await page.locator('.member-grid .tile .thumb[data-state="ready"]').first().waitFor();
  // A fling: 30 steps, one per frame, over 80% of the gallery (tiles appear and leave on the way).
  await page.evaluate(`(async () => {
    const step = (0.8 * (document.documentElement.scrollHeight - window.innerHeight)) / 30;
    for (let k = 0; k < 30; k++) {
      window.scrollBy(0, step);
      await new Promise(requestAnimationFrame);
    }
  })()`);
  const stoppedAt = await page.evaluate<number>('window.scrollY');
  assert.ok(stoppedAt > 2500, `scrolled to ${stoppedAt}px: every tile now in view is new`);
  await page.waitForTimeout(500);
  const tiles = await visibleTiles(page);
  assert.ok(tiles.visible >= 100, `${tiles.visible} tiles in view`);
  assert.equal(tiles.ready, tiles.visible, `500 ms after the scroll stopped: ${tiles.ready} of ${tiles.visible} drawn`);
  console.log(
    `sprite sheets: ${requests.thumbnails.length} sheet requests for the fling, ${requests.aborted.length} dropped on the way`,
  );
  await page.close();
});
