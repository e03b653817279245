/**
 * Where the app's data comes from: `nap serve` (the results API over HTTP), or the files of a static
 * export (`nap export --static`, announced by a <meta name="nap-static-data"> tag in index.html), over
 * which the browser runs the same results API. Views ask the API either way; only image URLs differ.
 */
import type { ResultsApi } from '../../../src/results/api.js';
import { createHttpApi } from '../../../src/results/http/client.js';
import { apiPaths } from '../../../src/results/routes.js';
import { STATIC_META_NAME } from '../../../src/results/static/layout.js';
import { SHEET_CELLS, sheetGrid } from '../../../src/results/sprites.js';
import type { SheetPlan } from '../../../src/results/sheet-loader.js';

export interface DataSource {
  readonly kind: 'server' | 'static';
  readonly api: ResultsApi;
  /** `requestSize` is the pixel size wanted; `storeVersion` makes server URLs immutable in the cache. */
  thumbnailUrl(runId: number, inputIndex: number, requestSize: number, storeVersion?: string): string;
  averageImageUrl(clusteringId: number, patternId: number, requestSize: number, storeVersion?: string): string;
  /** A pattern's mean heatmap overlay, or member `inputIndex`'s. */
  heatmapUrl(clusteringId: number, patternId: number, inputIndex?: number, storeVersion?: string): string;
  /** Feature visualization `row` of a layer (FeatureImagesResponse), at its stored size. */
  featureImageUrl(runId: number, layer: string, row: number, storeVersion?: string): string;
  /** Sprite sheets holding the thumbnails of these inputs, in as few sheets as the source has them. */
  thumbnailSheets(
    runId: number,
    inputIndex: readonly number[],
    requestSize: number,
    storeVersion?: string,
    /** The clustering whose pattern gallery shows them, where one does: a static export keeps its members together. */
    clusteringId?: number,
  ): Promise<SheetPlan[]>;
  /** Sheets of average images and heatmaps (key = pattern id; input index, -1 the mean): static exports only. */
  averageSheets?(clusteringId: number, patternIds: readonly number[]): Promise<SheetPlan[]>;
  heatmapSheets?(clusteringId: number, patternId: number, inputIndex: readonly number[]): Promise<SheetPlan[]>;
  /** Sheets of a layer's feature visualizations (key = row): static exports only. */
  featureSheets?(runId: number, layer: string, rows: readonly number[]): Promise<SheetPlan[]>;
}

/** Inputs in ascending order, cut into sheets of the server's thumbnail sheet route. */
function serverThumbnailSheets(runId: number, inputIndex: readonly number[], size: number, v?: string): SheetPlan[] {
  const sorted = [...inputIndex].sort((a, b) => a - b);
  const plans: SheetPlan[] = [];
  for (let start = 0; start < sorted.length; start += SHEET_CELLS) {
    const chunk = sorted.slice(start, start + SHEET_CELLS);
    plans.push({
      url: apiPaths.thumbnailSheet(runId, chunk, size, v),
      grid: sheetGrid(chunk.length),
      cells: new Map(chunk.map((input, cell) => [input, cell])),
    });
  }
  return plans;
}

const serverSource: DataSource = {
  kind: 'server',
  api: createHttpApi(),
  thumbnailUrl: (runId, inputIndex, size, v) => apiPaths.thumbnail(runId, inputIndex, size, v),
  averageImageUrl: (clusteringId, patternId, size, v) => apiPaths.averageImage(clusteringId, patternId, size, v),
  heatmapUrl: (clusteringId, patternId, inputIndex, v) => apiPaths.heatmapImage(clusteringId, patternId, inputIndex, v),
  featureImageUrl: (runId, layer, row, v) => apiPaths.featureImage(runId, layer, row, undefined, v),
  thumbnailSheets: (runId, inputIndex, size, v) => Promise.resolve(serverThumbnailSheets(runId, inputIndex, size, v)),
};

let active: DataSource = serverSource;

export function dataSource(): DataSource {
  return active;
}

export function isStatic(): boolean {
  return active.kind === 'static';
}

/** The data folder of a static export (the page's meta tag names it); null when served. */
export function staticDataBase(): URL | null {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${STATIC_META_NAME}"]`);
  return meta ? new URL(meta.content || 'data/', document.baseURI) : null;
}

/** Chooses the source before the app renders: a static export when the page carries the meta tag. */
export async function initDataSource(): Promise<void> {
  const base = staticDataBase();
  if (!base) return;
  // Loaded only here: the served app never needs the API's own code.
  const { staticSource } = await import('./static-source.js');
  active = await staticSource(base);
}
