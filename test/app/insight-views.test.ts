/**
 * The views beyond the original Magnifying Glass in headless Chromium against the server: the alluvial
 * diagram, the Jaccard matrix, a pattern's lineage, two runs compared, and heatmap overlays on a pattern
 * page. What is on screen is checked against the API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { computePatternHeatmaps } from '../../src/engine/heatmaps.js';
import { NapStore } from '../../src/io/store/index.js';
import {
  type FlowGraphResponse,
  type HeatmapsResponse,
  type LayerFlowResponse,
  type LineageResponse,
  type RunComparisonResponse,
} from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { TINY } from '../helpers/tiny-models.js';
import { distinctColors, serveTinyApp, type ServedApp, type TinyStore } from './fixture.js';

let app: ServedApp;
let fixture: TinyStore;
/** Run C: run A's 300 digits with max instead of mean aggregation, layers pool and logits. */
let runC: AnalyzeResult;

before(async () => {
  app = await serveTinyApp('nap-insight-views-', async (tiny, dir) => {
    runC = await analyze({
      model: path.join(dir, 'tiny.onnx'),
      data: 'mnist',
      out: tiny.store,
      limit: 300,
      layers: [TINY.pool, TINY.logits],
      aggregation: 'max',
      name: 'tiny C',
    });
    const store = await NapStore.open(tiny.store);
    try {
      await computePatternHeatmaps(store, { runId: tiny.runA.runId, layer: TINY.relu });
    } finally {
      await store.close();
    }
  });
  fixture = app.fixture;
});

after(async () => {
  await app?.close();
  assert.deepEqual(app.pageErrors, [], 'no script errors in the pages');
});

const api = <T>(route: string): Promise<T> => app.api<T>(route);

