/**
 * The Magnifying Glass in headless Chromium against G's server over a small real store: layer choice,
 * pattern cards and page, label filter, pin and compare across layers and runs, image selection and its
 * patterns in every layer, deep links with back/forward, keyboard movement, and non-blank screenshots.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  type InputPatternsResponse,
  type LabelCountsResponse,
  type PatternsResponse,
} from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { TINY } from '../helpers/tiny-models.js';
import { distinctColors, serveTinyApp, type ServedApp, type TinyStore } from './fixture.js';

let app: ServedApp;
let fixture: TinyStore;

before(async () => {
  app = await serveTinyApp('nap-app-test-');
  fixture = app.fixture;
});

after(async () => {
  await app?.close();
});

const api = <T>(route: string): Promise<T> => app.api<T>(route);

async function openPage(query = ''): Promise<Page> {
  const page = await app.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/${query}`);
  return page;
}

function layerOf(run: 'runA' | 'runB', layer: string) {
  const found = fixture[run].layers.find((l) => l.layer === layer);
  assert.ok(found, `${run} has layer ${layer}`);
  return found;
}

/** Patterns of a clustering ordered as the cards show them by default (persistence, then id). */
async function byPersistence(clusteringId: number): Promise<PatternsResponse['patterns']> {
  const patterns = await api<PatternsResponse>(apiPaths.patterns(clusteringId));
  return [...patterns.patterns].sort((a, b) => b.persistence - a.persistence || a.patternId - b.patternId);
}

const cardTitles = (page: Page) => page.locator('article.card .card-title').allTextContents();

