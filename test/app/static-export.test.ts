/**
 * `nap export --static`: the exported folder, served by a plain static file server (files only, no API),
 * opens in headless Chromium in static mode: deep links to patterns, counts and names, images, filters
 * answered from the exported tables exactly as the server answers them, flow, label-error and heatmap views
 * (member heatmaps included); and the exporter's refusals.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { runExportCommand } from '../../src/cli/commands/export.js';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { exportStaticSite } from '../../src/engine/export-static.js';
import { computePatternHeatmaps } from '../../src/engine/heatmaps.js';
import { triageToSave } from '../../src/engine/triage-save.js';
import { scoreRun } from '../../src/engine/triage-scores.js';
import { decodeTable } from '../../src/results/codec/arrow-decode.js';
import { FILE_TABLES } from '../../src/results/codec/tables.js';
import { storeResults } from '../../src/results/node/duckdb-reader.js';
import { NotesFile, notesPathOf } from '../../src/results/node/notes-file.js';
import { NOTES_STATIC_FILE, type NotesDocument } from '../../src/results/notes.js';
import {
  STATIC_FORMAT,
  STATIC_RESULTS_FILE,
  staticPaths,
  type StaticManifest,
  type StaticResults,
} from '../../src/results/static/layout.js';
import { memberSheetOrder } from '../../src/results/sprites.js';
import { MEAN_HEATMAP } from '../../src/results/tables.js';
import { CancelledError, InputError } from '../../src/errors.js';
import { NapStore, type MembershipColumns, type StoredInputs } from '../../src/io/store/index.js';
import { type HeatmapsResponse, type MembersResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';
import { buildApp, launchChromium } from './fixture.js';
import { serveFolder, type StaticServer } from './static-server.js';

const INPUTS = 200;
/** The input whose decision the sidecar holds when the site is exported. */
const EXPORTED_DECISION = 5;
let dir: string;
let appDir: string;
let storePath: string;
let site: string;
let run: AnalyzeResult;
let inputs: StoredInputs;
const memberships = new Map<string, MembershipColumns>();
/** Ranked inputs of the run's saved triage. */
let labelErrorsTotal: number;
/** The relu layer's stored heatmaps: one mean per pattern and the members'. */
let reluHeatmaps: { means: number; members: number };
let host: StaticServer;
let browser: Browser;
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-static-export-'));
  appDir = path.join(dir, 'app');
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  storePath = path.join(dir, 'nap.duckdb');
  [run] = await Promise.all([
    analyze({
      model,
      data: 'mnist',
      out: storePath,
      limit: INPUTS,
      layers: [TINY.relu, TINY.pool, TINY.logits],
      name: 'tiny static',
    }),
    buildApp(appDir),
  ]);
  const store = await NapStore.open(storePath);
  try {
    await computePatternHeatmaps(store, { runId: run.runId, layer: TINY.relu });
    inputs = await store.readInputs(run.runId);
    for (const layer of run.layers) memberships.set(layer.layer, await store.readMemberships(layer.clusteringId));
    const { tables } = storeResults(store);
    const relu = run.layers.find((l) => l.layer === TINY.relu)!;
    const index = await tables.heatmapIndex(relu.clusteringId);
    const means = index.inputIndex.filter((input) => input === MEAN_HEATMAP).length;
    reluHeatmaps = { means, members: index.inputIndex.length - means };
    await store.saveTriage(triageToSave(await scoreRun(store, run.runId, { k: 5 })));
    labelErrorsTotal = (await storeResults(store).labelErrors({ runId: run.runId })).total;
  } finally {
    await store.close();
  }
  // A decision and a tag kept beside the results go with the site.
  const notes = new NotesFile(notesPathOf(storePath));
  await notes.change({ op: 'decide', runId: run.runId, input: EXPORTED_DECISION, decision: 'fine', label: null });
  await notes.change({ op: 'decide', runId: run.runId + 1, input: 1, decision: 'fine', label: null });
  site = path.join(dir, 'site');
  const log = console.log;
  console.log = () => undefined;
  try {
    assert.equal(await runExportCommand(['--static', site, storePath, '--app-dir', appDir]), 0);
  } finally {
    console.log = log;
  }
  host = await serveFolder(site);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

