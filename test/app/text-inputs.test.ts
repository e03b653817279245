/**
 * A run without images in a real browser: BERT analysed over a CSV text column (one text longer than a
 * tile shows). Over `nap serve` and over a static export, a pattern's gallery and the label-errors view
 * show each input's text in its tile (cut to the tile, whole in the tooltip) and ask for no thumbnail; the
 * pattern's most distinctive words stand where an average image would be.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { runExportCommand } from '../../src/cli/commands/export.js';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { triageToSave } from '../../src/engine/triage-save.js';
import { scoreRun } from '../../src/engine/triage-scores.js';
import { NapStore } from '../../src/io/store/index.js';
import type { PatternWordsResponse } from '../../src/results/api-types.js';
import { wordsOf } from '../../src/results/pattern-words.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { buildApp, launchChromium, REPO_ROOT } from './fixture.js';
import { serveFolder, type StaticServer } from './static-server.js';

const LONG = `the cat and the dog ${'sat on the mat in the park '.repeat(8)}at the end`;

let dir: string;
let run: AnalyzeResult;
/** Each input's text by input index. */
let texts: Map<number, string>;
/** The layer and pattern whose gallery is opened, and its members. */
let layer: string;
let clusteringId: number;
let patternId: number;
let members: number[];
let server: RunningServer;
let host: StaticServer;
let browser: Browser;
const pageErrors: string[] = [];
/** Thumbnail requests of every page: none is expected. */
const thumbnails: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-text-inputs-'));
  const csv = path.join(dir, 'sentences.csv');
  const rows = await readFile(path.join(REPO_ROOT, 'test/fixtures/text/sentences.csv'), 'utf8');
  await writeFile(csv, `${rows.trimEnd()}\n${LONG},animal\n`);
  const store = path.join(dir, 'nap.duckdb');
  const appDir = path.join(dir, 'app');
  [run] = await Promise.all([
    analyze({
      model: path.join(REPO_ROOT, 'test/fixtures/text/tiny-bert.onnx'),
      data: csv,
      out: store,
      tensorData: {
        textColumn: 'text',
        tokenizer: path.join(REPO_ROOT, 'test/fixtures/text/wordpiece/tokenizer.json'),
        maxLength: 16,
      },
      threads: 1,
      projection: 'pca',
      clustering: { minClusterSize: 2, minSamples: 2 },
      name: 'bert text',
    }),
    buildApp(appDir),
  ]);
  const napStore = await NapStore.open(store);
  try {
    texts = new Map((await napStore.readInputContents(run.runId)).map((c) => [c.inputIndex, c.text!]));
    // The largest pattern of any layer.
    members = [];
    for (const summary of run.layers) {
      const memberships = await napStore.readMemberships(summary.clusteringId);
      for (let pattern = 0; pattern < summary.patterns; pattern++) {
        const inputs = Array.from(memberships.inputIndex).filter((_, row) => memberships.patternId[row] === pattern);
        if (inputs.length > members.length)
          [layer, clusteringId, patternId, members] = [summary.layer, summary.clusteringId, pattern, inputs];
      }
    }
    await napStore.saveTriage(triageToSave(await scoreRun(napStore, run.runId, { k: 3 })));
  } finally {
    await napStore.close();
  }
  assert.equal(texts.size, 13);
  assert.ok(members.length >= 2, `a pattern among ${run.layers.map((l) => `${l.layer}: ${l.patterns}`).join(', ')}`);
  const site = path.join(dir, 'site');
  const log = console.log;
  console.log = () => undefined;
  try {
    assert.equal(await runExportCommand(['--static', site, store, '--app-dir', appDir]), 0);
  } finally {
    console.log = log;
  }
  await assert.rejects(stat(path.join(site, 'data/images/thumbnails')), 'no thumbnails exported for texts');
  server = await startServer({ store, port: 0, appDir, thumbnailCacheDir: false });
  host = await serveFolder(site);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await host?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
  assert.deepEqual(thumbnails, [], 'no thumbnail asked for');
});

