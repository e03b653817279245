/**
 * The outliers and duplicates lists in a real browser over `nap serve`, on an unlabelled run of
 * activations computed elsewhere (no model, no labels) with a planted outlier, a planted pair of identical
 * inputs and a planted near pair, its triage saved (`nap triage --save`): both lists show what the API
 * answers, the planted inputs come first, and each list downloads as CSV.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runTriageCommand } from '../../src/cli/commands/triage.js';
import { analyzeActivations } from '../../src/engine/analyze-activations.js';
import type { DuplicatesResponse, OutliersResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { buildApp, launchChromium } from './fixture.js';
import { float32Npy } from '../helpers/npy.js';

const COUNT = 60;
const DIM = 4;
const OUTLIER = 59;
const SAME = [10, 11];
const NEAR = [30, 31];

let dir: string;
let server: RunningServer;
let browser: Browser;
let runId: number;
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nap-triage-lists-'));
  // Two groups spread on a smooth curve; one input far from both; two inputs equal; two a hair apart.
  const values = new Float32Array(COUNT * DIM);
  for (let i = 0; i < COUNT; i++) {
    for (let d = 0; d < DIM; d++) values[i * DIM + d] = (i < COUNT / 2 ? 1 : -1) + 0.3 * Math.sin(i * 0.9 + d * 1.7);
  }
  values.fill(8, OUTLIER * DIM, (OUTLIER + 1) * DIM);
  values.copyWithin(SAME[1]! * DIM, SAME[0]! * DIM, (SAME[0]! + 1) * DIM);
  for (let d = 0; d < DIM; d++) values[NEAR[1]! * DIM + d] = values[NEAR[0]! * DIM + d]! + (d === 0 ? 1e-4 : 0);
  const file = path.join(dir, 'acts.npy');
  await writeFile(file, float32Npy([COUNT, DIM], values));
  const store = path.join(dir, 'acts.duckdb');
  const appDir = path.join(dir, 'app');
  const [result] = await Promise.all([
    analyzeActivations({ activations: [file], out: store, projection: 'none' }),
    buildApp(appDir),
  ]);
  runId = result.runId;
  assert.equal(await runTriageCommand([store, '--k', '5', '--save', '--quiet', '--out', path.join(dir, 'x.csv')]), 0);
  server = await startServer({ store, port: 0, appDir, thumbnailCacheDir: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

async function api<T>(route: string): Promise<T> {
  const response = await fetch(server.url + route);
  assert.equal(response.status, 200, route);
  return (await response.json()) as T;
}

async function openPage(query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(15_000);
  await page.goto(`${server.url}/${query}`);
  return page;
}

async function downloaded(page: Page, button: string): Promise<string[]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  return (await readFile(await download.path(), 'utf8')).trimEnd().split('\n');
}

test('outliers of an unlabelled run: the planted outlier first, as the API ranks them; the CSV holds every input', async () => {
  const list = await api<OutliersResponse>(apiPaths.outliers(runId));
  assert.equal(list.total, COUNT);
  assert.equal(list.inputIndex[0], OUTLIER);
  const page = await openPage(`?view=outliers&run=${runId}`);
  const rows = page.locator('.outliers-table tbody tr[data-input]');
  await rows.first().waitFor();
  assert.equal(await page.locator('.outlier-count').textContent(), String(COUNT));
  assert.deepEqual(
    (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-input'))))).slice(0, 10),
    list.inputIndex.slice(0, 10),
  );
  const lines = await downloaded(page, '.export-outliers');
  assert.equal(lines[0], 'rank,input,file,label,score,glosh,farthest_layer');
  assert.equal(lines.length, 1 + COUNT);
  assert.deepEqual(
    lines.slice(1).map((line) => Number(line.split(',')[1])),
    list.inputIndex,
  );
  await page.close();
});

test('duplicates: the identical inputs as a group, the near pair, from the triage lists; CSV of both', async () => {
  const body = await api<DuplicatesResponse>(apiPaths.duplicates(runId));
  const same = body.groups.find((g) => g.kind === 'same activations');
  assert.deepEqual(
    same?.inputs.map((i) => i.inputIndex),
    SAME,
  );
  assert.deepEqual([body.near[0]!.a.inputIndex, body.near[0]!.b.inputIndex], SAME, 'identical inputs are nearest');
  assert.ok(body.near.some((pair) => pair.a.inputIndex === NEAR[0] && pair.b.inputIndex === NEAR[1]));

  const page = await openPage(`?view=outliers&run=${runId}`);
  await page.locator('.triage-lists').getByRole('link', { name: 'Duplicates' }).click();
  const group = page.locator(`.duplicate-groups tr[data-kind="same activations"]`);
  await group.waitFor();
  assert.equal(await group.locator('.tile').count(), SAME.length);
  assert.equal(await page.locator('.near-duplicates tbody tr').count(), body.near.length);
  await page.locator(`.near-duplicates tr[data-pair="${NEAR.join(',')}"]`).waitFor();
  assert.equal(await page.locator('.group-count').textContent(), String(body.groups.length));
  const lines = await downloaded(page, '.export-duplicates');
  assert.equal(lines[0], 'kind,group,input,other,file,label,distance');
  const cells = lines.slice(1).map((line) => line.split(','));
  const members = body.groups.reduce((n, g) => n + g.inputs.length, 0);
  assert.equal(cells.length, members + body.near.length);
  assert.deepEqual(
    cells.filter((c) => c[0] === 'same activations').map((c) => [Number(c[1]), Number(c[2]), c[3], Number(c[6])]),
    SAME.map((input) => [same.group, input, '', 0]),
  );
  assert.ok(cells.some((c) => c[0]!.startsWith('near (') && c[2] === String(NEAR[0]) && c[3] === String(NEAR[1])));
  await page.close();
});