async function openPage(query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${host.url}/index.html${query}`);
  return page;
}

/** Every file under a folder, relative, with '/' separators. */
async function filesUnder(folder: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(path.join(folder, entry.name), relative)));
    else out.push(relative);
  }
  return out;
}

function membersOf(layer: string, patternId: number): number[] {
  const m = memberships.get(layer)!;
  return Array.from(m.inputIndex).filter((_, row) => m.patternId[row] === patternId);
}

test('the export is the app, a manifest, data files with plain names, and every image', async () => {
  const manifest = JSON.parse(await readFile(path.join(site, 'data', 'manifest.json'), 'utf8')) as StaticManifest;
  assert.equal(manifest.format, STATIC_FORMAT);
  assert.equal(manifest.runId, run.runId);
  assert.equal(manifest.inputCount, INPUTS);
  assert.equal(manifest.thumbnailSize, 28, 'the digits at their own size, 28 pixels: never stretched to 64');
  const html = await readFile(path.join(site, 'index.html'), 'utf8');
  assert.match(html, /<meta name="nap-static-data" content="data\/">/);
  const files = await filesUnder(site);
  for (const file of files) assert.match(file, /^[A-Za-z0-9_./-]+$/, `${file} has a plain name`);
  // Images are sprite sheets of 256: one file per 256 thumbnails, members, average images or heatmaps.
  assert.deepEqual(
    files.filter((f) => f.startsWith('data/images/thumbnails/')),
    ['data/images/thumbnails/0.png'],
  );
  const thumbnails = await sharp(path.join(site, 'data', staticPaths.sheet('thumbnails', 0))).metadata();
  assert.deepEqual([thumbnails.width, thumbnails.height], [16 * 28, Math.ceil(INPUTS / 16) * 28]);
  const results = JSON.parse(await readFile(path.join(site, 'data', STATIC_RESULTS_FILE), 'utf8')) as StaticResults;
  let members = 0;
  for (const layer of run.layers) {
    const clustered = Array.from(memberships.get(layer.layer)!.patternId).filter((p) => p >= 0).length;
    assert.deepEqual(
      results.sheets.members.parts[layer.clusteringId],
      [members, clustered],
      `${layer.layer}: its pattern members' thumbnails, together`,
    );
    members += clustered;
    assert.equal(results.averageImages[layer.clusteringId]!.length, layer.patterns, `${layer.layer}: every average`);
  }
  assert.equal(results.sheets.members.count, members);
  assert.equal(files.filter((f) => f.startsWith('data/images/members/')).length, Math.ceil(members / 256));
  const patterns = run.layers.reduce((sum, layer) => sum + layer.patterns, 0);
  assert.equal(files.filter((f) => f.startsWith('data/images/average/')).length, Math.ceil(patterns / 256));
  const reluLayer = run.layers.find((l) => l.layer === TINY.relu)!;
  assert.equal(reluHeatmaps.means, reluLayer.patterns, 'the fixture stores a mean heatmap for each relu pattern');
  assert.ok(reluHeatmaps.members > 0, 'and member heatmaps');
  const heatmapSheet = await sharp(path.join(site, 'data', staticPaths.sheet('heatmap', 0))).metadata();
  const heatmapCount = reluHeatmaps.means + reluHeatmaps.members;
  assert.deepEqual(results.sheets.heatmap.parts[reluLayer.clusteringId], [0, heatmapCount]);
  assert.equal(heatmapSheet.channels, 4);
  const side = (heatmapSheet.width ?? 0) / Math.min(heatmapCount, 16);
  assert.equal(heatmapSheet.height, Math.ceil(heatmapCount / 16) * side, 'a cell for every heatmap, means and members');
  // Tables lie in packs: every table of the run in one file here.
  assert.deepEqual(
    files.filter((f) => f.startsWith('data/tables/')),
    ['data/tables/0.bin'],
  );
  assert.ok(files.length < 40, `${files.length} files in all`);
  assert.ok(files.some((f) => f.startsWith('assets/') && f.endsWith('.js')));
  for (const layer of run.layers)
    assert.ok(results.tables[staticPaths.layerTable(layer.layer, 'projection')], `the projection of ${layer.layer}`);
  const tableBytes = async (name: string) => {
    const [pack, offset, length] = results.tables[name]!;
    const bytes = await readFile(path.join(site, 'data', staticPaths.tablePack(pack)));
    return bytes.subarray(offset, offset + length);
  };
  const table = decodeTable(FILE_TABLES.inputs, await tableBytes(staticPaths.inputs()));
  assert.deepEqual(Array.from(table.inputIndex), Array.from(inputs.index));
  assert.deepEqual(table.path, [...inputs.path]);
});