/**
 * The tooltip content of `tile` once hovered. The page scrolls to the tile (the pattern page is taller than
 * the window) and a scroll hides the tooltip (Tooltip.tsx), so a tooltip hidden by the page still settling
 * is hovered for again; one that never shows still fails.
 */
async function hoveredContent(page: Page, tile: Locator): Promise<string | null> {
  const tooltip = page.locator('.tooltip dd.content');
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(0, 0);
    await tile.hover();
    try {
      await tooltip.waitFor({ timeout: 3000 });
      return await tooltip.textContent();
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (/thumbnail/.test(request.url())) thumbnails.push(request.url());
  });
  await page.goto(url);
  return page;
}

/** The tiles' texts under `scope` once `count` of them show, and that none is an image. */
async function tileTexts(page: Page, scope: string, count: number): Promise<string[]> {
  const tiles = page.locator(`${scope} .tile`);
  await page
    .locator(`${scope} .tile .tile-text`)
    .nth(count - 1)
    .waitFor();
  assert.equal(await tiles.count(), count);
  assert.equal(await page.locator(`${scope} .tile img`).count(), 0, 'no image in a text tile');
  return page.locator(`${scope} .tile .tile-text`).allTextContents();
}

/** A pattern's members show their texts; the long one is cut in the tile and whole in its tooltip. */
async function checkPatternGallery(base: string): Promise<void> {
  const page = await openPage(
    `${base}?view=pattern&run=${run.runId}&layer=${encodeURIComponent(layer)}&p=${patternId}`,
  );
  await page.locator('#members-title .count', { hasText: new RegExp(`^${members.length}$`) }).waitFor();
  const shown = await tileTexts(page, '.member-grid', members.length);
  const expected = members.map((input) => texts.get(input)!);
  assert.deepEqual(
    [...shown].sort(),
    expected.map((text) => (text.length > 120 ? `${text.slice(0, 120)}…` : text)).sort(),
  );
  const words = page.locator('.average-frame .pattern-words[data-state="ready"]');
  await words.waitFor();
  const response = await fetch(`${server.url}/api/clusterings/${clusteringId}/words`);
  const { patterns } = (await response.json()) as PatternWordsResponse;
  const distinct = patterns[patternId]!.word;
  assert.ok(distinct.length > 0, 'the pattern has words of its own');
  const memberWords = new Set(members.flatMap((input) => [...wordsOf(texts.get(input)!)]));
  assert.ok(
    distinct.every((word) => memberWords.has(word)),
    `words of the pattern's texts: ${distinct.join(' ')}`,
  );
  const listed = await words.locator('.word').allTextContents();
  assert.deepEqual(listed, distinct.slice(0, listed.length));
  assert.ok(listed.length >= Math.min(distinct.length, 5), `${listed.length} words shown`);
  const content = await hoveredContent(page, page.locator('.member-grid .tile').first());
  assert.ok(content !== null && expected.includes(content), `tooltip shows a member's whole text: ${content}`);
  await page.close();
}

test('nap serve: a pattern gallery shows its members as texts, whole on hover', async () => {
  await checkPatternGallery(server.url + '/');
});

test('nap serve: the label-errors view shows each lead as its text', async () => {
  const page = await openPage(`${server.url}/?view=label-errors&run=${run.runId}`);
  const rows = page.locator('.label-errors-table tbody tr[data-input]');
  await rows.first().waitFor();
  const count = await rows.count();
  const shown = await tileTexts(page, '.label-errors-table', count);
  const inputs = (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-input')))).map(Number);
  const cut = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);
  assert.deepEqual(
    shown,
    inputs.map((input) => cut(texts.get(input)!)),
  );
  const long = inputs.findIndex((input) => texts.get(input) === LONG);
  assert.ok(long >= 0, 'the long text is a lead');
  assert.equal(shown[long], `${LONG.slice(0, 120)}…`);
  await page.close();
});

test('static export: a pattern gallery shows its members as texts, without thumbnails', async () => {
  await checkPatternGallery(`${host.url}/index.html`);
});
