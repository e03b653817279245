/**
 * What the browser tests need: a small real store (the tiny conv net analyzed over MNIST digits, two runs,
 * plus one unit clustering), the app built from source into a temporary folder, G's server on a free
 * port, and headless Chromium.
 */
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { hdbscan } from '../../src/compute/hdbscan/index.js';
import { makeMatrix } from '../../src/compute/matrix.js';
import { analyze, type AnalyzeResult } from '../../src/engine/analyze.js';
import { NapStore } from '../../src/io/store/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { TINY, tinyConvNet } from '../helpers/tiny-models.js';

/** The repository root, from build/test/app/ (compiled) or test/app/ (source). */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  fileURLToPath(import.meta.url).includes(`${path.sep}build${path.sep}`) ? '../../..' : '../..',
);

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TinyStore {
  store: string;
  /** Run A: 300 digits, layers relu, pool and logits. */
  runA: AnalyzeResult;
  /** Run B: 150 other digits, layers pool and logits. */
  runB: AnalyzeResult;
  /** The unit clustering added to run A's relu layer (unit 1). */
  unitClusteringId: number;
}

/** Analyzes the tiny conv net over MNIST twice into `dir`/nap.duckdb and adds a clustering of one relu unit. */
export async function buildTinyStore(dir: string): Promise<TinyStore> {
  const model = path.join(dir, 'tiny.onnx');
  await writeFile(model, tinyConvNet());
  const store = path.join(dir, 'nap.duckdb');
  const runA = await analyze({
    model,
    data: 'mnist',
    out: store,
    limit: 300,
    layers: [TINY.relu, TINY.pool, TINY.logits],
    name: 'tiny A',
    topK: 8,
  });
  const runB = await analyze({
    model,
    data: 'mnist',
    out: store,
    limit: 150,
    seed: 7,
    layers: [TINY.pool, TINY.logits],
    name: 'tiny B',
    topK: 8,
  });
  const napStore = await NapStore.open(store);
  try {
    // Unit patterns: the nap pipeline clusters a unit's spatial map; one unit's activation column stands in here.
    const { matrix, inputIndex } = await napStore.readActivations(runA.runId, TINY.relu);
    const unit = 1;
    const column = makeMatrix(
      matrix.count,
      1,
      Float32Array.from({ length: matrix.count }, (_, i) => matrix.data[i * matrix.dim + unit]!),
    );
    const result = await hdbscan(column, { minClusterSize: 10, minSamples: 5 });
    const unitClusteringId = await napStore.saveClustering(runA.runId, TINY.relu, {
      unit,
      params: result.params,
      inputIndex,
      labels: result.labels,
      probabilities: result.probabilities,
      outlierScores: result.outlierScores,
      persistence: result.persistence,
      condensedTree: result.condensedTree,
    });
    return { store, runA, runB, unitClusteringId };
  } finally {
    await napStore.close();
  }
}

/** Bundles the app from source into `outDir` (so the tests see the current source, not an old build). */
export async function buildApp(outDir: string): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'app', 'build.mjs'), '--out', outDir], {
    cwd: REPO_ROOT,
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Distinct RGB colors of a PNG (a blank or broken page has very few). */
export async function distinctColors(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const colors = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels)
    colors.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return colors.size;
}

/** What every browser test file of the app starts from: the tiny store, served by the real server to headless Chromium. */
export interface ServedApp {
  /** Temporary folder holding the store, the model and the built app; removed by close(). */
  dir: string;
  fixture: TinyStore;
  server: RunningServer;
  browser: Browser;
  /** Uncaught script errors of every page made by newPage. */
  pageErrors: string[];
  /** The JSON body of an API route, asserting that it answered 200. */
  api<T>(route: string): Promise<T>;
  /** A new page whose uncaught script errors go to pageErrors. */
  newPage(options?: Parameters<Browser['newPage']>[0]): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Builds the tiny store and the app into a new temporary folder named from `prefix`, lets `prepare` add to
 * the store before the server opens it (read-only), then starts the server and Chromium.
 */
export async function serveTinyApp(
  prefix: string,
  prepare?: (fixture: TinyStore, dir: string) => Promise<void>,
): Promise<ServedApp> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  try {
    const appDir = path.join(dir, 'app');
    const [fixture] = await Promise.all([buildTinyStore(dir), buildApp(appDir)]);
    await prepare?.(fixture, dir);
    const server = await startServer({ store: fixture.store, port: 0, appDir, thumbnailCacheDir: false });
    const browser = await launchChromium().catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
    return servedApp(dir, fixture, server, browser);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function servedApp(dir: string, fixture: TinyStore, server: RunningServer, browser: Browser): ServedApp {
  const pageErrors: string[] = [];
  return {
    dir,
    fixture,
    server,
    browser,
    pageErrors,
    async api<T>(route: string): Promise<T> {
      const response = await fetch(`${server.url}${route}`);
      assert.equal(response.status, 200, `${route} answered ${response.status}`);
      return (await response.json()) as T;
    },
    async newPage(options) {
      const page = await browser.newPage(options);
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