async function openPage(query: string): Promise<Page> {
  const page = await app.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/${query}`);
  return page;
}

const runA = () => fixture.runA.runId;

test('the alluvial diagram draws every pattern of every layer and the shared inputs, and a bar follows its members', async () => {
  const graph = await api<FlowGraphResponse>(apiPaths.flowGraph(runA()));
  const page = await openPage(`?view=flow&run=${runA()}&noise=1`);
  const nodes = page.locator('svg.sankey .sankey-node');
  await nodes.first().waitFor();
  assert.deepEqual(await page.locator('svg.sankey .sankey-layer').allTextContents(), [
    TINY.relu,
    TINY.pool,
    TINY.logits,
  ]);
  assert.equal(await nodes.count(), graph.nodes.patternId.length);
  assert.equal(await page.locator('svg.sankey .sankey-link').count(), graph.links.count.length);

  // Bar heights are proportional to the pattern sizes (one scale for the whole diagram).
  const bars = await nodes.evaluateAll((gs) =>
    gs.map((g) => ({
      layer: g.getAttribute('data-layer'),
      pattern: Number(g.getAttribute('data-pattern')),
      height: Number(g.querySelector('rect')!.getAttribute('height')),
    })),
  );
  const sizeOf = (layer: string | null, pattern: number) =>
    graph.nodes.size[
      graph.nodes.patternId.findIndex(
        (p, k) => p === pattern && graph.layers[graph.nodes.layerIndex[k]!]!.layer === layer,
      )
    ]!;
  const scales = bars.map((bar) => bar.height / sizeOf(bar.layer, bar.pattern));
  for (const scale of scales)
    assert.ok(Math.abs(scale / scales[0]! - 1) < 1e-6, `one scale for all bars (${scale} vs ${scales[0]})`);

  await page.getByLabel('Show noise').uncheck();
  await page.locator('svg.sankey .sankey-node[data-pattern="-1"]').first().waitFor({ state: 'detached' });
  assert.equal(await nodes.count(), graph.nodes.patternId.filter((p) => p >= 0).length);
  assert.ok(
    (await distinctColors(await page.locator('svg.sankey').screenshot())) > 10,
    'the diagram is drawn in colour',
  );

  // Clicking a bar follows its members: their bands through every layer, where they go and who they are.
  const target = page.locator(`svg.sankey .sankey-node[data-layer="${TINY.pool}"]`).first();
  const pattern = Number(await target.getAttribute('data-pattern'));
  await target.locator('rect').click();
  await page.locator('.flow-path h2', { hasText: `Path of Pattern ${pattern}` }).waitFor();
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('view'), 'flow');
  assert.equal(url.searchParams.get('layer'), TINY.pool);
  assert.equal(url.searchParams.get('p'), String(pattern));
  assert.equal(await page.locator('.sankey-node.selected').getAttribute('data-pattern'), String(pattern));
  const lineage = await api<LineageResponse>(apiPaths.lineage(runA(), TINY.pool, pattern));
  await page.locator('.flow-path .lineage-step.own').waitFor();
  assert.deepEqual(
    await page
      .locator('.flow-path .lineage-step')
      .evaluateAll((items) => items.map((li) => li.getAttribute('data-layer'))),
    [TINY.relu, TINY.pool, TINY.logits],
  );
  // The highlighted bands carry each member once per pair of consecutive layers that both hold it.
  const highlighted = await page
    .locator('.sankey-path-link title')
    .evaluateAll((titles) => titles.map((t) => Number(/^(\d+)/.exec(t.textContent ?? '')![1])));
  const members = lineage.size;
  assert.ok(highlighted.length > 0);
  assert.ok(
    highlighted.reduce((a, b) => a + b, 0) <= 2 * members,
    'no more than one band per member and pair of layers',
  );
  await page.locator('.flow-members .tile').first().waitFor();
  assert.equal(await page.locator('.flow-members .tile').count(), Math.min(48, members));
  await page.close();
});

/** Pairs of patterns (and noise, when shown) that share members: the cells the matrix draws. */
function sharingCells(flow: LayerFlowResponse, withNoise: boolean): number {
  const rows = flow.from.patternCount + (withNoise ? 1 : 0);
  const cols = flow.to.patternCount + (withNoise ? 1 : 0);
  let cells = 0;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) cells += flow.counts[i * (flow.to.patternCount + 1) + j]! > 0 ? 1 : 0;
  return cells;
}

test('the Jaccard matrix of two chosen layers draws every pattern pair on a canvas, seriated, with hover details', async () => {
  const flow = await api<LayerFlowResponse>(apiPaths.layerFlow(runA(), TINY.relu, TINY.logits));
  const page = await openPage(`?view=jaccard&run=${runA()}&layer=${TINY.relu}&to=${TINY.logits}`);
  const canvas = page.locator('canvas.jaccard');
  await canvas.waitFor();
  const ids = async (side: 'rows' | 'cols') => (await canvas.getAttribute(`data-${side}`))!.split(',').map(Number);
  // Every pattern of each side (fewer than the top 50), each once, noise hidden.
  assert.deepEqual(
    [...(await ids('rows'))].sort((a, b) => a - b),
    Array.from({ length: flow.from.patternCount }, (_, p) => p),
  );
  assert.deepEqual(
    [...(await ids('cols'))].sort((a, b) => a - b),
    Array.from({ length: flow.to.patternCount }, (_, p) => p),
  );
  assert.equal(Number(await canvas.getAttribute('data-cells')), sharingCells(flow, false));

  // Hovering the first row's cell in its best column tells that cell's numbers.
  const rows = await ids('rows');
  const cols = await ids('cols');
  const stride = flow.to.patternCount + 1;
  const row = rows[0]!;
  const values = cols.map((c) => flow.jaccard[row * stride + c]!);
  const j = values.indexOf(Math.max(...values));
  const box = (await canvas.boundingBox())!;
  const cell = Math.min(26, (box.width - 100) / cols.length, 760 / rows.length);
  await page.mouse.move(box.x + 92 + (j + 0.5) * cell, box.y + 64 + 0.5 * cell);
  const tip = page.locator('.jaccard-tip');
  await tip.waitFor();
  const text = (await tip.textContent())!;
  assert.match(text, new RegExp(`Pattern ${row} of ${TINY.relu}`));
  assert.match(text, new RegExp(`Pattern ${cols[j]} of ${TINY.logits}`));
  assert.match(text, new RegExp(`${flow.counts[row * stride + cols[j]!]} shared`));

  const pool = await api<LayerFlowResponse>(apiPaths.layerFlow(runA(), TINY.relu, TINY.pool));
  await page.locator('label.field', { hasText: 'Columns' }).locator('select').selectOption(TINY.pool);
  await page.waitForFunction(
    `document.querySelector('canvas.jaccard')?.getAttribute('data-cells') === '${sharingCells(pool, false)}'`,
  );
  assert.equal(new URL(page.url()).searchParams.get('to'), TINY.pool);
  await page.getByLabel('Show noise').check();
  await page.waitForFunction(
    `document.querySelector('canvas.jaccard')?.getAttribute('data-cells') === '${sharingCells(pool, true)}'`,
  );
  assert.equal((await ids('rows')).at(-1), -1, 'noise comes last');
  await page.close();
});

test('a pattern page links to its lineage: the patterns of every other layer holding its members', async () => {
  const pool = fixture.runA.layers.find((l) => l.layer === TINY.pool)!;
  const page = await openPage(`?view=pattern&run=${runA()}&layer=${TINY.pool}&p=0`);
  await page.getByRole('link', { name: 'Lineage' }).click();
  await page.locator('h1', { hasText: 'Lineage of Pattern 0' }).waitFor();
  const lineage = await api<LineageResponse>(apiPaths.lineage(runA(), TINY.pool, 0));
  assert.equal(lineage.clusteringId, pool.clusteringId);
  const steps = page.locator('.lineage-step');
  await steps.first().waitFor();
  assert.deepEqual(await steps.evaluateAll((items) => items.map((li) => li.getAttribute('data-layer'))), [
    TINY.relu,
    TINY.pool,
    TINY.logits,
  ]);
  assert.equal(await page.locator('.lineage-step.own').getAttribute('data-layer'), TINY.pool);
  for (const step of lineage.steps) {
    const chips = page.locator(`.lineage-step[data-layer="${step.layer}"] .lineage-chip`);
    const expected = step.shares.map(
      (s) => `${s.patternId === -1 ? 'noise' : `#${s.patternId}`}${(s.share * 100).toFixed(s.share >= 0.995 ? 0 : 1)}%`,
    );
    assert.deepEqual(
      (await chips.allTextContents()).map((t) => t.replace(/\s+/g, '')),
      expected,
      step.layer,
    );
  }
  const first = lineage.steps[0]!.shares.find((s) => s.patternId >= 0)!;
  await page
    .locator(`.lineage-step[data-layer="${TINY.relu}"] .lineage-chip`, { hasText: `#${first.patternId}` })
    .click();
  await page.locator('h1', { hasText: `Pattern ${first.patternId} of ${TINY.relu}` }).waitFor();
  await page.close();
});