test("the export names the model and the store by file name, never by the exporter's folders", async () => {
  const results = JSON.parse(await readFile(path.join(site, 'data', STATIC_RESULTS_FILE), 'utf8')) as StaticResults;
  assert.equal(results.run.modelPath, 'tiny.onnx');
  assert.equal((results.run.config as { model: string }).model, 'tiny.onnx');
  assert.equal((results.run.config as { out: string }).out, path.basename(storePath));
  const everything = (
    await Promise.all(
      (await filesUnder(path.join(site, 'data')))
        .filter((f) => f.endsWith('.json') || f.endsWith('.bin'))
        .map((f) => readFile(path.join(site, 'data', f), 'utf8')),
    )
  ).join('\n');
  assert.ok(!everything.includes(dir), `no data file holds the folder ${dir}`);
});

test('a deep link to a pattern opens from the static host: counts, names and images, without any API', async () => {
  const layer = run.layers.find((l) => l.layer === TINY.pool)!;
  const members = membersOf(TINY.pool, 1);
  const page = await openPage(`?view=pattern&run=${run.runId}&layer=${TINY.pool}&p=1`);
  await page.locator('h1', { hasText: `Pattern 1 of ${TINY.pool}` }).waitFor();
  await page.locator('#members-title .count', { hasText: new RegExp(`^${members.length}$`) }).waitFor();
  const facts = await page.locator('.pattern-summary .facts').textContent();
  assert.match(facts ?? '', new RegExp(`members${members.length}`));
  // Label bars: each label of the members with its count.
  const counts = new Map<string, number>();
  for (const index of members) {
    const label = inputs.label[inputs.index.indexOf(index)]!;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const bars = page.locator('.label-bars').first().locator('.label-bar');
  assert.equal(await bars.count(), counts.size);
  for (const [label, count] of counts)
    assert.match(
      (await bars.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).textContent()) ??
        '',
      new RegExp(`${count}$`),
    );
  // Images: the average image and the member thumbnails are cells of the exported sheets.
  await page.locator('.pattern-summary .average[data-state="ready"]').waitFor();
  await page.waitForFunction(
    `[...document.querySelectorAll('.member-grid .tile .thumb')].length === ${members.length} && [...document.querySelectorAll('.member-grid .tile .thumb')].every((tile) => tile.dataset.state === 'ready')`,
  );
  const sheets = [...new Set(host.requests.filter((p) => p.startsWith('/data/images/')))].sort();
  // Where the layer's part of each sequence puts pattern 1's members and average image.
  const results = JSON.parse(await readFile(path.join(site, 'data', STATIC_RESULTS_FILE), 'utf8')) as StaticResults;
  const m = memberships.get(TINY.pool)!;
  const order = memberSheetOrder(m.patternId, m.inputIndex);
  const memberSheets = new Set(
    order
      .map((row, k) => [row, k] as const)
      .filter(([row]) => m.patternId[row] === 1)
      .map(([, k]) => Math.floor((results.sheets.members.parts[layer.clusteringId]![0] + k) / 256)),
  );
  const average =
    results.sheets.average.parts[layer.clusteringId]![0] + results.averageImages[layer.clusteringId]!.indexOf(1);
  assert.equal(memberSheets.size, 1, "pattern 1's members lie on one sheet");
  // The near members' group below the members draws from the input-order thumbnail sheets.
  assert.deepEqual(
    sheets.filter((p) => !p.startsWith('/data/images/thumbnails/')),
    [
      `/data/${staticPaths.sheet('average', Math.floor(average / 256))}`,
      `/data/${staticPaths.sheet('members', [...memberSheets][0]!)}`,
    ],
    "one sheet of the layer's pattern members and one of average images",
  );

  assert.equal(await page.locator('.tab', { hasText: 'Compare runs' }).count(), 0, 'comparing runs needs nap serve');
  assert.ok(layer.patterns > 1);
  assert.deepEqual(
    host.requests.filter((p) => p.startsWith('/api')),
    [],
    'nothing asks for the API',
  );
  await page.close();
});

