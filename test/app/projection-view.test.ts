/**
 * The map view (a layer's 2-D projection drawn with WebGL) in headless Chromium against the server over the
 * tiny store: points drawn where the projection puts them in their pattern's colour, colour modes, keyboard
 * pan and zoom, a lasso and a box drawn with the mouse select exactly the inputs inside them (checked
 * against the projection and the polygon mapped to data coordinates here), the gallery and the pattern list
 * follow the selection, a pattern chosen in the list is highlighted, hover and click on a point, and the
 * message for a layer without a projection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import {
  type InputsResponse,
  type MembershipsResponse,
  type ProjectionResponse,
  type RunsResponse,
} from '../../src/results/api-types.js';
import { ARROW_MIME } from '../../src/results/codec/arrow.js';
import { decodeTable } from '../../src/results/codec/arrow-decode.js';
import { WIRE_TABLES } from '../../src/results/codec/tables.js';
import { apiPaths } from '../../src/results/routes.js';
import { TINY } from '../helpers/tiny-models.js';
import { serveTinyApp, type ServedApp, type TinyStore } from './fixture.js';

let app: ServedApp;
let fixture: TinyStore;
let runId: number;
let projection: ProjectionResponse;
let memberships: MembershipsResponse;
let inputs: InputsResponse;
/** Positions as the app holds them: decoded from the map's Arrow stream (16-bit fixed point on the wire). */
let xs: number[];
let ys: number[];
const LAYER = TINY.pool;

const api = <T>(route: string): Promise<T> => app.api<T>(route);

before(async () => {
  app = await serveTinyApp('nap-map-test-');
  fixture = app.fixture;
  runId = fixture.runA.runId;
  const layer = fixture.runA.layers.find((l) => l.layer === LAYER)!;
  projection = await api<ProjectionResponse>(apiPaths.projection(runId, LAYER));
  memberships = await api<MembershipsResponse>(apiPaths.memberships(layer.clusteringId));
  inputs = await api<InputsResponse>(apiPaths.inputs(runId, { limit: 100_000 }));
  const held = await fetch(app.server.url + apiPaths.projection(runId, LAYER), { headers: { Accept: ARROW_MIME } });
  const points = decodeTable(WIRE_TABLES.projection, new Uint8Array(await held.arrayBuffer()));
  assert.deepEqual(Array.from(points.inputIndex), projection.inputIndex, 'the same points as the JSON projection');
  xs = Array.from(points.x);
  ys = Array.from(points.y);
  // 16 bits over the extent: a hundredth of a pixel at the fitted view.
  const extent = Math.max(...projection.x.map(Number)) - Math.min(...projection.x.map(Number));
  projection.x.forEach((x, i) => assert.ok(Math.abs(xs[i]! - Number(x)) <= extent / 65534, `x of point ${i}`));
});

after(async () => {
  await app?.close();
  assert.deepEqual(app.pageErrors, [], 'no uncaught errors in the page');
});

