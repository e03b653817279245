/**
 * `exportStaticSite`: one run of a results store as a self-contained static web site (the app plus its
 * data as files) that opens from any static file host: no server logic, deep links per pattern work.
 *
 * The data files are the server's own answers: every API request the app makes for the run is rendered
 * through the server's route handlers and written where the app's static data source looks for it
 * (layout in static/layout.ts). Views that compute on request (comparing runs) are left out; the app
 * hides them. Images are PNG files: thumbnails of every input, the average image and stored mean heatmap
 * of every pattern (member heatmaps are not exported).
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotFoundError } from '../errors.js';
import { prepareSiteFolder } from '../io/site-folder.js';
import { NapStore, type ClusteringRecord, type RunRecord, type ResultsReader } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import {
  apiPaths,
  type HeatmapsResponse,
  type InfoResponse,
  type InputsResponse,
  type RunDetail,
  type RunSummary,
  type RunsResponse,
} from '../server/api-types.js';
import { apiRoutes, INPUT_PAGE, type ApiContext } from '../server/api-routes.js';
import { heatmapRoutes } from '../server/heatmap-routes.js';
import { ImageService } from '../server/images.js';
import { insightRoutes } from '../server/insight-routes.js';
import { parseQuery } from '../server/params.js';
import { projectionRoutes } from '../server/projection-routes.js';
import { matchRoute, type Route, type RouteResult } from '../server/router.js';
import { DEFAULT_APP_DIR } from '../server/server.js';
import { StoreViews } from '../server/store-views.js';
import { layerClusterings } from './flow.js';
import { checkExportOptions, type StaticExportOptions } from './static/export-options.js';

export { DEFAULT_THUMBNAIL_SIZE, type StaticExportOptions } from './static/export-options.js';
import {
  STATIC_DATA_DIR,
  STATIC_FORMAT,
  STATIC_FORMAT_VERSION,
  STATIC_MANIFEST_FILE,
  STATIC_META_NAME,
  STATIC_PATTERN_EXAMPLES,
  staticAveragePath,
  staticHeatmapPath,
  staticInputsPath,
  staticJsonPath,
  staticThumbnailPath,
  type StaticManifest,
} from './static/layout.js';

export interface StaticExportResult {
  out: string;
  runId: number;
  /** Files written, app included. */
  files: number;
  bytes: number;
  thumbnails: number;
  averageImages: number;
  heatmaps: number;
}

/** Images encoded at the same time. */
const IMAGE_CONCURRENCY = 4;

interface Resolved {
  store: string;
  out: string;
  appDir: string;
  thumbnails: number | false;
}

function resolveOptions(options: StaticExportOptions): Resolved {
  const { store, out, appDir, thumbnails } = checkExportOptions(options);
  return {
    store,
    out: path.resolve(out),
    appDir: path.resolve(appDir ?? DEFAULT_APP_DIR),
    thumbnails,
  };
}

async function requireBuiltApp(appDir: string): Promise<string> {
  const index = path.join(appDir, 'index.html');
  const html = await readFile(index, 'utf8').catch(() => null);
  if (html === null)
    throw new InputError(`the web app is not built: ${index} is missing`, {
      hint: 'run npm run build in the nap-lens folder first',
    });
  return html;
}

/** The app's index.html with the meta tag that switches it to the static data source. */
function staticIndexHtml(html: string): string {
  const meta = `<meta name="${STATIC_META_NAME}" content="${STATIC_DATA_DIR}/">`;
  const at = html.indexOf('<meta charset');
  if (at < 0) return html.replace('<head>', `<head>\n${meta}`);
  const end = html.indexOf('>', at) + 1;
  return `${html.slice(0, end)}\n${meta}${html.slice(end)}`;
}

async function pickRun(views: StoreViews, runId: number | undefined, storePath: string): Promise<RunRecord> {
  const runs = await views.runs();
  if (runs.length === 0)
    throw new NotFoundError(`${storePath} holds no runs`, { hint: 'analyze a model into it first' });
  return runId === undefined ? runs[runs.length - 1]! : views.run(runId);
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure stops the rest and is thrown. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}

class SiteWriter {
  files = 0;
  bytes = 0;

  constructor(
    private readonly dataDir: string,
    private readonly routes: readonly Route[],
  ) {}

  /** The route's answer to an API path, exactly as the server would compute it. */
  async request(apiPath: string): Promise<RouteResult> {
    const queryAt = apiPath.indexOf('?');
    const rawPath = queryAt < 0 ? apiPath : apiPath.slice(0, queryAt);
    const match = matchRoute(this.routes, rawPath);
    if (match === null) throw new Error(`no API route for ${apiPath}`);
    const query = parseQuery(queryAt < 0 ? '' : apiPath.slice(queryAt + 1), match.route.query);
    return match.route.handle({ params: match.params, query });
  }

  async json<T>(apiPath: string): Promise<T> {
    const result = await this.request(apiPath);
    if (result.kind !== 'json') throw new Error(`${apiPath} is not JSON`);
    return result.body as T;
  }