test('filtered and reordered members come from the exported tables exactly as the server pages them', async () => {
  const layer = run.layers.find((l) => l.layer === TINY.relu)!;
  const patternId = 0;
  const label = inputs.label[inputs.index.indexOf(membersOf(TINY.relu, patternId)[0]!)]!;
  const page = await openPage(
    `?view=pattern&run=${run.runId}&layer=${TINY.relu}&p=${patternId}&label=${label}&order=outlier`,
  );
  const tiles = page.locator('.member-grid .tile');
  await tiles.first().waitFor();
  const shown = (await tiles.evaluateAll((all) => all.map((t) => t.getAttribute('aria-label')))).map((name) =>
    Number(/^Input (\d+)/.exec(name ?? '')![1]),
  );
  await page.close();
  const server = await startServer({ store: storePath, port: 0, appDir, thumbnailCacheDir: false });
  try {
    const response = await fetch(
      server.url + apiPaths.members(layer.clusteringId, patternId, { label, order: 'outlier', limit: 1000 }),
    );
    const expected = (await response.json()) as MembersResponse;
    assert.deepEqual(shown, expected.inputIndex);
  } finally {
    await server.close();
  }
});

test('label errors, model errors and outliers work in the static site; decisions are kept in the browser', async () => {
  const exported = JSON.parse(await readFile(path.join(site, 'data', NOTES_STATIC_FILE), 'utf8')) as NotesDocument;
  assert.deepEqual(
    exported.decisions.map((d) => [d.runId, d.input]),
    [[run.runId, EXPORTED_DECISION]],
    "the export holds the run's notes only",
  );
  const page = await openPage(`?view=label-errors&run=${run.runId}`);
  const rows = page.locator('.label-errors-table tbody tr[data-input]');
  await rows.first().waitFor();
  const decided = page.locator(`.label-errors-table tr[data-input="${EXPORTED_DECISION}"]`);
  assert.equal(await decided.getByRole('button', { name: 'fine' }).getAttribute('aria-pressed'), 'true');
  assert.match(
    (await page.locator('.local-notes-notice').textContent()) ?? '',
    /kept in this browser \(localStorage\)/,
  );
  assert.equal(await page.locator('.lead-count').textContent(), String(labelErrorsTotal));
  await rows.nth(0).locator('.tile').click();
  await page.locator('.agreement-row svg.agreement-chart').waitFor();
  await rows.nth(0).getByRole('button', { name: 'unsure' }).click();
  await page.reload();
  await rows.first().waitFor();
  assert.equal(await rows.nth(0).getByRole('button', { name: 'unsure' }).getAttribute('aria-pressed'), 'true');
  await page.goto(`${host.url}/index.html?view=model-errors&run=${run.runId}`);
  await page.locator('.confusion-cell').first().click();
  await page.locator('.cell-inputs svg.agreement-chart').waitFor();
  // The outliers list too: every input of the run, from the exported triage.
  await page.goto(`${host.url}/index.html?view=outliers&run=${run.runId}`);
  await page.locator('.outliers-table tbody tr[data-input]').first().waitFor();
  assert.equal(await page.locator('.outlier-count').textContent(), String(INPUTS));
  assert.deepEqual(
    host.requests.filter((p) => p.startsWith('/api')),
    [],
  );
  await page.close();
});

test('flow, lineage and heatmaps work in the static site too', async () => {
  const page = await openPage(`?view=flow&run=${run.runId}`);
  await page.locator('svg.sankey .sankey-node').first().waitFor();
  const patterns = run.layers.reduce((sum, layer) => sum + layer.patterns, 0);
  assert.equal(await page.locator('svg.sankey .sankey-node').count(), patterns, 'noise hidden by default');
  await page.locator(`svg.sankey .sankey-node[data-layer="${TINY.logits}"] rect`).first().click();
  await page.locator('.lineage-step.own').waitFor();
  assert.equal(await page.locator('.lineage-step').count(), 3);

  await page.goto(`${host.url}/index.html?view=pattern&run=${run.runId}&layer=${TINY.relu}&p=0&heat=1`);
  await page.locator('.average-frame .overlay[data-state="ready"]').waitFor();
  // The member heatmaps as nap serve shows them: every member with a stored heatmap, each image loaded.
  const relu = run.layers.find((l) => l.layer === TINY.relu)!;
  const server = await startServer({ store: storePath, port: 0, appDir, thumbnailCacheDir: false });
  let expected: HeatmapsResponse;
  try {
    expected = (await (await fetch(server.url + apiPaths.heatmaps(relu.clusteringId, 0))).json()) as HeatmapsResponse;
  } finally {
    await server.close();
  }
  assert.ok(expected.inputIndex.length > 0);
  await page.waitForFunction(
    `[...document.querySelectorAll('.member-grid .tile .overlay')].length === ${expected.inputIndex.length} && [...document.querySelectorAll('.member-grid .tile .overlay')].every((tile) => tile.dataset.state === 'ready')`,
  );
  assert.deepEqual(
    host.requests.filter((p) => p.startsWith('/api')),
    [],
  );
  await page.close();
});