// A tall page, so that the whole gallery of a selection is rendered below the map.
async function openMap(query = ''): Promise<Page> {
  const page = await app.newPage({ viewport: { width: 1300, height: 2200 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${app.server.url}/?view=map&run=${runId}&layer=${LAYER}${query}`);
  await page.locator('.scatter-canvas[data-view]').waitFor();
  // The legend names patterns once the memberships are in: the colours are final then.
  await page.locator('.map-legend-entry', { hasText: 'Pattern 0' }).waitFor();
  await settle(page);
  return page;
}

/** Two animation frames: whatever changed has been drawn. */
async function settle(page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

interface Geometry {
  /** The canvas box in page coordinates. */
  left: number;
  top: number;
  width: number;
  height: number;
  centerX: number;
  centerY: number;
  scale: number;
}

async function geometry(page: Page): Promise<Geometry> {
  const canvas = page.locator('.scatter-canvas');
  const box = (await canvas.boundingBox())!;
  const [centerX, centerY, scale] = (await canvas.getAttribute('data-view'))!.split(' ').map(Number) as [
    number,
    number,
    number,
  ];
  return { left: box.x, top: box.y, width: box.width, height: box.height, centerX, centerY, scale };
}

/** Canvas-local CSS pixel of data point (x, y), and back. */
const toScreen = (g: Geometry, x: number, y: number): [number, number] => [
  (x - g.centerX) * g.scale + g.width / 2,
  g.height / 2 - (y - g.centerY) * g.scale,
];
const toData = (g: Geometry, sx: number, sy: number): [number, number] => [
  (sx - g.width / 2) / g.scale + g.centerX,
  (g.height / 2 - sy) / g.scale + g.centerY,
];

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** The map as the page shows it (points and overlay), one pixel per CSS pixel. */
async function canvasPixels(page: Page): Promise<Pixels> {
  await page.mouse.move(2, 2); // no hover ring, no tooltip
  await settle(page);
  const png = await page.locator('.scatter').screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function pixelAt(p: Pixels, sx: number, sy: number): string {
  const i = (Math.floor(sy) * p.width + Math.floor(sx)) * p.channels;
  return `rgb(${p.data[i]}, ${p.data[i + 1]}, ${p.data[i + 2]})`;
}

function colorCounts(p: Pixels): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < p.data.length; i += p.channels) {
    const key = `rgb(${p.data[i]}, ${p.data[i + 1]}, ${p.data[i + 2]})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Legend rows: label -> swatch colour (the rgb() of its inline style). */
async function legend(page: Page): Promise<Map<string, string>> {
  const rows = await page
    .locator('.map-legend-entry')
    .evaluateAll((items) =>
      items.map(
        (item) =>
          [item.textContent ?? '', item.querySelector('.swatch')?.getAttribute('style') ?? ''] as [string, string],
      ),
    );
  return new Map(
    rows.map(([text, style]) => [text.trim().replace(/\s+\S+$/, ''), /rgb\(\d+, \d+, \d+\)/.exec(style)?.[0] ?? style]),
  );
}

const exactly = (n: number) => new RegExp(`^${n}$`);

const patternOf = (i: number) => memberships.patternId[memberships.inputIndex.indexOf(projection.inputIndex[i]!)]!;
const labelOf = (i: number) => inputs.label[inputs.inputIndex.indexOf(projection.inputIndex[i]!)] ?? null;
const patternLabel = (p: number) => (p === -1 ? 'Noise' : `Pattern ${p}`);

/** Points with no other point within `clear` CSS pixels on screen, away from the edges and the zoom buttons. */
async function isolatedPoints(page: Page, g: Geometry, clear: number): Promise<number[]> {
  const zoom = (await page.locator('.scatter-zoom').boundingBox())!;
  const screen = xs.map((x, i) => toScreen(g, x, ys[i]!));
  return screen.flatMap(([sx, sy], i) => {
    if (sx < clear || sy < clear || sx > g.width - clear || sy > g.height - clear) return [];
    if (sx + g.left > zoom.x - clear && sy + g.top < zoom.y + zoom.height + clear) return [];
    const crowded = screen.some(([ox, oy], j) => j !== i && Math.hypot(ox - sx, oy - sy) < clear);
    return crowded ? [] : [i];
  });
}

/** Even-odd rule by winding crossings, written apart from the app's, for the expected selections. */
function inside(polygon: number[][], x: number, y: number): boolean {
  let crossings = 0;
  for (let k = 0; k < polygon.length; k++) {
    const [ax, ay] = polygon[k]!;
    const [bx, by] = polygon[(k + 1) % polygon.length]!;
    if (ay! <= y ? by! > y : by! <= y) {
      const t = (y - ay!) / (by! - ay!);
      if (x < ax! + t * (bx! - ax!)) crossings++;
    }
  }
  return crossings % 2 === 1;
}

/** Distance from (x, y) to the polygon's outline. */
function distanceToOutline(polygon: number[][], x: number, y: number): number {
  let best = Infinity;
  for (let k = 0; k < polygon.length; k++) {
    const [ax, ay] = polygon[k]!;
    const [bx, by] = polygon[(k + 1) % polygon.length]!;
    const dx = bx! - ax!;
    const dy = by! - ay!;
    const t = Math.max(0, Math.min(1, ((x - ax!) * dx + (y - ay!) * dy) / (dx * dx + dy * dy || 1)));
    best = Math.min(best, Math.hypot(x - (ax! + t * dx), y - (ay! + t * dy)));
  }
  return best;
}

/** Screen position (canvas-local) of the pattern member with the most points within `radius` CSS pixels. */
function densestPoint(g: Geometry, radius: number): [number, number] {
  const screen = xs.map((x, i) => toScreen(g, x, ys[i]!));
  const neighbours = screen.map(([sx, sy], i) =>
    patternOf(i) < 0 ? -1 : screen.filter(([ox, oy]) => Math.hypot(ox - sx, oy - sy) < radius).length,
  );
  return screen[neighbours.indexOf(Math.max(...neighbours))]!;
}

/** Drags the mouse along the polygon (canvas-local CSS pixels) and back to its start. */
async function drag(page: Page, g: Geometry, polygon: number[][]): Promise<void> {
  const [first, ...rest] = polygon;
  await page.mouse.move(g.left + first![0]!, g.top + first![1]!);
  await page.mouse.down();
  for (const [sx, sy] of [...rest, first!]) await page.mouse.move(g.left + sx!, g.top + sy!, { steps: 8 });
  await page.mouse.up();
}

function regionOf(page: Page): number[][] {
  const text = new URL(page.url()).searchParams.get('region');
  assert.ok(text, 'the selection is in the URL');
  const values = text.split(',').map(Number);
  return Array.from({ length: values.length / 2 }, (_, k) => [values[2 * k]!, values[2 * k + 1]!]);
}

async function galleryInputs(page: Page): Promise<number[]> {
  const labels = await page
    .locator('.map-gallery .tile')
    .evaluateAll((tiles) => tiles.map((t) => t.getAttribute('aria-label') ?? ''));
  return labels.map((label) => Number(/^Input (\d+)/.exec(label)![1])).sort((a, b) => a - b);
}

/** Pattern list rows: pattern id -> count shown. */
async function listedCounts(page: Page): Promise<Map<number, number>> {
  const rows = await page
    .locator('.map-pattern')
    .evaluateAll((items) =>
      items.map(
        (li) =>
          [
            Number(li.getAttribute('data-pattern')),
            li.querySelector('.map-pattern-count')!.firstChild!.textContent!,
          ] as [number, string],
      ),
    );
  return new Map(rows.map(([p, text]) => [p, Number(text.replace(/,/g, ''))]));
}

function countPatterns(points: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const i of points) counts.set(patternOf(i), (counts.get(patternOf(i)) ?? 0) + 1);
  return counts;
}

/**
 * Asserts that the selection the app made is the polygon's: exactly (the polygon in the URL) and up to a pixel
 * and a half (the outline drawn; the app simplifies a lasso within a pixel).
 */
async function checkSelection(page: Page, g: Geometry, drawn: number[][]): Promise<number[]> {
  await page.waitForURL(/region=/);
  const region = regionOf(page);
  const expected = xs.flatMap((x, i) => (inside(region, x, ys[i]!) ? [i] : []));
  assert.ok(
    expected.length > 0 && expected.length < xs.length,
    `the polygon holds some points but not all (${expected.length} of ${xs.length})`,
  );
  // The drawn outline mapped to data coordinates here agrees with the app's polygon for every point not near it.
  const drawnData = drawn.map(([sx, sy]) => toData(g, sx!, sy!));
  const near = 1.5 / g.scale;
  xs.forEach((x, i) => {
    if (distanceToOutline(drawnData, x, ys[i]!) > near)
      assert.equal(inside(drawnData, x, ys[i]!), expected.includes(i), `point ${i} inside the drawn outline`);
  });
  const expectedInputs = expected.map((i) => projection.inputIndex[i]!).sort((a, b) => a - b);
  await page.locator('.map-selection strong', { hasText: exactly(expected.length) }).waitFor();
  await page.locator('.map-gallery .count', { hasText: exactly(expected.length) }).waitFor();
  await page.locator('.map-gallery .tile').first().waitFor();
  assert.deepEqual(await galleryInputs(page), expectedInputs, 'the gallery shows the selected inputs');
  assert.deepEqual(
    await listedCounts(page),
    countPatterns(expected),
    'the pattern list counts the selected points per pattern',
  );
  return expected;
}

test('the map draws every point where the projection puts it, in its pattern colour, and recolours by label', async () => {
  assert.equal(projection.inputIndex.length, inputs.total, 'one point per input of the run');
  const page = await openMap();
  assert.equal(await page.locator('.scatter-canvas').getAttribute('data-points'), String(projection.inputIndex.length));
  const g = await geometry(page);
  const byPattern = await legend(page);
  const pixels = await canvasPixels(page);
  const counts = colorCounts(pixels);
  const patterns = [...new Set(memberships.patternId)];
  for (const p of patterns) {
    const color = byPattern.get(patternLabel(p));
    assert.ok(color, `the legend lists ${patternLabel(p)}`);
    assert.ok((counts.get(color) ?? 0) > 0, `${patternLabel(p)}'s colour ${color} is on the canvas`);
  }
  const isolated = await isolatedPoints(page, g, 9);
  assert.ok(isolated.length >= 10, `enough isolated points to check (${isolated.length})`);
  for (const i of isolated) {
    const [sx, sy] = toScreen(g, xs[i]!, ys[i]!);
    assert.equal(
      pixelAt(pixels, sx, sy),
      byPattern.get(patternLabel(patternOf(i))),
      `point ${i} at (${sx.toFixed(1)}, ${sy.toFixed(1)}) in its pattern's colour`,
    );
    assert.equal(pixelAt(pixels, sx + 5, sy), 'rgb(255, 255, 255)', `nothing drawn 5 px right of point ${i}`);
  }

  await page.locator('.map-toolbar select').selectOption('label');
  await page.waitForURL(/color=label/);
  await page.locator('.map-legend-title', { hasText: 'Label' }).waitFor();
  await settle(page);
  const byLabel = await legend(page);
  const relabelled = await canvasPixels(page);
  assert.notDeepEqual(relabelled.data, pixels.data, 'the colour mode changes the pixels');
  for (const i of isolated) {
    const [sx, sy] = toScreen(g, xs[i]!, ys[i]!);
    assert.equal(pixelAt(relabelled, sx, sy), byLabel.get(labelOf(i) ?? 'none'), `point ${i} in its label's colour`);
  }
  await page.locator('.map-toolbar select').selectOption('outlier');
  await page.locator('.map-ramp').waitFor();
  await page.close();
});

test('keyboard and buttons pan and zoom the map by its view, and 0 resets it', async () => {
  const page = await openMap();
  const start = await geometry(page);
  await page.locator('.scatter-canvas').focus();
  await page.keyboard.press('+');
  await settle(page);
  const zoomed = await geometry(page);
  assert.ok(Math.abs(zoomed.scale / start.scale - 1.5) < 1e-9, 'plus zooms in by 1.5');
  await page.keyboard.press('ArrowLeft');
  await settle(page);
  const panned = await geometry(page);
  assert.ok(
    Math.abs(panned.centerX - (zoomed.centerX - 60 / zoomed.scale)) < 1e-9,
    'the left arrow moves the view 60 px left',
  );
  await page.keyboard.press('0');
  await settle(page);
  assert.deepEqual(await geometry(page), start);
  await page.getByRole('button', { name: 'Zoom out' }).click();
  await settle(page);
  assert.ok(Math.abs((await geometry(page)).scale / start.scale - 1 / 1.5) < 1e-9);
  await page.close();
});

test('a lasso drawn with the mouse selects exactly the inputs inside it; the list and gallery follow; a pattern chosen in the list is highlighted', async () => {
  const page = await openMap();
  const g = await geometry(page);
  await page.getByRole('button', { name: 'Lasso' }).click();
  // A free-hand pentagon around the densest spot of the map.
  const r = Math.min(g.width, g.height) * 0.15;
  const [cx, cy] = densestPoint(g, r);
  const lasso = Array.from({ length: 5 }, (_, k) => [
    cx + r * Math.cos((2 * Math.PI * k) / 5 + 0.3),
    cy + r * Math.sin((2 * Math.PI * k) / 5 + 0.3) * 0.8,
  ]);
  await drag(page, g, lasso);
  const selected = await checkSelection(page, g, lasso);

  // Choosing the pattern with most selected points highlights it: its points keep their colour, the others fade.
  const [top] = [...countPatterns(selected)].filter(([p]) => p >= 0).sort((a, b) => b[1] - a[1])[0]!;
  await page.locator(`.map-pattern[data-pattern="${top}"] .map-pattern-toggle`).click();
  await page.waitForURL(new RegExp(`[?&]p=${top}(&|$)`));
  assert.equal(
    await page.locator(`.map-pattern[data-pattern="${top}"] .map-pattern-toggle`).getAttribute('aria-pressed'),
    'true',
  );
  const inTop = selected
    .filter((i) => patternOf(i) === top)
    .map((i) => projection.inputIndex[i]!)
    .sort((a, b) => a - b);
  await page.locator('.map-gallery .count', { hasText: exactly(inTop.length) }).waitFor();
  assert.deepEqual(await galleryInputs(page), inTop, 'the gallery narrows to the highlighted pattern');
  await settle(page);
  const byPattern = await legend(page);
  const pixels = await canvasPixels(page);
  const isolated = await isolatedPoints(page, g, 9);
  const region = regionOf(page).map(([x, y]) => toScreen(g, x!, y!));
  const counts = colorCounts(pixels);
  for (const [label, color] of byPattern) {
    if (label === patternLabel(top))
      assert.ok((counts.get(color) ?? 0) > 0, `the highlighted ${label} keeps its colour ${color}`);
    else assert.equal(counts.get(color) ?? 0, 0, `no pixel of ${label} keeps its colour ${color}`);
  }
  let faded = 0;
  for (const i of isolated) {
    const [sx, sy] = toScreen(g, xs[i]!, ys[i]!);
    if (patternOf(i) === top || distanceToOutline(region, sx, sy) < 6) continue; // the dashed outline may cover it
    const full = byPattern.get(patternLabel(patternOf(i)))!;
    const shown = pixelAt(pixels, sx, sy);
    const sum = (rgb: string) =>
      rgb
        .match(/\d+/g)!
        .map(Number)
        .reduce((a, b) => a + b, 0);
    assert.ok(
      shown !== full && sum(shown) > sum(full) && shown !== 'rgb(255, 255, 255)',
      `point ${i} of another pattern is drawn faded (${shown} vs ${full})`,
    );
    faded++;
  }
  assert.ok(faded > 0, 'some faded points were checked');
  await page.close();
});

test('a box selects exactly the inputs inside it, and the selection survives a reload from the URL', async () => {
  const page = await openMap();
  const g = await geometry(page);
  await page.getByRole('button', { name: 'Box' }).click();
  // A box around the densest spot of the map.
  const [mx, my] = densestPoint(g, 60);
  const box = [
    [mx - 60.5, my - 40.5],
    [mx + 80.5, my - 40.5],
    [mx + 80.5, my + 50.5],
    [mx - 60.5, my + 50.5],
  ].map(([sx, sy]) => [Math.min(g.width - 2, Math.max(2, sx!)), Math.min(g.height - 2, Math.max(2, sy!))]);
  await page.mouse.move(g.left + box[0]![0]!, g.top + box[0]![1]!);
  await page.mouse.down();
  await page.mouse.move(g.left + box[2]![0]!, g.top + box[2]![1]!, { steps: 10 });
  await page.mouse.up();
  const selected = await checkSelection(page, g, box);
  await page.reload();
  await page.locator('.map-selection strong', { hasText: exactly(selected.length) }).waitFor();
  await page.getByRole('button', { name: 'Clear selection' }).click();
  await page.waitForURL((url) => !url.searchParams.has('region'));
  await page.close();
});

test('hovering a point shows its input; clicking it opens its pattern', async () => {
  const page = await openMap();
  const g = await geometry(page);
  const [i] = (await isolatedPoints(page, g, 12)).filter((k) => patternOf(k) >= 0);
  assert.ok(i !== undefined, 'an isolated point in a pattern');
  const [sx, sy] = toScreen(g, xs[i]!, ys[i]!);
  // The thumbnail is a cell of a sprite sheet that holds this input.
  const sheet = page.waitForRequest((request) => {
    const index = new URL(request.url()).searchParams.get('index');
    return (
      request.url().includes('/thumbnails.png') && (index?.split(',') ?? []).includes(String(projection.inputIndex[i]))
    );
  });
  await page.mouse.move(g.left + sx + 1, g.top + sy);
  const tip = page.locator('.tooltip .map-tip');
  await tip.waitFor();
  const text = (await tip.textContent()) ?? '';
  assert.match(text, new RegExp(`#${projection.inputIndex[i]}(?!\\d)`));
  assert.match(text, new RegExp(`Pattern ${patternOf(i)}(?!\\d)`));
  await sheet;
  await tip.locator('.thumb[data-state="ready"]').waitFor();
  await page.mouse.click(g.left + sx + 1, g.top + sy);
  await page.waitForURL(new RegExp(`view=pattern.*[?&]p=${patternOf(i)}(&|$)`));
  await page.locator('h1', { hasText: `Pattern ${patternOf(i)}` }).waitFor();
  await page.close();
});

test('the map survives a lost WebGL context, says so when WebGL is missing, and draws at the device pixel ratio', async () => {
  const page = await openMap();
  const g = await geometry(page);
  const byPattern = await legend(page);
  const isolated = await isolatedPoints(page, g, 9);
  await page.evaluate(
    "window.loseContext = document.querySelector('.scatter-canvas').getContext('webgl2').getExtension('WEBGL_lose_context'); window.loseContext.loseContext()",
  );
  await page.locator('.scatter-message', { hasText: 'graphics context was lost' }).waitFor();
  await page.evaluate('window.loseContext.restoreContext()');
  await page.locator('.scatter-message').waitFor({ state: 'detached' });
  await settle(page);
  const pixels = await canvasPixels(page);
  for (const i of isolated) {
    const [sx, sy] = toScreen(g, xs[i]!, ys[i]!);
    assert.equal(
      pixelAt(pixels, sx, sy),
      byPattern.get(patternLabel(patternOf(i))),
      `point ${i} drawn again after the restore`,
    );
  }
  await page.close();

  const noWebGl = await app.newPage({ viewport: { width: 1300, height: 900 } });
  await noWebGl.addInitScript(`{
    const getContext = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
      return /webgl/.test(kind) ? null : getContext.call(this, kind, ...rest);
    };
  }`);
  await noWebGl.goto(`${app.server.url}/?view=map&run=${runId}&layer=${LAYER}`);
  await noWebGl.getByRole('alert').filter({ hasText: 'offers no WebGL' }).waitFor();
  await noWebGl.locator('.map-pattern').first().waitFor(); // the rest of the view still works
  await noWebGl.close();

  const dense = await app.newPage({ viewport: { width: 1300, height: 900 }, deviceScaleFactor: 2 });
  await dense.goto(`${app.server.url}/?view=map&run=${runId}&layer=${LAYER}`);
  const canvas = dense.locator('.scatter-canvas[data-view]');
  await canvas.waitFor();
  const size = await canvas.evaluate((c) =>
    [c.getAttribute('width'), c.getAttribute('height'), c.clientWidth, c.clientHeight].map(Number),
  );
  assert.deepEqual(
    size.slice(0, 2),
    [size[2]! * 2, size[3]! * 2],
    'the backing store has two device pixels per CSS pixel',
  );
  await dense.close();
});

test('a layer without a projection says how to make one', async () => {
  const page = await app.newPage({ viewport: { width: 1300, height: 900 } });
  // The store has projections of every layer: make the server's answers say otherwise.
  await page.route('**/api/runs', async (route) => {
    const runs = (await (await route.fetch()).json()) as RunsResponse;
    for (const layer of runs.runs.find((r) => r.runId === runId)!.layers)
      if (layer.layer === TINY.logits) layer.projection = null;
    await route.fulfill({ json: runs });
  });
  await page.route('**/projection', (route) =>
    route.fulfill({
      status: 404,
      json: {
        error: 'no stored projection',
        hint: `run nap project <store> --run ${runId} --layer ${TINY.relu}`,
        status: 404,
      },
    }),
  );
  await page.goto(`${app.server.url}/?view=map&run=${runId}&layer=${TINY.logits}`);
  await page.locator('.empty pre.command', { hasText: 'nap project <db>' }).waitFor();
  await page.locator('.layer-strip a.layer-box', { hasText: TINY.relu }).click();
  await page.locator('.empty', { hasText: `--layer ${TINY.relu}` }).waitFor();
  assert.match((await page.locator('.empty pre.command').textContent()) ?? '', /nap project <db>/);
  await page.close();
});
