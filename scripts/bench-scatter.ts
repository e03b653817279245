/**
 * Frames per second of the app's map (the WebGL scatter plot) in headless Chromium while it pans and zooms.
 * The real app is built from source and opened on a made-up origin whose /api answers come from
 * page.route: a run of N synthetic inputs in clusters with their projection, memberships and inputs. In
 * the page, a requestAnimationFrame loop sends the canvas one pointer move (a drag, pan) or one wheel
 * event (zoom in and out around a moving cursor) per frame for a few seconds and records the frame
 * timestamps. Printed per size and gesture: mean FPS (frames / seconds) and p5 FPS (1000 / the 95th
 * percentile frame time: 95% of frames were at least this fast). Figures only; nothing is asserted.
 *
 * Usage: node build/scripts/bench-scatter.js [--sizes 10000,100000] [--seconds 4] [--screenshot DIR]
 *   [--store FILE [--run 1] [--layer dense]]
 * --store opens the map of a real store instead, served by the server's own code (startServer), e.g. the
 * million inputs of `node build/scripts/synth-store.js --out /tmp/nap-1m.duckdb`; it also prints the time
 * from navigation until the map is drawn with its patterns coloured (tables fetched, decoded and uploaded).
 * Chromium runs as the tests run it (--disable-gpu: WebGL on SwiftShader, i.e. on the CPU), so the
 * figures depend on the CPU and on whatever else runs on the machine.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page, Route } from 'playwright-core';
import type {
  InfoResponse,
  InputsResponse,
  MembershipsResponse,
  PatternsResponse,
  PatternSummary,
  ProjectionResponse,
  RunsResponse,
} from '../src/results/api-types.js';
import { startServer } from '../src/server/index.js';
import { buildApp, launchChromium } from '../test/app/fixture.js';
import { mulberry32 } from '../src/io/datasets/sample.js';

const ORIGIN = 'http://nap-bench.test';
const LAYER = 'dense';
const CLUSTERING_ID = 1;
const RUN_ID = 1;
const PATTERNS = 40;
const LABELS = Array.from({ length: 10 }, (_, i) => String(i));

interface Synthetic {
  projection: ProjectionResponse;
  memberships: MembershipsResponse;
  inputs: InputsResponse;
  patterns: PatternsResponse;
  runs: RunsResponse;
}

/** N points in PATTERNS gaussian islands (15% noise spread over the plane), as the API would send them. */
function synthesize(count: number): Synthetic {
  const next = mulberry32(count);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const centers = Array.from({ length: PATTERNS }, () => [next() * 20 - 10, next() * 20 - 10] as const);
  const inputIndex = Array.from({ length: count }, (_, i) => i);
  const x: number[] = [];
  const y: number[] = [];
  const patternId: number[] = [];
  const label: string[] = [];
  for (let i = 0; i < count; i++) {
    const noise = next() < 0.15;
    const p = noise ? -1 : Math.floor(next() * PATTERNS);
    const [cx, cy] = noise ? [next() * 24 - 12, next() * 24 - 12] : centers[p]!;
    x.push(cx + (noise ? 0 : gauss() * 0.6));
    y.push(cy + (noise ? 0 : gauss() * 0.6));
    patternId.push(p);
    label.push(LABELS[noise ? Math.floor(next() * 10) : p % 10]!);
  }
  const prediction = label.map((l) => (next() < 0.9 ? Number(l) : Math.floor(next() * 10)));
  const probability = prediction.map(() => 0.5 + next() / 2);
  const summary = (id: number): PatternSummary => {
    const size = patternId.filter((p) => p === id).length;
    return {
      patternId: id,
      size,
      persistence: id < 0 ? 0 : 1 - id / PATTERNS,
      labels: { label: [], count: [] },
      predictions: { label: [], count: [] },
      dominantLabel: id < 0 ? null : LABELS[id % 10]!,
      labelPurity: id < 0 ? null : 1,
      misclassifiedCount: 0,
      outlierCount: 0,
      outlierShare: 0,
      meanProbability: 0.8,
      mostStable: [],
      leastStable: [],
      topOutliers: [],
    };
  };
  const clustering = {
    clusteringId: CLUSTERING_ID,
    runId: RUN_ID,
    layer: LAYER,
    unit: null,
    params: {},
    patternCount: PATTERNS,
    noiseCount: patternId.filter((p) => p < 0).length,
    createdAt: '2025-01-01T00:00:00Z',
  };
  return {
    projection: { runId: RUN_ID, layer: LAYER, method: 'umap', params: {}, inputIndex, x, y },
    memberships: {
      clusteringId: CLUSTERING_ID,
      inputIndex,
      patternId,
      probability: patternId.map((p) => (p < 0 ? 0 : next())),
      outlierScore: patternId.map(() => next()),
    },
    inputs: {
      runId: RUN_ID,
      total: count,
      offset: 0,
      inputIndex,
      path: inputIndex.map(() => null),
      content: inputIndex.map(() => null),
      label,
      prediction,
      predictionLabel: prediction.map(String),
      probability,
      misclassified: prediction.map((p, i) => String(p) !== label[i]),
    },
    patterns: {
      clustering,
      outlierThreshold: 0.9,
      outlierQuantile: 0.9,
      patterns: Array.from({ length: PATTERNS }, (_, p) => summary(p)),
      noise: summary(-1),
    },
    runs: {
      runs: [
        {
          runId: RUN_ID,
          name: 'synthetic',
          createdAt: '2025-01-01T00:00:00Z',
          status: 'complete',
          modelPath: 'synthetic.onnx',
          datasetSpec: 'synthetic',
          inputCount: count,
          labels: LABELS,
          predictionLabels: LABELS,
          inputContents: false,
          inputPictures: 'dataset',
          layers: [
            {
              layer: LAYER,
              order: 0,
              opType: 'Gemm',
              rawDims: [64],
              aggregation: 'none',
              dim: 64,
              clusterings: [clustering],
              projection: 'umap',
            },
          ],
        },
      ],
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

/** Answers the app's files from `appDir` and its API calls from the synthetic run. */
async function serve(page: Page, appDir: string, data: Synthetic): Promise<void> {
  const info: InfoResponse = {
    store: 'synthetic.duckdb',
    storeVersion: 'bench',
    schemaVersion: 1,
    runCount: 1,
    imageSize: { min: 16, max: 512, default: 64 },
  };
  const json: Record<string, unknown> = {
    '/api/info': info,
    '/api/runs': data.runs,
    [`/api/runs/${RUN_ID}/layers/${LAYER}/projection`]: data.projection,
    [`/api/clusterings/${CLUSTERING_ID}/memberships`]: data.memberships,
    [`/api/runs/${RUN_ID}/inputs`]: data.inputs,
    [`/api/clusterings/${CLUSTERING_ID}/patterns`]: data.patterns,
  };
  await page.route(`${ORIGIN}/**`, async (route: Route) => {
    const url = new URL(route.request().url());
    if (url.pathname.startsWith('/api/')) {
      const body = json[url.pathname];
      if (body === undefined)
        await route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ error: `${url.pathname} is not mocked`, status: 404 }),
        });
      else await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
      return;
    }
    const file = path.join(appDir, url.pathname === '/' ? 'index.html' : url.pathname);
    const body = await readFile(file).catch(() => null);
    if (body === null) await route.fulfill({ status: 404, body: 'not found' });
    else
      await route.fulfill({ status: 200, contentType: TYPES[path.extname(file)] ?? 'application/octet-stream', body });
  });
}

