/**
 * `nap report`: one self-contained HTML file of a run to send to a colleague. The read side (results API
 * over the store) gives what it shows (src/results/report.ts) and renders it (report-html.ts); this adds
 * the patterns' average images and the triage list's thumbnails (results/node/input-pictures.ts: images,
 * drawn numbers, named images; a run of texts shows its words and texts instead) as data: URIs and writes
 * the file whole or not at all.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotFoundError } from '../errors.js';
import { encodePng } from '../io/images/png.js';
import { NapStore } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import { throwIfCancelled } from '../progress.js';
import { createResultsApi } from '../results/api.js';
import { showsText, inputPicturesOf } from '../results/input-content.js';
import { storeReader } from '../results/node/duckdb-reader.js';
import { averagePictures, openInputPictures, type InputPictures } from '../results/node/input-pictures.js';
import { reportData, type ReportData } from '../results/report.js';
import type { RunRecord } from '../results/tables.js';
import { renderReportHtml } from '../results/report-html.js';
import { napVersion } from '../version.js';
import { fileName } from './export-static.js';
import { REPORT_OPTIONS, type ReportFileOptions } from './report-options.js';

export interface ReportFileResult {
  out: string;
  runId: number;
  bytes: number;
  /** Average images embedded. */
  images: number;
  /** Thumbnails of the triage list embedded. */
  thumbnails: number;
  data: ReportData;
}

/** Data URIs of the average images of the patterns the report shows, by "clusteringId:patternId". */
async function averageImageUris(
  store: NapStore,
  run: RunRecord,
  data: ReportData,
  control: TaskControl,
): Promise<Map<string, string>> {
  const uris = new Map<string, string>();
  if (showsText(inputPicturesOf(run))) return uris;
  for (const [k, layer] of data.layers.entries()) {
    throwIfCancelled(control.signal, 'report');
    control.onProgress?.({ stage: 'average images', done: k, total: data.layers.length });
    const images = await averagePictures(store, run, layer.clusteringId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (images === null) continue;
    const pixels = images.width * images.height * images.channels;
    const rowOf = new Map(Array.from(images.patternId, (patternId, row) => [patternId, row]));
    for (const pattern of layer.patterns) {
      const row = rowOf.get(pattern.patternId);
      if (row === undefined) continue;
      const png = await encodePng(
        images.pixels.subarray(row * pixels, (row + 1) * pixels),
        images.width,
        images.height,
        images.channels,
      );
      uris.set(`${layer.clusteringId}:${pattern.patternId}`, `data:image/png;base64,${png.toString('base64')}`);
    }
  }
  control.onProgress?.({ stage: 'average images', done: data.layers.length, total: data.layers.length });
  return uris;
}

/** Side in pixels of the triage list's thumbnails. */
const THUMBNAIL_SIZE = 32;

/**
 * Data URIs of the triage list's inputs (from the dataset the run analysed, or drawn from the stored
 * contents); without the dataset, none and the reason (the rest of the report needs only the store).
 */
async function triageThumbnails(
  store: NapStore,
  run: RunRecord,
  data: ReportData,
): Promise<{ uris: Map<number, string>; missing: string | null }> {
  const uris = new Map<number, string>();
  const rows = data.triage?.rows ?? [];
  if (rows.length === 0 || showsText(inputPicturesOf(run))) return { uris, missing: null };
  let pictures: InputPictures;
  try {
    pictures = await openInputPictures(store, run);
  } catch (error) {
    if (error instanceof NotFoundError) return { uris, missing: error.message.split('\n')[0]! };
    throw error;
  }
  for (const row of rows) {
    if (row.path === null) continue;
    const found = await pictures
      .pictures([{ inputIndex: row.inputIndex, path: row.path }], THUMBNAIL_SIZE)
      .catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
    if (found === null) continue;
    const png = await encodePng(found[0]!, THUMBNAIL_SIZE, THUMBNAIL_SIZE, pictures.channels);
    uris.set(row.inputIndex, `data:image/png;base64,${png.toString('base64')}`);
  }
  return { uris, missing: null };
}

/** Writes the report of one run of `options.store` to `options.out`; see the top of this file. */
export async function writeReport(given: ReportFileOptions, control: TaskControl = {}): Promise<ReportFileResult> {
  const options = REPORT_OPTIONS.resolve(given);
  const out = path.resolve(options.out);
  const folder = await stat(path.dirname(out)).catch(() => null);
  if (!folder?.isDirectory()) {
    throw new InputError(`cannot write the report to ${options.out}: folder ${path.dirname(out)} does not exist`, {
      hint: 'create the folder first, or name a file in an existing folder',
    });
  }
  const store = await NapStore.open(options.store, { readOnly: true });
  try {
    const api = createResultsApi(storeReader(store));
    const runs = await api.tables.runs();
    if (runs.length === 0) {
      throw new NotFoundError(`${options.store} holds no runs`, { hint: 'analyze a model into it first' });
    }
    const runId = options.runId ?? runs.at(-1)!.runId;
    const data = await reportData(api, runId, { topPatterns: options.topPatterns });
    const run = await api.tables.run(runId);
    const thumbnails = await triageThumbnails(store, run, data);
    // A report is sent to others: the model and data are named by file name, not by this machine's folders.
    data.run.modelPath = fileName(data.run.modelPath);
    data.run.datasetSpec = fileName(data.run.datasetSpec);
    const uris = await averageImageUris(store, run, data, control);
    const html = renderReportHtml(
      data,
      {
        average: (clusteringId, patternId) => uris.get(`${clusteringId}:${patternId}`),
        thumbnail: (inputIndex) => thumbnails.uris.get(inputIndex),
        thumbnailsMissing: thumbnails.missing,
      },
      `nap ${napVersion()}`,
    );
    const partial = `${out}.partial`;
    try {
      await writeFile(partial, html);
      await rename(partial, out);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { out, runId, bytes: (await stat(out)).size, images: uris.size, thumbnails: thumbnails.uris.size, data };
  } finally {
    await store.close();
  }
}