test('choosing a run and a layer shows its patterns as cards, sortable', async () => {
  const page = await openPage();
  await page.locator('h1', { hasText: 'Runs' }).waitFor();
  const rows = page.locator('.runs-view tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match((await rows.nth(0).textContent()) ?? '', /tiny A/);
  assert.match((await rows.nth(1).textContent()) ?? '', /tiny B/);

  await page.getByRole('link', { name: 'tiny A', exact: true }).click();
  const boxes = page.locator('.layer-strip a.layer-box');
  await boxes.first().waitFor();
  assert.deepEqual(await page.locator('.layer-strip .layer-name').allTextContents(), [
    TINY.relu,
    TINY.pool,
    TINY.logits,
  ]);
  const counts = await page.locator('.layer-strip .layer-count').allTextContents();
  assert.deepEqual(
    counts,
    fixture.runA.layers.map((l) => `${l.patterns} patterns`),
  );
  // Coverage as analyze counted it in the store (inputs in a pattern over the run's inputs).
  const shareText = (covered: number, inputs: number) => {
    const share = covered / inputs;
    return `${(share * 100).toFixed(share >= 0.995 || share === 0 ? 0 : 1)}%`;
  };
  assert.deepEqual(
    await page.locator('.layer-strip .layer-coverage').allTextContents(),
    fixture.runA.layers.map((l) => `${shareText(l.coverage.inPattern, l.coverage.inputs)} in a pattern`),
  );
  assert.ok(
    fixture.runA.layers.some((l) => l.coverage.inPattern < l.coverage.inputs),
    'some layer of the tiny run has noise, so coverage below 100% is shown',
  );

  await boxes.filter({ hasText: TINY.pool }).click();
  await page.locator('h1', { hasText: `Patterns of ${TINY.pool}` }).waitFor();
  const pool = layerOf('runA', TINY.pool);
  assert.equal(await page.locator('.summary-line strong').textContent(), `${pool.patterns} patterns`);
  assert.equal(
    await page.locator('.summary-line .coverage').textContent(),
    `${shareText(pool.coverage.inPattern, pool.coverage.inputs)} of the inputs in a pattern`,
  );
  assert.match(page.url(), new RegExp(`layer=${TINY.pool}`));
  const expected = await byPersistence(pool.clusteringId);
  await page.locator('article.card').first().waitFor();
  const titles = await cardTitles(page);
  assert.equal(titles.length, pool.patterns, 'every card of this small layer is rendered');
  assert.deepEqual(
    titles,
    expected.map((p) => `Pattern ${p.patternId}`),
  );

  await page.locator('.toolbar select').selectOption('size');
  await page.waitForURL(/sort=size/);
  const bySize = (await api<PatternsResponse>(apiPaths.patterns(pool.clusteringId))).patterns.sort(
    (a, b) => b.size - a.size || a.patternId - b.patternId,
  );
  assert.deepEqual(
    await cardTitles(page),
    bySize.map((p) => `Pattern ${p.patternId}`),
  );

  await page.locator('.toolbar input[type=checkbox]').check();
  await page.locator('article.card .card-title', { hasText: 'Noise' }).waitFor();
  assert.equal((await cardTitles(page)).length, pool.patterns + 1);
  await page.close();
});

test('a label filter shows each pattern its members with that label and hides the rest', async () => {
  const pool = layerOf('runA', TINY.pool);
  const page = await openPage(`?run=${fixture.runA.runId}&layer=${TINY.pool}`);
  // Cards render as they scroll into view: a tall window shows every card of this layer beside the filter bar.
  await page.setViewportSize({ width: 1400, height: 1800 });
  await page.locator('article.card').first().waitFor();
  const labelCounts = await api<LabelCountsResponse>(apiPaths.labelCounts(pool.clusteringId, 'label'));
  const withLabel = (label: string) =>
    new Map(
      labelCounts.patternId.flatMap((p, i) =>
        labelCounts.label[i] === label && p >= 0 ? [[p, labelCounts.count[i]!] as const] : [],
      ),
    );
  // The label with members in the most patterns makes the strongest check.
  const labels = [...new Set(labelCounts.label.filter((l): l is string => l !== null))];
  const label = labels.sort((a, b) => withLabel(b).size - withLabel(a).size)[0]!;
  const expected = withLabel(label);

  await page.locator('.filter-bar select').first().selectOption(label);
  await page.waitForURL(new RegExp(`label=${label}`));
  await page.locator('.pill', { hasText: `label = ${label}` }).waitFor();
  await page.locator('article.card .filtered').first().waitFor();
  const cards = page.locator('article.card');
  assert.equal(await cards.count(), expected.size, 'patterns without members of the label are hidden');
  for (let i = 0; i < (await cards.count()); i++) {
    const title = (await cards.nth(i).locator('.card-title').textContent())!;
    const patternId = Number(title.replace('Pattern ', ''));
    assert.equal(await cards.nth(i).locator('.filtered').textContent(), ` · ${expected.get(patternId)} shown`, title);
  }

  await page.locator('.pill-remove').click();
  await page.waitForURL((url) => !url.search.includes('label='));
  assert.equal(await page.locator('article.card').count(), pool.patterns);

  // Click-to-filter in the label x pattern chart.
  await page.locator('.heatmap-label', { hasText: label }).click();
  await page.waitForURL(new RegExp(`label=${label}`));
  assert.equal(await page.locator('article.card').count(), expected.size);
  await page.close();
});

test('a pattern page shows all members, its charts, and filters by a clicked label bar', async () => {
  const pool = layerOf('runA', TINY.pool);
  const [top] = await byPersistence(pool.clusteringId);
  const page = await openPage(`?run=${fixture.runA.runId}&layer=${TINY.pool}`);
  await page.locator('article.card .card-title').first().click();
  await page.locator('h1', { hasText: `Pattern ${top!.patternId} of ${TINY.pool}` }).waitFor();
  const members = page.locator('.member-grid .tile[aria-label]');
  await members.first().waitFor();
  assert.equal(await page.locator('#members-title .count').textContent(), String(top!.size));
  assert.equal(await members.count(), top!.size, 'a small pattern shows every member');
  assert.equal(await page.locator('svg.chart title').first().textContent(), 'Membership probability histogram');
  assert.equal(await page.locator('svg.chart rect').count(), 20);
  await page.locator('.unit-chart canvas').waitFor();
  assert.match((await page.locator('.unit-chart canvas').getAttribute('aria-label'))!, /of 2 units/);

  const label = top!.labels.label[0]!;
  const count = top!.labels.count[0]!;
  await page.locator('.label-bars', { hasText: 'Labels' }).locator('.label-bar').first().click();
  await page.waitForURL(new RegExp(`label=${label}`));
  await page.locator('#members-title .count', { hasText: `${count} passing the filters` }).waitFor();
  // The filtered page of members loads after the count: give the grid up to 10 s to show exactly the filtered tiles.
  for (let waited = 0; (await members.count()) !== count && waited < 10_000; waited += 100)
    await page.waitForTimeout(100);
  assert.equal(await members.count(), count);
  for (const name of await members.evaluateAll((tiles) => tiles.map((t) => t.getAttribute('aria-label'))))
    assert.match(name!, new RegExp(`label ${label},`));
  await page.close();
});

test('patterns pinned from two layers and two runs are compared side by side', async () => {
  const pool = layerOf('runA', TINY.pool);
  const [top] = await byPersistence(pool.clusteringId);
  const page = await openPage(`?view=pattern&run=${fixture.runA.runId}&layer=${TINY.pool}&p=${top!.patternId}`);
  await page.getByRole('button', { name: '☆ Pin' }).click();
  await page.getByRole('button', { name: '★ Pinned' }).waitFor();

  await page.locator('.layer-strip a.layer-box', { hasText: TINY.relu }).click();
  await page.locator('h1', { hasText: `Patterns of ${TINY.relu}` }).waitFor();
  const reluTitle = (await page.locator('article.card .card-title').first().textContent())!;
  await page.getByRole('button', { name: `Pin ${reluTitle}`, exact: true }).click();

  await page.locator('.run-choice select').selectOption(String(fixture.runB.runId));
  await page.locator('.layer-strip a.layer-box', { hasText: TINY.pool }).click();
  await page.locator('h1', { hasText: `Patterns of ${TINY.pool}` }).waitFor();
  const runBTitle = (await page.locator('article.card .card-title').first().textContent())!;
  await page.getByRole('button', { name: `Pin ${runBTitle}`, exact: true }).click();

  await page
    .locator('.tab', { hasText: /^Compare\d*$/ })
    .locator('.tab-badge', { hasText: '3' })
    .waitFor();
  await page.locator('.tab', { hasText: /^Compare\d*$/ }).click();
  await page.locator('h1', { hasText: 'Compare pinned patterns' }).waitFor();
  const pinned = page.locator('article.pinned');
  assert.equal(await pinned.count(), 3);
  assert.deepEqual(await pinned.locator('.card-title').allTextContents(), [
    `Pattern ${top!.patternId}`,
    reluTitle,
    runBTitle,
  ]);
  const places = await pinned.locator('.pinned-place').allTextContents();
  assert.deepEqual(places, [`${TINY.pool}tiny A`, `${TINY.relu}tiny A`, `${TINY.pool}tiny B`]);
  const charts = page.locator('.compare-view section.panel h2');
  await page.locator('.compare-view .unit-chart canvas').nth(1).waitFor();
  // One chart per layer of the model: the pool layer's pins of both runs share one.
  assert.deepEqual(await charts.allTextContents(), [
    `Unit statistics · ${TINY.pool} (tiny A, tiny B)`,
    `Unit statistics · ${TINY.relu} (tiny A)`,
  ]);
  assert.deepEqual(await page.locator('.compare-view .legend').first().locator('.legend-item').allTextContents(), [
    `Pattern ${top!.patternId} · tiny A`,
    `${runBTitle} · tiny B`,
    ' layer q1–q3 of tiny A',
  ]);

  await pinned
    .nth(1)
    .getByRole('button', { name: new RegExp(`^Unpin ${reluTitle}`) })
    .click();
  await page.waitForFunction("document.querySelectorAll('article.pinned').length === 2");
  await page.close();
});

test('selected images show the pattern that holds them in every layer', async () => {
  const pool = layerOf('runA', TINY.pool);
  const [top] = await byPersistence(pool.clusteringId);
  const page = await openPage(`?view=pattern&run=${fixture.runA.runId}&layer=${TINY.pool}&p=${top!.patternId}`);
  const tiles = page.locator('.member-grid .tile[aria-label]');
  await tiles.nth(1).waitFor();
  await tiles.nth(0).click();
  await tiles.nth(1).click();
  await page.locator('.tab', { hasText: 'Images' }).locator('.tab-badge', { hasText: '2' }).waitFor();
  const selection = new URL(page.url()).searchParams.get('sel')!.split(',').map(Number);
  assert.equal(selection.length, 2);
  assert.deepEqual(await tiles.evaluateAll((all) => all.slice(0, 2).map((t) => t.getAttribute('aria-pressed'))), [
    'true',
    'true',
  ]);

  await page.locator('.tab', { hasText: 'Images' }).click();
  await page.locator('.paths tbody tr').first().waitFor();
  const paths = await api<InputPatternsResponse>(apiPaths.inputPatterns(fixture.runA.runId, selection));
  const layers = await page.locator('.layer-patterns .layer-label').allTextContents();
  assert.deepEqual(layers, [TINY.relu, TINY.pool, TINY.logits]);
  assert.deepEqual(
    await page.locator('.paths thead th.mono').allTextContents(),
    paths.clusterings.map((c) => c.layer),
  );
  const rows = page.locator('.paths tbody tr');
  assert.equal(await rows.count(), 2);
  for (const [r, inputIndex] of selection.entries()) {
    const cells = await rows.nth(r).locator('td').allTextContents();
    const expected = paths.clusterings.map((c) => {
      const i = paths.rows.clusteringId.findIndex(
        (id, k) => id === c.clusteringId && paths.rows.inputIndex[k] === inputIndex,
      );
      const patternId = paths.rows.patternId[i]!;
      return patternId === -1 ? 'noise' : `#${patternId}`;
    });
    assert.deepEqual(cells, expected);
  }
  // In the pool layer both images are in the pattern they were selected from.
  const poolChips = page.locator('.layer-patterns li', { hasText: TINY.pool }).locator('.chip');
  assert.equal(await poolChips.count(), 1);
  assert.match((await poolChips.textContent())!, new RegExp(`#${top!.patternId}\\s*×2`));
  await page.close();
});

test('a deep link reproduces a view, and back and forward move between views', async () => {
  const pool = layerOf('runA', TINY.pool);
  const [top] = await byPersistence(pool.clusteringId);
  const label = top!.labels.label[0]!;
  const page = await openPage(
    `?view=pattern&run=${fixture.runA.runId}&layer=${TINY.pool}&p=${top!.patternId}&label=${label}&pins=${pool.clusteringId}.${top!.patternId}&zero=show`,
  );
  await page.locator('h1', { hasText: `Pattern ${top!.patternId} of ${TINY.pool}` }).waitFor();
  await page.locator('.pill', { hasText: `label = ${label}` }).waitFor();
  assert.equal(
    await page
      .locator('.tab', { hasText: /^Compare\d*$/ })
      .locator('.tab-badge')
      .textContent(),
    '1',
  );
  assert.equal(await page.getByRole('button', { name: '★ Pinned' }).count(), 1);
  assert.equal(await page.locator('.unit-chart').locator('..').locator('input[type=checkbox]').isChecked(), false);
  assert.equal(await page.locator('.filter-bar select').first().inputValue(), label);

  await page.locator('a.back').click();
  await page.locator('h1', { hasText: `Patterns of ${TINY.pool}` }).waitFor();
  await page.goBack();
  await page.locator('h1', { hasText: `Pattern ${top!.patternId} of ${TINY.pool}` }).waitFor();
  await page.goForward();
  await page.locator('h1', { hasText: `Patterns of ${TINY.pool}` }).waitFor();
  assert.match(page.url(), new RegExp(`label=${label}`), 'the filter stays in the URL');

  const missing = await openPage(`?run=999`);
  await missing.locator('.empty', { hasText: 'Run 999 is not in this store' }).waitFor();
  await missing.close();
  await page.close();
});

test('arrow keys move focus between tiles, and max activations and layer statistics render', async () => {
  const pool = layerOf('runA', TINY.pool);
  const [top] = await byPersistence(pool.clusteringId);
  const page = await openPage(`?view=pattern&run=${fixture.runA.runId}&layer=${TINY.pool}&p=${top!.patternId}`);
  const first = page.locator('.member-grid [data-cell="0"] .tile');
  await first.waitFor();
  await first.focus();
  const focusReaches = (cell: number) =>
    page.waitForFunction(
      `document.activeElement?.closest('[data-cell]')?.getAttribute('data-cell') === '${cell}'`,
      undefined,
      { timeout: 3000 },
    );
  await page.keyboard.press('ArrowRight');
  await focusReaches(1);
  await page.keyboard.press('End');
  await focusReaches(top!.size - 1);
  await page.keyboard.press('ArrowLeft');
  await focusReaches(top!.size - 2);

  await page.locator('.tab', { hasText: 'Max activations' }).click();
  await page.locator('h1', { hasText: `Max-activating inputs of ${TINY.pool}` }).waitFor();
  await page.locator('.unit-row').first().waitFor();
  assert.deepEqual(await page.locator('.unit-row .unit-name').allTextContents(), ['unit 0', 'unit 1']);
  assert.equal(await page.locator('.unit-row').first().locator('.tile').count(), 8, 'top-k 8 per unit');

  await page.locator('.tab', { hasText: 'Layer statistics' }).click();
  await page.locator('h1', { hasText: `Layer ${TINY.pool}` }).waitFor();
  await page.locator('.stats-view .unit-chart canvas').waitFor();
  await page.close();
});

test('unit patterns of a layer are listed and open as cards', async () => {
  const relu = layerOf('runA', TINY.relu);
  const memberships = await api<PatternsResponse>(apiPaths.patterns(relu.clusteringId));
  const [top] = [...memberships.patterns].sort((a, b) => b.persistence - a.persistence || a.patternId - b.patternId);
  const page = await openPage(`?view=pattern&run=${fixture.runA.runId}&layer=${TINY.relu}&p=${top!.patternId}`);
  const row = page.locator('#unit-patterns-title').locator('..').locator('..').locator('tbody tr');
  await row.first().locator('.chip').first().waitFor();
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('th').textContent(), 'unit 1');
  await row.locator('th a').click();
  await page.locator('h1', { hasText: `Unit 1 patterns of ${TINY.relu}` }).waitFor();
  const unitPatterns = await api<PatternsResponse>(apiPaths.patterns(fixture.unitClusteringId));
  assert.equal(await page.locator('article.card').count(), unitPatterns.patterns.length);
  await page.close();
});

test('screenshots of the main views are not blank', async () => {
  const pool = layerOf('runA', TINY.pool);
  const [top] = await byPersistence(pool.clusteringId);
  const views = {
    layer: `?run=${fixture.runA.runId}&layer=${TINY.pool}`,
    pattern: `?view=pattern&run=${fixture.runA.runId}&layer=${TINY.pool}&p=${top!.patternId}`,
    compare: `?view=compare&run=${fixture.runA.runId}&pins=${pool.clusteringId}.${top!.patternId},${layerOf('runA', TINY.relu).clusteringId}.0`,
  };
  for (const [name, query] of Object.entries(views)) {
    const page = await openPage(query);
    await page.locator('h1').first().waitFor();
    await page.waitForLoadState('networkidle');
    const png = await page.screenshot({ fullPage: true });
    const file = path.join(tmpdir(), `nap-app-${name}.png`);
    await writeFile(file, png);
    const colors = await distinctColors(png);
    assert.ok(colors > 200, `${name} screenshot (${file}) has only ${colors} colors`);
    await page.close();
  }
  assert.deepEqual(app.pageErrors, [], 'no script errors in any page');
});
