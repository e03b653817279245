/**
 * The header's search box and the metric definitions in headless Chromium against the server: a query's
 * hits grouped by kind as the search API answers them, arrow keys and Enter open a hit, a click opens a
 * unit; a metric's name shows its glossary sentence on hover, and the glossary page lists every metric.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { PatternsResponse, SearchResponse } from '../../src/results/api-types.js';
import { GLOSSARY, METRIC_NAMES } from '../../src/results/glossary.js';
import { apiPaths } from '../../src/results/routes.js';
import { TINY } from '../helpers/tiny-models.js';
import { serveTinyApp, type ServedApp } from './fixture.js';

let app: ServedApp;

before(async () => {
  app = await serveTinyApp('nap-search-');
});

after(async () => {
  await app?.close();
  assert.deepEqual(app.pageErrors, [], 'no script errors in the pages');
});

const runA = () => app.fixture.runA.runId;
const params = (page: Page) => new URL(page.url()).searchParams;

async function search(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Search patterns, inputs and units');
  await box.fill(text);
  await page.locator('#search-results .search-group, #search-results .search-note').first().waitFor();
}

test('the search box lists patterns, inputs and units by kind, and opens a hit from the keyboard or a click', async () => {
  const layer = app.fixture.runA.layers.find((l) => l.layer === TINY.pool)!;
  const patterns = await app.api<PatternsResponse>(apiPaths.patterns(layer.clusteringId, 0));
  const label = patterns.patterns.find((p) => p.dominantLabel !== null)!.dominantLabel!;
  const query = `label:${label}`;
  const expected = await app.api<SearchResponse>(apiPaths.search(runA(), query, 8));
  assert.ok(expected.patterns.total > 0 && expected.inputs.total > 0, 'the query finds patterns and inputs');

  const page = await app.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/?run=${runA()}`);
  await search(page, query);
  const groups = page.locator('#search-results .search-group');
  assert.deepEqual(await groups.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-group'))), [
    'Patterns',
    'Inputs',
  ]);
  const texts = await page.locator('#search-results .search-hit-text').allTextContents();
  assert.deepEqual(texts, [
    ...expected.patterns.hits.map((p) => `${p.layer} · pattern ${p.patternId}`),
    ...expected.inputs.hits.map((i) => `input ${i.inputIndex}${i.path === null ? '' : ` · ${i.path}`}`),
  ]);

  // Down past every pattern hit: the first input; Enter opens it among the selected images.
  const box = page.getByLabel('Search patterns, inputs and units');
  for (let k = 0; k < expected.patterns.hits.length; k++) await box.press('ArrowDown');
  assert.match((await page.locator('.search-hit.active .search-hit-text').textContent()) ?? '', /^input /);
  await box.press('Enter');
  await page.waitForURL(/view=images/);
  assert.equal(params(page).get('sel'), String(expected.inputs.hits[0]!.inputIndex));
  assert.equal(await page.locator('#search-results').count(), 0, 'the list closes');

  // Enter on the first hit, a pattern: its page.
  await search(page, `${query} size>0`);
  await box.press('Enter');
  await page.waitForURL(/view=pattern/);
  const first = expected.patterns.hits[0]!;
  assert.deepEqual([params(page).get('layer'), params(page).get('p')], [first.layer, String(first.patternId)]);

  // Every layer of the tiny net has a unit 1 (relu and pool 2 channels, logits 3).
  await search(page, '1 kind:unit');
  assert.deepEqual(await page.locator('#search-results .search-hit-text').allTextContents(), [
    `${TINY.relu} · unit 1`,
    `${TINY.pool} · unit 1`,
    `${TINY.logits} · unit 1`,
  ]);
  await page.locator('#search-results .search-hit', { hasText: `${TINY.pool} · unit 1` }).click();
  await page.waitForURL(/view=maxact/);
  assert.deepEqual([params(page).get('layer'), params(page).get('unit')], [TINY.pool, '1']);

  await search(page, 'size>lots');
  assert.match(await page.locator('#search-results').innerText(), /size> needs a number, not "lots"/);
  await page.close();
});

test('a metric name shows its definition on hover; the glossary page lists every metric', async () => {
  const page = await app.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/?run=${runA()}&layer=${TINY.pool}`);
  await page.locator('article.card .metric-term[data-metric="purity"]').first().hover();
  assert.equal(await page.locator('.tooltip').innerText(), `${GLOSSARY.purity.term}: ${GLOSSARY.purity.definition}`);
  await page.getByRole('link', { name: 'Glossary' }).click();
  await page.waitForURL(/view=glossary/);
  const terms = await page.locator('.glossary-entry dt').allTextContents();
  assert.deepEqual(
    terms,
    METRIC_NAMES.map((name) => GLOSSARY[name].term),
  );
  assert.equal(
    await page.locator('.glossary-entry[data-metric="knnConsensus"] dd').textContent(),
    GLOSSARY.knnConsensus.definition,
  );
  await page.close();
});
