/**
 * Runs whose inputs are rows of numbers (test/helpers/numeric-runs.ts), in a real browser and as files.
 * Galleries show each row drawn (a sparkline over a heat strip) or, with --image-column, the image named
 * for the row, as thumbnails from sprite sheets, over `nap serve` and over a static export; a pattern's
 * average is the drawn mean of its rows with a band of ± one standard deviation, or the mean of the named
 * images. The pictures are checked pixel for pixel against the stored rows and the images' colours.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { drawSeries } from '../../src/compute/series-image.js';
import { exportStaticSite } from '../../src/engine/export-static.js';
import { apiPaths } from '../../src/results/routes.js';
import { blockCell, cellOf, memberSheetOrder, sheetGrid, type SheetGrid } from '../../src/results/sprites.js';
import { staticPaths, type SheetKind, type StaticResults } from '../../src/results/static/layout.js';
import type { MembershipRows, RunsResponse } from '../../src/results/api-types.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { differing, makeNumericRuns, meanRow, SHAPE_COLOURS, type NumericRuns } from '../helpers/numeric-runs.js';
import { buildApp, launchChromium } from './fixture.js';
import { serveFolder, type StaticServer } from './static-server.js';

/** A pattern of a run's first layer clustering and its members. */
interface Gallery {
  layer: string;
  clusteringId: number;
  patternId: number;
  members: number[];
  memberships: MembershipRows;
}

let dir: string;
let runs: NumericRuns;
let server: RunningServer;
let sites: { series: StaticServer; images: StaticServer };
let browser: Browser;
let galleries: { series: Gallery; images: Gallery };
const pageErrors: string[] = [];

