/**
 * `exportStaticSite`: one run of a results store as a self-contained static web site (the app plus its
 * data as files) that opens from any static file host: no server logic, deep links per pattern work.
 *
 * The data files are the results reader's records and tables of the run (Arrow files, layout in
 * src/results/static/layout.ts); the browser runs the same results API over them as `nap serve` runs over
 * the store, so every view answers as it does there. Comparing runs needs a second run and is left out;
 * the app hides it. Images are PNG sprite sheets of 256 images or more (src/results/sprites.ts): the
 * thumbnails of every input, the average image of every pattern, every stored heatmap (means and
 * members) and every stored feature visualization, so that a run of 70,000 inputs is a few hundred files rather than one per image. Thumbnails
 * are written twice: in input order, and each clustering's pattern members together, so that a pattern's
 * gallery is a sheet or two. Tables are packed a few megabytes a file, and each kind of image has a budget
 * of sheets (site-writer.ts): however many layers, clusterings and patterns, the site stays a bounded
 * number of files.
 */
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotFoundError } from '../errors.js';
import { renderHeatmap } from '../compute/heatmap-image.js';
import { averagePictures, openInputPictures } from '../results/node/input-pictures.js';
import { inputPicturesOf, showsText } from '../results/input-content.js';
import { prepareSiteFolder } from '../io/site-folder.js';
import { NapStore, type FeatureVisualization } from '../io/store/index.js';
import { checkExportOptions, type StaticExportOptions } from './export-options.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { createResultsApi, type ResultsService } from '../results/api.js';
import type { TableSpec } from '../results/codec/arrow.js';
import { encodeTable } from '../results/codec/arrow-encode.js';
import { FILE_TABLES } from '../results/codec/tables.js';
import { blockPositions, blockSheets, memberSheetOrder, sheetCellsFor, sheetColumns } from '../results/sprites.js';
import { encodeSheet } from '../results/node/sprite-sheet.js';
import { NO_SHEETS, planParts, SHEET_BUDGET, SheetStream, SiteWriter } from './site-writer.js';
import { featureImagesTable, storeReader } from '../results/node/duckdb-reader.js';
import { NotesFile, notesPathOf } from '../results/node/notes-file.js';
import { NOTES_STATIC_FILE, notesOfRun } from '../results/notes.js';
import {
  STATIC_DATA_DIR,
  STATIC_FORMAT,
  STATIC_FORMAT_VERSION,
  STATIC_MANIFEST_FILE,
  STATIC_META_NAME,
  STATIC_RESULTS_FILE,
  staticPaths,
  type ClusteringTable,
  type SheetSequence,
  type StaticManifest,
  type StaticResults,
} from '../results/static/layout.js';
import type { ClusteringRecord, RunConfig, RunRecord } from '../results/tables.js';
import { DEFAULT_APP_DIR } from '../app-dir.js';

export { DEFAULT_THUMBNAIL_SIZE, type StaticExportOptions } from './export-options.js';