interface FrameStats {
  /** The render mode before and after the gesture (store mode only). */
  mode?: string;
  frames: number;
  meanFps: number;
  p5Fps: number;
}

/**
 * In-page code (plain JavaScript: this script is compiled without the DOM types): runs the gesture on the
 * map's canvas for `seconds`, one synthetic event per animation frame, and resolves to the frame timestamps.
 */
const GESTURE_LOOP = `({ gesture, seconds }) => new Promise((resolve) => {
  const canvas = document.querySelector('.scatter-canvas');
  const rect = canvas.getBoundingClientRect();
  const cx = rect.left + rect.width / 2;
  const cy = rect.top + rect.height / 2;
  const pointer = (type, x, y) => canvas.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, pointerId: 7, button: 0, buttons: type === 'pointerup' ? 0 : 1, bubbles: true, cancelable: true }));
  const times = [];
  let start = -1;
  if (gesture === 'pan') pointer('pointerdown', cx, cy);
  const frame = (time) => {
    if (start < 0) start = time;
    times.push(time);
    const t = (time - start) / 1000;
    if (gesture === 'pan') {
      // A smooth circle of radius 150 px, one turn in two seconds.
      pointer('pointermove', cx + 150 * Math.sin(Math.PI * t), cy + 150 * (1 - Math.cos(Math.PI * t)));
    } else {
      // Zoom in for a second (about 11 times), out for a second, around a slowly moving cursor.
      const direction = Math.floor(t) % 2 === 0 ? -1 : 1;
      canvas.dispatchEvent(new WheelEvent('wheel', { clientX: cx + 100 * Math.sin(t), clientY: cy + 60 * Math.cos(t), deltaY: 20 * direction, deltaMode: 0, bubbles: true, cancelable: true }));
    }
    if (time - start < seconds * 1000) requestAnimationFrame(frame);
    else {
      if (gesture === 'pan') pointer('pointerup', cx, cy);
      resolve(times);
    }
  };
  requestAnimationFrame(frame);
})`;

async function gestureFrames(page: Page, gesture: 'pan' | 'zoom', seconds: number): Promise<number[]> {
  return await page.evaluate<number[]>(`(${GESTURE_LOOP})(${JSON.stringify({ gesture, seconds })})`);
}

/** The WebGL renderer Chromium offers (in-page JavaScript, see GESTURE_LOOP). */
const RENDERER_NAME = `(() => {
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
  return gl ? String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) : 'no WebGL 2';
})()`;