  /** Writes the route's JSON where the app looks for it; returns the body. */
  async exportJson<T>(apiPath: string, edit: (body: T) => T = (body) => body): Promise<T> {
    const body = edit(await this.json<T>(apiPath));
    await this.write(staticJsonPath(apiPath), JSON.stringify(body));
    return body;
  }

  /** Like exportJson, but an answer of 404 (nothing stored) writes nothing and returns null. */
  async exportOptionalJson<T>(apiPath: string, edit?: (body: T) => T): Promise<T | null> {
    try {
      return await this.exportJson(apiPath, edit);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  /** Writes the route's PNG to `file`; false when there is none (404). */
  async exportPng(apiPath: string, file: string): Promise<boolean> {
    let result: RouteResult;
    try {
      result = await this.request(apiPath);
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
    if (result.kind !== 'png') throw new Error(`${apiPath} is not a PNG`);
    await this.write(file, result.body);
    return true;
  }

  async write(relative: string, data: string | Buffer): Promise<void> {
    const file = path.join(this.dataDir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    this.files++;
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  }
}

/** Files and bytes under a folder. */
async function folderSize(folder: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      const inner = await folderSize(full);
      files += inner.files;
      bytes += inner.bytes;
    } else if (entry.isFile()) {
      files++;
      bytes += (await stat(full)).size;
    }
  }
  return { files, bytes };
}

async function storeVersionOf(file: string): Promise<string> {
  const info = await stat(file);
  return createHash('sha256')
    .update(`${await realpath(file)}\n${info.size}\n${info.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
}

async function exportClustering(
  site: SiteWriter,
  clustering: ClusteringRecord,
): Promise<{ averageImages: number; heatmaps: number }> {
  const id = clustering.clusteringId;
  await site.exportJson(apiPaths.clustering(id));
  await site.exportJson(apiPaths.patterns(id, STATIC_PATTERN_EXAMPLES));
  await site.exportJson(apiPaths.memberships(id));
  await site.exportJson(apiPaths.labelCounts(id, 'label'));
  await site.exportJson(apiPaths.labelCounts(id, 'prediction'));
  let averageImages = 0;
  let heatmaps = 0;
  for (let patternId = 0; patternId < clustering.patternCount; patternId++) {
    await site.exportOptionalJson(apiPaths.patternStats(id, patternId));
    if (await site.exportPng(apiPaths.averageImage(id, patternId), staticAveragePath(id, patternId))) averageImages++;
    // Member heatmaps stay out of the export (one image per member and layer); the mean heatmap goes in.
    const stored = await site.exportOptionalJson<HeatmapsResponse>(apiPaths.heatmaps(id, patternId), (body) => ({
      ...body,
      inputIndex: [],
    }));
    if (
      stored?.hasMean &&
      (await site.exportPng(apiPaths.heatmapImage(id, patternId), staticHeatmapPath(id, patternId)))
    )
      heatmaps++;
  }
  return { averageImages, heatmaps };
}

/** A file name without the exporter's folders ('/home/me/models/m.onnx' -> 'm.onnx'); names without a folder ('mnist') stay. */
function fileName(spec: string): string {
  return path.basename(spec) || spec;
}

/**
 * A shared site names the model and dataset by file name only: the exporter's folders are nobody else's
 * business, and the command that resumes a run is the exporter's.
 */
function withoutLocalFolders<T extends RunSummary>(run: T): T {
  return { ...run, modelPath: fileName(run.modelPath), datasetSpec: fileName(run.datasetSpec), resumeCommand: null };
}

/** The stored analysis configuration with its file options (model, data, out) reduced to file names. */
function configWithoutLocalFolders(config: unknown): unknown {
  if (typeof config !== 'object' || config === null) return config;
  const copy: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  for (const key of ['model', 'data', 'out', 'modelPath']) {
    if (typeof copy[key] === 'string') copy[key] = fileName(copy[key]);
  }
  return copy;
}

/** Writes the data files, images, manifest and app (from `indexHtml` and the app's assets) of `run` into the prepared `config.out`. */
async function writeSite(
  store: ResultsReader,
  views: StoreViews,
  run: RunRecord,
  config: Resolved,
  indexHtml: string,
  control: TaskControl,
): Promise<StaticExportResult> {
  const runId = run.runId;
  const storeVersion = await storeVersionOf(store.path);
  const images = new ImageService(views, { memoryBytes: 16 * 1024 * 1024, disk: null });
  const context: ApiContext = { views, images, storeVersion };
  const site = new SiteWriter(path.join(config.out, STATIC_DATA_DIR), [
    ...apiRoutes(context),
    ...insightRoutes(context),
    ...heatmapRoutes(context),
    ...projectionRoutes(context),
  ]);
  const stage = (name: string, done: number, total: number) => {
    throwIfCancelled(control.signal, name);
    control.onProgress?.({ stage: name, done, total });
  };

  stage('exporting run data', 0, 1);
  await site.exportJson<InfoResponse>(apiPaths.info(), (info) => ({ ...info, runCount: 1 }));
  await site.exportJson<RunsResponse>(apiPaths.runs(), (runs) => ({
    runs: runs.runs.filter((r) => r.runId === runId).map(withoutLocalFolders),
  }));
  await site.exportJson<RunDetail>(apiPaths.run(runId), (detail) => ({
    ...withoutLocalFolders(detail),
    config: configWithoutLocalFolders(detail.config),
  }));
  const pages: InputsResponse[] = [];
  for (let offset = 0; offset === 0 || offset < pages[0]!.total; offset += INPUT_PAGE.max) {
    pages.push(await site.json<InputsResponse>(apiPaths.inputs(runId, { offset, limit: INPUT_PAGE.max })));
  }
  const column = <K extends keyof InputsResponse>(key: K) => pages.flatMap((page) => page[key] as unknown[]);
  const inputs = {
    ...pages[0]!,
    inputIndex: column('inputIndex'),
    path: column('path'),
    label: column('label'),
    prediction: column('prediction'),
    predictionLabel: column('predictionLabel'),
    probability: column('probability'),
    misclassified: column('misclassified'),
  };
  await site.write(staticInputsPath(runId), JSON.stringify(inputs));

  const layers = await views.layers(runId);
  for (const layer of layers) {
    await site.exportOptionalJson(apiPaths.layerStats(runId, layer.layer));
    await site.exportOptionalJson(apiPaths.maxActivations(runId, layer.layer));
    await site.exportOptionalJson(apiPaths.projection(runId, layer.layer));
  }
  const clusterings = await views.clusterings(runId);
  let averageImages = 0;
  let heatmaps = 0;
  for (const [done, clustering] of clusterings.entries()) {
    stage('exporting patterns', done, clusterings.length);
    const counts = await exportClustering(site, clustering);
    averageImages += counts.averageImages;
    heatmaps += counts.heatmaps;
  }

  const flowLayers = await layerClusterings(store, runId);
  stage('exporting flow and triage', 0, flowLayers.length);
  if (flowLayers.length >= 2) {
    await site.exportJson(apiPaths.flowGraph(runId));
    for (const from of flowLayers) {
      for (const to of flowLayers)
        if (from !== to) await site.exportJson(apiPaths.layerFlow(runId, from.layer, to.layer));
      for (let patternId = -1; patternId < from.patternCount; patternId++)
        await site.exportJson(apiPaths.lineage(runId, from.layer, patternId));
    }
  }
  if (flowLayers.length > 0) {
    await site.exportJson(apiPaths.triage(runId));
    for (const layer of flowLayers) await site.exportJson(apiPaths.triage(runId, { layer: layer.layer }));
  }

  let thumbnails = 0;
  if (config.thumbnails !== false) {
    const size = config.thumbnails;
    const indices = inputs.inputIndex as number[];
    await inPool(indices, IMAGE_CONCURRENCY, async (inputIndex, i) => {
      if (i % 64 === 0) stage('writing thumbnails', i, indices.length);
      let png: Buffer;
      try {
        png = await images.thumbnail(runId, inputIndex, size);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        throw new InputError(`no thumbnail for input ${inputIndex}: ${error.message.split('\n')[0]}`, {
          hint: 'restore the dataset the run analysed, or export without thumbnails (--no-thumbnails)',
        });
      }
      await site.write(staticThumbnailPath(runId, inputIndex), png);
      thumbnails++;
    });
  }

  const manifest: StaticManifest = {
    format: STATIC_FORMAT,
    version: STATIC_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    store: path.basename(store.path),
    storeVersion,
    runId,
    runName: run.name,
    inputCount: inputs.total,
    thumbnailSize: config.thumbnails === false ? null : config.thumbnails,
    patternExamples: STATIC_PATTERN_EXAMPLES,
  };
  await site.write(STATIC_MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);

  stage('copying the app', 0, 1);
  await cp(path.join(config.appDir, 'assets'), path.join(config.out, 'assets'), { recursive: true });
  const html = staticIndexHtml(indexHtml);
  await writeFile(path.join(config.out, 'index.html'), html);
  const assets = await folderSize(path.join(config.out, 'assets'));
  control.onProgress?.({ stage: 'copying the app', done: 1, total: 1 });
  return {
    out: config.out,
    runId,
    files: site.files + assets.files + 1,
    bytes: site.bytes + assets.bytes + Buffer.byteLength(html),
    thumbnails,
    averageImages,
    heatmaps,
  };
}

/** Exports one run of a store as a static site; see the top of this file. */
export async function exportStaticSite(
  options: StaticExportOptions,
  control: TaskControl = {},
): Promise<StaticExportResult> {
  const config = resolveOptions(options);
  const indexHtml = await requireBuiltApp(config.appDir);
  const store = await NapStore.open(config.store, { readOnly: true });
  try {
    const views = new StoreViews(store);
    const run = await pickRun(views, options.runId, config.store);
    const folder = await prepareSiteFolder(config.out);
    try {
      const result = await writeSite(store, views, run, { ...config, out: folder.staging }, indexHtml, control);
      await folder.commit();
      return { ...result, out: folder.out };
    } catch (error) {
      await folder.discard();
      throw error;
    }
  } finally {
    await store.close();
  }
}