export interface StaticExportResult {
  out: string;
  runId: number;
  /** Files written, app included. */
  files: number;
  bytes: number;
  thumbnails: number;
  averageImages: number;
  heatmaps: number;
  /** Feature visualizations (`nap visualize`) of every layer. */
  featureImages: number;
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
  const checked = checkExportOptions(options);
  return {
    store: checked.store,
    out: path.resolve(checked.out),
    appDir: path.resolve(checked.appDir ?? DEFAULT_APP_DIR),
    thumbnails: checked.thumbnails,
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

async function pickRun(service: ResultsService, runId: number | undefined, storePath: string): Promise<RunRecord> {
  const runs = await service.tables.runs();
  if (runs.length === 0)
    throw new NotFoundError(`${storePath} holds no runs`, { hint: 'analyze a model into it first' });
  return runId === undefined ? runs[runs.length - 1]! : service.tables.run(runId);
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

/** A clustering's tables. */
async function exportClusteringTables(service: ResultsService, site: SiteWriter, clustering: ClusteringRecord) {
  const { tables } = service;
  const id = clustering.clusteringId;
  const write = <T>(table: ClusteringTable, spec: TableSpec<T>, value: T) =>
    site.writeTable(staticPaths.clusteringTable(id, table), encodeTable(spec, value));
  await write('patterns', FILE_TABLES.patterns, await tables.patterns(id));
  await write('memberships', FILE_TABLES.memberships, await tables.memberships(id));
  await write('tree', FILE_TABLES.condensedTree, await tables.condensedTree(id));
  await write('stats', FILE_TABLES.unitStats, await tables.patternStats(id));
  const linkage = await tables.linkage(id);
  if (linkage !== null) await write('linkage', FILE_TABLES.linkage, linkage);
  const soft = await tables.softMemberships(id);
  if (soft !== null) await write('soft', FILE_TABLES.softMemberships, soft);
  await write('heatmaps', FILE_TABLES.heatmapIndex, await tables.heatmapIndex(id));
}

/**
 * The average image of every pattern of every clustering, one sequence of sheets; a clustering stored
 * without average images (activations written by other means) has none in the site either.
 */
async function exportAverageImages(
  store: NapStore,
  site: SiteWriter,
  run: RunRecord,
  clusterings: readonly ClusteringRecord[],
): Promise<{ sheets: SheetSequence; order: Record<string, number[]> }> {
  const order: Record<string, number[]> = {};
  // At most one image per pattern: the sheets' size is chosen for that many.
  const most = clusterings.reduce((sum, c) => sum + c.patternCount, 0);
  let stream: SheetStream | null = null;
  for (const clustering of clusterings) {
    const images = await averagePictures(store, run, clustering.clusteringId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (images === null) continue;
    const pixels = images.width * images.height * images.channels;
    const channels = images.channels === 1 || images.channels === 4 ? images.channels : 3;
    stream ??= SheetStream.forCount(site, 'average', most, { width: images.width, height: images.height, channels });
    const cells = Array.from(images.patternId, (_, k) => images.pixels.subarray(k * pixels, (k + 1) * pixels));
    await stream.addPart(clustering.clusteringId, cells);
    order[clustering.clusteringId] = Array.from(images.patternId);
  }
  return { sheets: stream ? await stream.finish() : NO_SHEETS, order };
}

/** Every stored heatmap (means and members) of every clustering, in each one's heatmap index order. */
async function exportHeatmaps(
  store: NapStore,
  service: ResultsService,
  site: SiteWriter,
  runId: number,
  clusterings: readonly ClusteringRecord[],
): Promise<{ sheets: SheetSequence; count: number }> {
  const indexes = await Promise.all(clusterings.map((c) => service.tables.heatmapIndex(c.clusteringId)));
  const count = indexes.reduce((sum, index) => sum + index.patternId.length, 0);
  if (count === 0) return { sheets: NO_SHEETS, count };
  const size = await service.inputSize(runId);
  const stream = SheetStream.forCount(site, 'heatmap', count, { width: size.width, height: size.height, channels: 4 });
  for (const [k, clustering] of clusterings.entries()) {
    const index = indexes[k]!;
    if (index.patternId.length === 0) continue;
    const id = clustering.clusteringId;
    const stored = new Map<number, Awaited<ReturnType<NapStore['readPatternHeatmaps']>>>();
    const cells = async function* () {
      for (let row = 0; row < index.patternId.length; row++) {
        const patternId = index.patternId[row]!;
        let pattern = stored.get(patternId);
        if (pattern === undefined) stored.set(patternId, (pattern = await store.readPatternHeatmaps(id, patternId)));
        const at = pattern.inputIndex.indexOf(index.inputIndex[row]!);
        const area = pattern.height * pattern.width;
        const values = pattern.values.subarray(at * area, (at + 1) * area);
        yield renderHeatmap(values, pattern.height, pattern.width, size.height, size.width);
      }
    };
    await stream.addPart(id, cells());
  }
  return { sheets: await stream.finish(), count };
}

/**
 * A layer's feature visualizations (`nap visualize`): their table (the pixels left out), written now; the
 * images, returned for exportFeatureSheets. None when the layer has none stored.
 */
async function exportFeatureTable(
  store: NapStore,
  site: SiteWriter,
  runId: number,
  layer: string,
): Promise<FeatureVisualization[]> {
  const images = await store.readFeatureVisualizations(runId, layer);
  if (images.length > 0)
    await site.writeTable(
      staticPaths.layerTable(layer, 'feature-images'),
      encodeTable(FILE_TABLES.featureImages, featureImagesTable(images)),
    );
  return images;
}

/** Every layer's feature visualizations, one sequence of sheets with a part per layer (all of the run's input size). */
async function exportFeatureSheets(
  site: SiteWriter,
  runId: number,
  byLayer: ReadonlyMap<string, FeatureVisualization[]>,
): Promise<SheetSequence> {
  const all = [...byLayer.values()].flat();
  const first = all[0];
  if (first === undefined) return NO_SHEETS;
  const { width, height, channels } = first;
  const odd = all.find((image) => image.width !== width || image.height !== height || image.channels !== channels);
  if (odd !== undefined) {
    throw new InputError(
      `run ${runId} holds feature visualizations of ${width} x ${height} x ${channels} and of ${odd.width} x ${odd.height} x ${odd.channels} (layer ${JSON.stringify(odd.layer)})`,
      {
        hint: `make them again at the run's input size: nap visualize <results file> --run ${runId} --layer ${JSON.stringify(odd.layer)} --force`,
      },
    );
  }
  const stream = SheetStream.forCount(site, 'features', all.length, {
    width,
    height,
    channels: channels === 1 ? 1 : 3,
  });
  for (const [layer, images] of byLayer) {
    if (images.length > 0)
      await stream.addPart(
        layer,
        images.map((image) => image.pixels),
      );
  }
  return stream.finish();
}

/** A file name without the exporter's folders ('/home/me/models/m.onnx' -> 'm.onnx'); names without a folder ('mnist') stay. */
export function fileName(spec: string): string {
  return path.basename(spec) || spec;
}

/** A shared site names the model and dataset by file name only: the exporter's folders are nobody else's business. */
function withoutLocalFolders(run: RunRecord): RunRecord {
  return {
    ...run,
    modelPath: fileName(run.modelPath),
    datasetSpec: fileName(run.datasetSpec),
    config: configWithoutLocalFolders(run.config),
  };
}

/** The stored analysis configuration with its file options (model, data, out) reduced to file names. */
function configWithoutLocalFolders(config: RunConfig): RunConfig {
  const copy: Record<string, unknown> = { ...config };
  for (const key of ['model', 'data', 'out', 'modelPath']) {
    if (typeof copy[key] === 'string') copy[key] = fileName(copy[key]);
  }
  return copy;
}

const NO_THUMBNAILS_HINT = 'restore the dataset the run analysed, or export without thumbnails (--no-thumbnails)';

/**
 * The thumbnails of every input of the run (input-pictures.ts: images of the dataset it analysed, drawn
 * numbers, named images), `size` pixels square, or the images' own size when smaller (the app scales them up pixel for pixel, and a 28-pixel image stretched
 * to 64 costs a resize and four times the bytes). Returns the inputs and the side written.
 */
async function exportThumbnails(
  store: NapStore,
  service: ResultsService,
  site: SiteWriter,
  run: RunRecord,
  size: number,
  clusterings: readonly ClusteringRecord[],
  stage: (name: string, done: number, total: number) => void,
): Promise<{ count: number; side: number; thumbnails: SheetSequence; members: SheetSequence }> {
  const inputs = await service.tables.inputs(run.runId);
  const count = inputs.inputIndex.length;
  const pictures = await openInputPictures(store, run).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    throw new InputError(`no thumbnails: ${error.message.split('\n')[0]}`, { hint: NO_THUMBNAILS_HINT });
  });
  const { channels, ownSide } = pictures;
  const side = ownSide === undefined ? size : Math.min(size, ownSide);
  const thumbnails = async (rows: readonly number[]): Promise<Uint8Array[]> => {
    const wanted = rows.map((row) => ({ inputIndex: inputs.inputIndex[row]!, path: inputs.path[row] ?? null }));
    try {
      return await pictures.pictures(wanted, side);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      throw new InputError(`no thumbnails: ${error.message.split('\n')[0]}`, { hint: NO_THUMBNAILS_HINT });
    }
  };
  // Every input in input order, then each clustering's pattern members (memberSheetOrder).
  const thumbnailCells = sheetCellsFor(count, side * side, SHEET_BUDGET.thumbnails);
  const jobs: { file: string; rows: number[]; columns: number }[] = [];
  for (let sheet = 0; sheet < blockSheets(count, thumbnailCells); sheet++) {
    const rows = blockPositions(count, sheet, thumbnailCells);
    jobs.push({ file: staticPaths.sheet('thumbnails', sheet), rows, columns: sheetColumns(thumbnailCells) });
  }
  const members = await memberSequence(service, inputs.rows.rowOf.bind(inputs.rows), clusterings, side);
  for (let sheet = 0; sheet < blockSheets(members.rows.length, members.cells); sheet++) {
    const rows = blockPositions(members.rows.length, sheet, members.cells).map((position) => members.rows[position]!);
    jobs.push({ file: staticPaths.sheet('members', sheet), rows, columns: sheetColumns(members.cells) });
  }
  const total = jobs.reduce((sum, job) => sum + job.rows.length, 0);
  let done = 0;
  await inPool(jobs, IMAGE_CONCURRENCY, async ({ file, rows, columns }) => {
    stage('writing thumbnails', done, total);
    const cells = await thumbnails(rows);
    await site.write(file, await encodeSheet(cells, side, side, channels, columns));
    done += cells.length;
  });
  return {
    count,
    side,
    thumbnails: { cells: thumbnailCells, count, parts: {} },
    members: { cells: members.cells, count: members.rows.length, parts: members.parts },
  };
}

/**
 * The member sheets' sequence: each clustering's pattern members (memberSheetOrder) as rows of the inputs
 * table, layer-wide clusterings first, then unit ones (planParts leaves out those past the budget).
 */
async function memberSequence(
  service: ResultsService,
  rowOf: (inputIndex: number) => number,
  clusterings: readonly ClusteringRecord[],
  side: number,
): Promise<{ cells: number; rows: number[]; parts: Record<string, [number, number]> }> {
  const ordered = [...clusterings].sort((a, b) => Number(a.unit !== null) - Number(b.unit !== null));
  const orders = new Map<number, number[]>();
  for (const clustering of ordered) {
    const memberships = await service.tables.memberships(clustering.clusteringId);
    const order = memberSheetOrder(memberships.patternId, memberships.inputIndex);
    orders.set(
      clustering.clusteringId,
      order.map((row) => rowOf(memberships.inputIndex[row]!)),
    );
  }
  const plan = planParts(
    'members',
    [...orders].map(([id, rows]) => [id, rows.length] as const),
    side * side,
  );
  const rows: number[] = [];
  // In the order planned (an object's integer keys would come back in ascending order instead).
  for (const [id, own] of orders) if (plan.parts[id] !== undefined) for (const row of own) rows.push(row);
  return { cells: plan.cells, rows, parts: plan.parts };
}

/** Writes the data files, images, manifest and app (from `indexHtml` and the app's assets) of `run` into the prepared `config.out`. */
async function writeSite(
  store: NapStore,
  service: ResultsService,
  run: RunRecord,
  config: Resolved,
  indexHtml: string,
  control: TaskControl,
): Promise<StaticExportResult> {
  const { tables } = service;
  const runId = run.runId;
  const site = new SiteWriter(path.join(config.out, STATIC_DATA_DIR));
  const stage = (name: string, done: number, total: number) => {
    throwIfCancelled(control.signal, name);
    control.onProgress?.({ stage: name, done, total });
  };

  stage('exporting run data', 0, 1);
  const inputs = await tables.inputs(runId);
  await site.writeTable(staticPaths.inputs(), encodeTable(FILE_TABLES.inputs, inputs));
  const layers = await tables.layers(runId);
  const projections = await tables.projections(runId);
  const featureImages = new Map<string, FeatureVisualization[]>();
  for (const layer of layers) {
    await site.writeTable(
      staticPaths.layerTable(layer.layer, 'stats'),
      encodeTable(FILE_TABLES.unitStats, await tables.layerStats(runId, layer.layer)),
    );
    await site.writeTable(
      staticPaths.layerTable(layer.layer, 'max-activations'),
      encodeTable(FILE_TABLES.maxActivations, await tables.maxActivations(runId, layer.layer)),
    );
    const projection = await tables.projection(runId, layer.layer);
    if (projection !== null)
      await site.writeTable(
        staticPaths.layerTable(layer.layer, 'projection'),
        encodeTable(FILE_TABLES.projection, projection),
      );
    featureImages.set(layer.layer, await exportFeatureTable(store, site, runId, layer.layer));
  }
  const clusterings = await tables.clusterings(runId);
  for (const [done, clustering] of clusterings.entries()) {
    stage('exporting patterns', done, clusterings.length);
    await exportClusteringTables(service, site, clustering);
  }

  stage('exporting flows', 0, 1);
  const flowLayers = await tables.layerClusterings(runId);
  const flows: [number, number][] = [];
  for (const [i, a] of flowLayers.entries()) {
    for (const b of flowLayers.slice(i + 1)) {
      const cells = await tables.flow(a.clusteringId, b.clusteringId);
      if (cells === null) continue;
      await site.writeTable(staticPaths.flow(a.clusteringId, b.clusteringId), encodeTable(FILE_TABLES.flow, cells));
      flows.push([a.clusteringId, b.clusteringId]);
    }
  }
  const triage = await tables.triage(runId);
  if (triage !== null) {
    await site.writeTable(staticPaths.triage('inputs'), encodeTable(FILE_TABLES.triageInputs, triage.inputs));
    await site.writeTable(staticPaths.triage('layers'), encodeTable(FILE_TABLES.triageLayers, triage.layers));
    await site.writeTable(staticPaths.triage('agreement'), encodeTable(FILE_TABLES.triageAgreement, triage.agreement));
    if (triage.outliers !== null) {
      await site.writeTable(staticPaths.triage('outliers'), encodeTable(FILE_TABLES.triageOutliers, triage.outliers));
      await site.writeTable(
        staticPaths.triage('near-duplicates'),
        encodeTable(FILE_TABLES.triageNearDuplicates, triage.nearDuplicates),
      );
    }
  }
  await site.finishTables();

  stage('exporting average images and heatmaps', 0, 1);
  // Texts have no average images.
  const averages = showsText(inputPicturesOf(run))
    ? { sheets: NO_SHEETS, order: {} }
    : await exportAverageImages(store, site, run, clusterings);
  const heatmaps = await exportHeatmaps(store, service, site, runId, clusterings);
  const features = await exportFeatureSheets(site, runId, featureImages);
  // Texts show their contents (in the inputs table), not thumbnails.
  const thumbnails =
    config.thumbnails === false || showsText(inputPicturesOf(run))
      ? null
      : await exportThumbnails(store, service, site, run, config.thumbnails, clusterings, stage);

  const notes = await new NotesFile(notesPathOf(config.store)).read();
  const clusteringIds = new Set(clusterings.map((c) => c.clusteringId));
  await site.write(NOTES_STATIC_FILE, JSON.stringify(notesOfRun(notes, runId, clusteringIds)));
  const source = await tables.source();
  const results: StaticResults = {
    source,
    run: withoutLocalFolders(run),
    layers,
    clusterings,
    projections,
    flows,
    averageImages: averages.order,
    tables: site.tables,
    sheets: {
      thumbnails: thumbnails?.thumbnails ?? NO_SHEETS,
      members: thumbnails?.members ?? NO_SHEETS,
      average: averages.sheets,
      heatmap: heatmaps.sheets,
      features,
    },
  };
  await site.write(STATIC_RESULTS_FILE, JSON.stringify(results));

  const manifest: StaticManifest = {
    format: STATIC_FORMAT,
    version: STATIC_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    store: source.store,
    storeVersion: source.storeVersion,
    runId,
    runName: run.name,
    inputCount: inputs.inputIndex.length,
    thumbnailSize: thumbnails?.side ?? null,
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
    thumbnails: thumbnails?.count ?? 0,
    averageImages: averages.sheets.count,
    heatmaps: heatmaps.count,
    featureImages: features.count,
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
    const service = createResultsApi(storeReader(store));
    const run = await pickRun(service, options.runId, config.store);
    // Written beside `out` and swapped in when complete: a failed export leaves an earlier one intact.
    const folder = await prepareSiteFolder(config.out);
    try {
      const result = await writeSite(store, service, run, { ...config, out: folder.staging }, indexHtml, control);
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