function statsOf(times: number[]): FrameStats {
  // The first two frames start the gesture (the first draw follows one frame later).
  const usable = times.slice(2);
  const intervals = usable
    .slice(1)
    .map((t, i) => t - usable[i]!)
    .sort((a, b) => a - b);
  const duration = usable.at(-1)! - usable[0]!;
  const p95 = intervals[Math.min(intervals.length - 1, Math.floor(intervals.length * 0.95))]!;
  return { frames: intervals.length, meanFps: (intervals.length / duration) * 1000, p5Fps: 1000 / p95 };
}

interface SizeResult {
  /** How the scatter plot chose to draw (scatter-gl.ts): 'direct', 'cached' or 'density'. */
  mode: string;
  pan: FrameStats;
  zoom: FrameStats;
  /** Milliseconds from navigation until the map was drawn with its patterns coloured. */
  firstDraw: number;
}

/** Opens the map at `url`, waits for it to be drawn with its legend, then pans and zooms. */
async function measureMap(
  page: Page,
  url: string,
  seconds: number,
  screenshot: string | undefined,
): Promise<SizeResult> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const started = performance.now();
  await page.goto(url);
  await page.locator('.scatter-canvas[data-view]').waitFor({ timeout: 300_000 });
  // Wait for the memberships (the legend lists the patterns), so that no recolouring happens during the gesture.
  await page.locator('.map-legend-entry', { hasText: 'Pattern 0' }).waitFor({ timeout: 300_000 });
  const firstDraw = performance.now() - started;
  const modeNow = async () => (await page.locator('.scatter-canvas').getAttribute('data-render-mode')) ?? 'unknown';
  const before = await modeNow();
  const pan = { ...statsOf(await gestureFrames(page, 'pan', seconds)), mode: `${before} > ${await modeNow()}` };
  await page.waitForTimeout(500);
  const rested = await modeNow();
  const zoom = { ...statsOf(await gestureFrames(page, 'zoom', seconds)), mode: `${rested} > ${await modeNow()}` };
  if (screenshot) {
    await page.waitForTimeout(1000); // the picture settles (the cached mode draws the final view)
    await page.screenshot({ path: screenshot });
  }
  if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
  const mode = (await page.locator('.scatter-canvas').getAttribute('data-render-mode')) ?? 'unknown';
  return { mode, pan, zoom, firstDraw };
}

async function benchSize(
  browser: Browser,
  appDir: string,
  count: number,
  seconds: number,
  screenshotDir: string | undefined,
): Promise<SizeResult> {
  const data = synthesize(count);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await serve(page, appDir, data);
    const shot = screenshotDir ? path.join(screenshotDir, `scatter-${count}.png`) : undefined;
    return await measureMap(page, `${ORIGIN}/?view=map&run=${RUN_ID}&layer=${LAYER}`, seconds, shot);
  } finally {
    await page.close();
  }
}

function printResult(points: number, result: SizeResult): void {
  for (const gesture of ['pan', 'zoom'] as const) {
    const s = result[gesture];
    console.log(
      `${String(points).padStart(7)}   ${gesture.padEnd(7)}  ${String(s.frames).padStart(6)}  ${s.meanFps.toFixed(1).padStart(8)}  ${s.p5Fps.toFixed(1).padStart(6)}  ${(s.mode ?? result.mode).padEnd(8)}  ${(result.firstDraw / 1000).toFixed(1)} s`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000' },
      seconds: { type: 'string', default: '4' },
      screenshot: { type: 'string' },
      store: { type: 'string' },
      run: { type: 'string', default: '1' },
      layer: { type: 'string', default: 'dense' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  if (values.store === undefined && sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 100_000))
    throw new Error(
      `--sizes ${values.sizes}: give whole numbers from 1 to 100000 (the mocked inputs route answers one page), e.g. --sizes 10000,100000; for more, serve a store with --store`,
    );
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds ${values.seconds}: give a positive number, e.g. --seconds 4`);
  if (values.screenshot) await mkdir(values.screenshot, { recursive: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'nap-bench-scatter-'));
  const appDir = path.join(dir, 'app');
  let browser: Browser | undefined;
  try {
    await buildApp(appDir);
    browser = await launchChromium();
    const probe = await browser.newPage();
    const renderer = await probe.evaluate<string>(RENDERER_NAME);
    await probe.close();
    console.log(`Chromium ${browser.version()}, WebGL renderer: ${renderer}`);
    console.log(`${seconds} s per gesture, viewport 1400 x 900, device pixel ratio 1`);
    console.log('points    gesture  frames  mean FPS  p5 FPS  drawing   first draw');
    if (values.store !== undefined) {
      const server = await startServer({ store: values.store, port: 0, appDir, thumbnailCacheDir: false });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        const url = `${server.url}/?view=map&run=${values.run}&layer=${encodeURIComponent(values.layer)}`;
        const shot = values.screenshot ? path.join(values.screenshot, 'scatter-store.png') : undefined;
        const result = await measureMap(page, url, seconds, shot);
        const points = await page.locator('.scatter-canvas').getAttribute('data-points');
        printResult(Number(points ?? Number.NaN), result);
      } finally {
        await page.close();
        await server.close();
      }
    } else
      for (const count of sizes)
        printResult(count, await benchSize(browser, appDir, count, seconds, values.screenshot));
  } finally {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