test('the exporter refuses a folder holding other files, replaces an earlier export, and can leave thumbnails out', async () => {
  const busy = path.join(dir, 'busy');
  await mkdir(busy);
  await writeFile(path.join(busy, 'notes.txt'), 'mine');
  await assert.rejects(
    exportStaticSite({ store: storePath, out: busy, appDir }),
    (e: Error) => e instanceof InputError && e.message.includes('not empty'),
  );
  assert.equal(await readFile(path.join(busy, 'notes.txt'), 'utf8'), 'mine', 'nothing was removed');
  // A folder is an earlier export by the marker an export writes, not by a file any folder may hold.
  await mkdir(path.join(busy, 'data'));
  await writeFile(path.join(busy, 'data', 'manifest.json'), '{}');
  await writeFile(path.join(busy, 'results.duckdb'), 'a results file');
  await assert.rejects(
    exportStaticSite({ store: storePath, out: busy, appDir }),
    (e: Error) => e instanceof InputError && e.message.includes('is not an earlier nap export'),
  );
  assert.deepEqual((await readdir(busy)).sort(), ['data', 'notes.txt', 'results.duckdb'], 'nothing was removed');
  await assert.rejects(
    exportStaticSite({ store: storePath, out: path.join(dir, 'x'), appDir: path.join(dir, 'nowhere') }),
    (e: Error) => e instanceof InputError && /npm run build/.test(e.message),
  );
  await assert.rejects(
    exportStaticSite({ store: storePath, out: path.join(dir, 'x'), appDir, thumbnails: 8 }),
    (e: Error) => e instanceof InputError && /thumbnails 8 is not a whole number from 16 to 512/.test(e.message),
  );

  const again = path.join(dir, 'again');
  await exportStaticSite({ store: storePath, out: again, appDir });
  const result = await exportStaticSite({ store: storePath, out: again, appDir, thumbnails: false });
  assert.equal(result.thumbnails, 0);
  assert.equal(
    await stat(path.join(again, 'data', 'images', 'thumbnails')).catch(() => null),
    null,
    'the earlier export was replaced',
  );
  const manifest = JSON.parse(await readFile(path.join(again, 'data', 'manifest.json'), 'utf8')) as StaticManifest;
  assert.equal(manifest.thumbnailSize, null);

  // Cancelled half way: the earlier export stays as it was, and nothing half-written is left beside it.
  const before = await readdir(again, { recursive: true });
  const controller = new AbortController();
  const onProgress = (progress: { stage: string }) => progress.stage === 'writing thumbnails' && controller.abort();
  await assert.rejects(
    exportStaticSite({ store: storePath, out: again, appDir }, { signal: controller.signal, onProgress }),
    (e: Error) => e instanceof CancelledError,
  );
  assert.deepEqual(await readdir(again, { recursive: true }), before, 'the earlier export is intact');
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.startsWith('.again.')),
    [],
    'no staging folder is left',
  );
});

test('data files have plain names: layer names escaped byte by byte, so no name can climb out of its folder', () => {
  assert.equal(staticPaths.layerTable('block/conv:0', 'stats'), 'tables/layers/block_2Fconv_3A0/stats.arrow');
  assert.equal(staticPaths.layerTable('é_x', 'projection'), 'tables/layers/_C3_A9_5Fx/projection.arrow');
  assert.equal(staticPaths.layerTable('..', 'stats'), 'tables/layers/_2E_2E/stats.arrow', 'dot segments cannot climb');
  assert.equal(staticPaths.layerTable('', 'stats'), 'tables/layers/_/stats.arrow');
  assert.equal(staticPaths.sheet('heatmap', 1), 'images/heatmap/1.png');
  assert.equal(staticPaths.sheet('thumbnails', 2), 'images/thumbnails/2.png');
  assert.equal(staticPaths.tablePack(3), 'tables/3.bin');
});