async function api<T>(route: string): Promise<T> {
  const response = await fetch(server.url + route);
  assert.equal(response.status, 200, `${route}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function png(url: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return rawPixels(Buffer.from(await response.arrayBuffer()));
}

async function rawPixels(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Cell `cell` (side x side RGB) of a sheet of `cells` images. */
function sheetCell(sheet: { data: Buffer; width: number }, grid: SheetGrid, cell: number, side: number): Uint8Array {
  const { column, row } = cellOf(grid, cell);
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    const from = ((row * side + y) * sheet.width + column * side) * 3;
    out.set(sheet.data.subarray(from, from + side * 3), y * side * 3);
  }
  return out;
}

/** The largest pattern of the run's first layer clustering. */
async function largestPattern(runId: number): Promise<Gallery> {
  const { runs: all } = await api<RunsResponse>(apiPaths.runs());
  const layer = all.find((run) => run.runId === runId)!.layers[0]!;
  const clusteringId = layer.clusterings.find((c) => c.unit === null)!.clusteringId;
  const memberships = await api<MembershipRows>(apiPaths.memberships(clusteringId));
  let best: Gallery | null = null;
  for (let patternId = 0; ; patternId++) {
    const members = Array.from(memberships.inputIndex).filter((_, row) => memberships.patternId[row] === patternId);
    if (members.length === 0) break;
    if (best === null || members.length > best.members.length)
      best = { layer: layer.layer, clusteringId, patternId, members, memberships };
  }
  assert.ok(best !== null && best.members.length >= 2, `a pattern in ${layer.layer}`);
  return best;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-numeric-inputs-'));
  const appDir = path.join(dir, 'app');
  [runs] = await Promise.all([makeNumericRuns(dir), buildApp(appDir)]);
  const exported = (runId: number, name: string) =>
    exportStaticSite({ store: runs.store, out: path.join(dir, name), appDir, runId });
  await exported(runs.seriesRun, 'series-site');
  await exported(runs.imagesRun, 'images-site');
  server = await startServer({ store: runs.store, port: 0, appDir, thumbnailCacheDir: false });
  sites = {
    series: await serveFolder(path.join(dir, 'series-site')),
    images: await serveFolder(path.join(dir, 'images-site')),
  };
  galleries = { series: await largestPattern(runs.seriesRun), images: await largestPattern(runs.imagesRun) };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await sites?.series.close();
  await sites?.images.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

test('nap serve draws each row of numbers in its thumbnails, and a pattern average as the mean row with its band', async () => {
  const { clusteringId, patternId, members } = galleries.series;
  const side = 64;
  const sheet = await png(server.url + apiPaths.thumbnailSheet(runs.seriesRun, members, side));
  members.forEach((input, k) => {
    const expected = drawSeries(runs.rows[input]!, side);
    assert.equal(differing(sheetCell(sheet, sheetGrid(members.length), k, side), expected), 0, `input ${input}`);
  });
  const average = await png(server.url + apiPaths.averageImage(clusteringId, patternId));
  assert.deepEqual([average.width, average.height], [96, 96]);
  const { mean, low, high } = meanRow(members.map((input) => runs.rows[input]!));
  // Float sums in another order may put a pixel of the line one row off.
  const off = differing(average.data, drawSeries(mean, 96, { low, high }));
  assert.ok(off <= 96, `${off} pixels differ from the mean row drawn`);
  assert.ok(differing(average.data, drawSeries(mean, 96)) > 96, 'the band is drawn');
});

test('nap serve shows the image named for each row, and a pattern average as the mean of its images', async () => {
  const { clusteringId, patternId, members } = galleries.images;
  const side = 32;
  const sheet = await png(server.url + apiPaths.thumbnailSheet(runs.imagesRun, members, side));
  members.forEach((input, k) => {
    const cell = sheetCell(sheet, sheetGrid(members.length), k, side);
    const colour = SHAPE_COLOURS[runs.shapes[input]!];
    for (let at = 0; at < cell.length; at += 3 * 97) {
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(cell[at + c]! - colour[c]!) <= 1, `input ${input} at ${at}`);
    }
  });
  const average = await png(server.url + apiPaths.averageImage(clusteringId, patternId));
  const expected = [0, 1, 2].map(
    (c) => members.reduce((sum, input) => sum + SHAPE_COLOURS[runs.shapes[input]!][c]!, 0) / members.length,
  );
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(average.data[c]! - expected[c]!) <= 1, `channel ${c}`);
});

test('a static export holds the drawn rows as member sheets and the drawn averages', async () => {
  const { clusteringId, patternId, memberships } = galleries.series;
  const data = path.join(dir, 'series-site', 'data');
  const order = memberSheetOrder(memberships.patternId, memberships.inputIndex);
  const results = JSON.parse(await readFile(path.join(data, 'results.json'), 'utf8')) as StaticResults;
  const image = async (kind: SheetKind, position: number, side: number) => {
    const sequence = results.sheets[kind];
    const { sheet, grid, cell } = blockCell(position, sequence.count, sequence.cells);
    const pixels = await rawPixels(await readFile(path.join(data, staticPaths.sheet(kind, sheet))));
    assert.equal(pixels.width, grid.columns * side, `${kind} sheet ${sheet}: ${grid.columns} cells of ${side} pixels`);
    return sheetCell(pixels, grid, cell, side);
  };
  const [first, count] = results.sheets.members.parts[clusteringId]!;
  assert.equal(count, order.length);
  for (const [k, row] of order.slice(0, 256).entries()) {
    const input = memberships.inputIndex[row]!;
    assert.equal(
      differing(await image('members', first + k, 64), drawSeries(runs.rows[input]!, 64)),
      0,
      `input ${input}`,
    );
  }
  const served = await png(server.url + apiPaths.averageImage(clusteringId, patternId));
  const [firstAverage] = results.sheets.average.parts[clusteringId]!;
  const average = firstAverage + results.averageImages[clusteringId]!.indexOf(patternId);
  assert.equal(differing(await image('average', average, 96), served.data), 0);
});

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  return page;
}

/** A pattern page shows every member as a drawn thumbnail (no text) and the pattern's average. */
async function checkGallery(base: string, runId: number, gallery: Gallery): Promise<void> {
  const { layer, patternId, members } = gallery;
  const page = await openPage(`${base}?view=pattern&run=${runId}&layer=${encodeURIComponent(layer)}&p=${patternId}`);
  await page.locator('#members-title .count', { hasText: new RegExp(`^${members.length}$`) }).waitFor();
  const ready = page.locator('.member-grid .tile .thumb[data-state="ready"]');
  await ready.nth(members.length - 1).waitFor();
  assert.equal(await page.locator('.member-grid .tile').count(), members.length);
  assert.equal(await page.locator('.member-grid .tile-text').count(), 0, 'no text tile');
  const average = page.locator('.average-frame .average');
  await average.waitFor();
  // A served average is an <img> of its own; an exported one a cell of a sheet.
  await page.waitForFunction(`(() => {
    const shown = document.querySelector('.average-frame .average');
    return shown instanceof HTMLImageElement
      ? shown.complete && shown.naturalWidth > 0
      : shown?.getAttribute('data-state') === 'ready';
  })()`);
  await page.close();
}

test('nap serve: a pattern gallery of rows of numbers shows them drawn', async () => {
  await checkGallery(server.url + '/', runs.seriesRun, galleries.series);
});

test('static export: a pattern gallery of rows of numbers shows them drawn', async () => {
  await checkGallery(`${sites.series.url}/index.html`, runs.seriesRun, galleries.series);
});

test('nap serve: a pattern gallery of rows with named images shows the images', async () => {
  await checkGallery(server.url + '/', runs.imagesRun, galleries.images);
});

test('static export: a pattern gallery of rows with named images shows the images', async () => {
  await checkGallery(`${sites.images.url}/index.html`, runs.imagesRun, galleries.images);
});