test('two runs compared: ARI and NMI per shared layer and the matched patterns side by side', async () => {
  const comparison = await api<RunComparisonResponse>(apiPaths.compareRuns(runA(), runC.runId));
  const page = await openPage(`?view=compare-runs&run=${runA()}&runB=${runC.runId}`);
  const panels = page.locator('.versus-layer');
  await panels.first().waitFor();
  assert.deepEqual(await panels.evaluateAll((sections) => sections.map((s) => s.getAttribute('data-layer'))), [
    TINY.pool,
    TINY.logits,
  ]);
  assert.match((await page.locator('.versus-summary').textContent()) ?? '', /300 shared inputs/);
  for (const [i, layer] of comparison.layers.entries()) {
    const panel = panels.nth(i);
    const ari = (await panel.locator('td.ari').allTextContents()).map(Number);
    const nmi = (await panel.locator('td.nmi').allTextContents()).map(Number);
    assert.ok(Math.abs(ari[0]! - layer.withNoise.adjustedRandIndex!) < 1e-3, `${layer.layerA} ARI`);
    assert.ok(Math.abs(nmi[0]! - layer.withNoise.normalizedMutualInformation!) < 1e-3, `${layer.layerA} NMI`);
    assert.equal(await panel.locator('.versus-pairs tbody tr').count(), layer.pairs.patternA.length);
  }
  // The dense logits see no aggregation: both runs cluster the same vectors alike.
  assert.ok(Math.abs(comparison.layers[1]!.withNoise.adjustedRandIndex! - 1) < 1e-12);
  assert.equal(await panels.nth(1).locator('td.ari').first().textContent(), '1');
  const images = panels.nth(0).locator('.versus-pairs img.average');
  await images.first().waitFor();
  await page.waitForFunction(
    "[...document.querySelectorAll('.versus-layer img.average')].slice(0, 4).every((img) => img.complete && img.naturalWidth > 0)",
  );
  await page.close();
});

test('the pattern page lays the stored heatmaps over the average image and the members', async () => {
  const relu = fixture.runA.layers.find((l) => l.layer === TINY.relu)!;
  const heatmaps = await api<HeatmapsResponse>(apiPaths.heatmaps(relu.clusteringId, 0));
  assert.equal(heatmaps.hasMean, true);
  const page = await openPage(`?view=pattern&run=${runA()}&layer=${TINY.relu}&p=0`);
  const toggle = page.getByRole('button', { name: 'Heatmap' });
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  assert.equal(new URL(page.url()).searchParams.get('heat'), '1');
  await page.waitForFunction(
    "(() => { const img = document.querySelector('.average-frame img.overlay'); return img !== null && img.complete && img.naturalWidth > 0; })()",
  );
  await page.locator('.member-grid .tile img.overlay').first().waitFor();
  assert.equal(
    await page.locator('.member-grid .tile img.overlay').count(),
    heatmaps.inputIndex.length,
    'every member with a stored heatmap',
  );
  await toggle.click();
  await page.locator('.average-frame img.overlay').waitFor({ state: 'detached' });
  await page.close();
});
