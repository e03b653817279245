/**
 * Notes in a real browser over `nap serve`: a tag on a pattern and a saved view go to the sidecar beside
 * the results and show on the Notes page; a long lasso on the map gives a URL under 2 KB (its polygon kept
 * as a saved state) that restores the same selection after a reload, through back/forward, and as a copied link.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { notesPathOf } from '../../src/results/node/notes-file.js';
import type { NotesDocument } from '../../src/results/notes.js';
import { TINY } from '../helpers/tiny-models.js';
import { serveTinyApp, type ServedApp } from './fixture.js';

let app: ServedApp;
const LAYER = TINY.pool;

before(async () => {
  app = await serveTinyApp('nap-notes-views-');
});

after(async () => {
  await app?.close();
  assert.deepEqual(app.pageErrors, [], 'no script errors in the pages');
});

const runA = () => app.fixture.runA.runId;
const sidecar = async () => JSON.parse(await readFile(notesPathOf(app.fixture.store), 'utf8')) as NotesDocument;

async function openPage(query: string): Promise<Page> {
  const page = await app.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/${query}`);
  return page;
}

/** A star of `points` spikes (alternate radii): no vertex can be simplified away, so the polygon stays long. */
function star(cx: number, cy: number, radius: number, points: number): number[][] {
  return Array.from({ length: 2 * points }, (_, k) => {
    const angle = (Math.PI * k) / points;
    const r = k % 2 === 0 ? radius : radius * 0.85;
    return [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
  });
}

const selectedCount = async (page: Page) =>
  Number(((await page.locator('.map-selection strong').textContent()) ?? '').replace(/,/g, ''));

test('a tag on a pattern is kept beside the results and listed on the Notes page with a link', async () => {
  const page = await openPage(`?view=pattern&run=${runA()}&layer=${LAYER}&p=0`);
  await page.locator('.tag-input').fill('round strokes');
  await page.getByRole('button', { name: 'Tag', exact: true }).click();
  await page.locator('.tag-list .chip.tag[data-tag="round strokes"]').waitFor();
  const tags = (await sidecar()).tags;
  const clusteringId = app.fixture.runA.layers.find((l) => l.layer === LAYER)!.clusteringId;
  assert.deepEqual(
    tags.map((t) => [t.tag, t.target]),
    [['round strokes', { kind: 'pattern', clusteringId, patternId: 0 }]],
  );
  await page.locator('.notes-link').click();
  const entry = page.locator('.tag-index [data-tag="round strokes"] a');
  await entry.click();
  await page.waitForURL(/view=pattern/);
  const url = new URL(page.url());
  assert.deepEqual([url.searchParams.get('layer'), url.searchParams.get('p')], [LAYER, '0']);
  await page.locator('.tag-list .chip.tag[data-tag="round strokes"]').waitFor();
  await page.close();
});

test('a long lasso gives a URL under 2 KB that restores it: reload, back/forward, copied link, saved view', async () => {
  const page = await openPage(`?view=map&run=${runA()}&layer=${LAYER}`);
  await page.locator('.scatter-canvas[data-view]').waitFor();
  await page.getByRole('button', { name: 'Lasso' }).click();
  const box = (await page.locator('.scatter-canvas').boundingBox())!;
  const polygon = star(box.width / 2, box.height / 2, Math.min(box.width, box.height) * 0.35, 150);
  await page.mouse.move(box.x + polygon[0]![0]!, box.y + polygon[0]![1]!);
  await page.mouse.down();
  for (const [x, y] of [...polygon.slice(1), polygon[0]!]) await page.mouse.move(box.x + x!, box.y + y!);
  await page.mouse.up();
  await page.waitForURL(/[?&]s=[0-9a-f]{16}/);
  const link = page.url();
  assert.ok(link.length <= 2048, `the URL has ${link.length} characters`);
  assert.ok(!new URL(link).searchParams.has('region'), 'the polygon is not in the URL');
  // The state is saved in the background as the URL changes.
  const id = new URL(link).searchParams.get('s');
  let state = (await sidecar()).states.find((s) => s.id === id);
  for (let tries = 0; state === undefined && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = (await sidecar()).states.find((s) => s.id === id);
  }
  assert.ok(state, 'the saved state is in the sidecar');
  const region = new URLSearchParams(state.params).get('region')!;
  assert.ok(region.length > 2048, `the polygon (${region.split(',').length / 2} vertices) alone would not fit`);
  const selected = await selectedCount(page);
  assert.ok(selected > 0, 'the lasso selects points');

  await page.reload();
  await page.locator('.map-selection').waitFor();
  assert.equal(await selectedCount(page), selected, 'the reloaded URL restores the selection');
  await page.goBack();
  await page.waitForURL((url) => !url.searchParams.has('s'));
  await page.locator('.map-selection').waitFor({ state: 'detached' });
  await page.goForward();
  await page.locator('.map-selection').waitFor();
  assert.equal(await selectedCount(page), selected, 'forward brings the selection back');

  await page.locator('.copy-link').click();
  await page.locator('.share-status', { hasText: 'Link copied' }).waitFor();
  assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), link);

  await page.locator('.save-view').click();
  await page.locator('.save-view-name').fill('star lasso');
  await page.locator('.save-view-form button[type=submit]').click();
  await page.locator('.share-status', { hasText: 'saved' }).waitFor();
  assert.deepEqual(
    (await sidecar()).views.map((v) => [v.name, v.query]),
    [['star lasso', new URL(link).search]],
  );
  // A fresh page opens the saved view from the Notes page with the same selection.
  const other = await openPage('?view=notes');
  await other.locator('.saved-views a', { hasText: 'star lasso' }).click();
  await other.locator('.map-selection').waitFor();
  assert.equal(await selectedCount(other), selected);
  await other.close();
  await page.close();
});
