/**
 * Where the app's data comes from: `nap serve` (the results API over HTTP), or the files of a static
 * export (`nap export --static`, announced by a <meta name="nap-static-data"> tag in index.html), over
 * which the browser runs the same results API. Views ask the API either way; only image URLs differ.
 */
import { createResultsApi, type ResultsApi } from '../../../src/results/api.js';
import { createHttpApi } from '../../../src/results/http/client.js';
import { apiPaths } from '../../../src/results/routes.js';
import { STATIC_META_NAME, staticPaths } from '../../../src/results/static/layout.js';
import { openStaticSite } from '../../../src/results/static/reader.js';

export interface DataSource {
  readonly kind: 'server' | 'static';
  readonly api: ResultsApi;
  /** `requestSize` is the pixel size wanted; `storeVersion` makes server URLs immutable in the cache. */
  thumbnailUrl(runId: number, inputIndex: number, requestSize: number, storeVersion?: string): string;
  averageImageUrl(clusteringId: number, patternId: number, requestSize: number, storeVersion?: string): string;
  /** A pattern's mean heatmap overlay, or member `inputIndex`'s. */
  heatmapUrl(clusteringId: number, patternId: number, inputIndex?: number, storeVersion?: string): string;
}

const serverSource: DataSource = {
  kind: 'server',
  api: createHttpApi(),
  thumbnailUrl: (runId, inputIndex, size, v) => apiPaths.thumbnail(runId, inputIndex, size, v),
  averageImageUrl: (clusteringId, patternId, size, v) => apiPaths.averageImage(clusteringId, patternId, size, v),
  heatmapUrl: (clusteringId, patternId, inputIndex, v) => apiPaths.heatmapImage(clusteringId, patternId, inputIndex, v),
};

/** The files of the export whose data folder is at `base`; the API runs here, in the browser. */
async function staticSource(base: URL): Promise<DataSource> {
  const { reader } = await openStaticSite(base);
  const file = (relative: string) => new URL(relative, base).href;
  return {
    kind: 'static',
    api: createResultsApi(reader),
    thumbnailUrl: (_runId, inputIndex) => file(staticPaths.thumbnail(inputIndex)),
    averageImageUrl: (clusteringId, patternId) => file(staticPaths.averageImage(clusteringId, patternId)),
    heatmapUrl: (clusteringId, patternId, inputIndex) => file(staticPaths.heatmap(clusteringId, patternId, inputIndex)),
  };
}

let active: DataSource = serverSource;

export function dataSource(): DataSource {
  return active;
}

export function isStatic(): boolean {
  return active.kind === 'static';
}

/** Chooses the source before the app renders: a static export when the page carries the meta tag. */
export async function initDataSource(): Promise<void> {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${STATIC_META_NAME}"]`);
  if (!meta) return;
  active = await staticSource(new URL(meta.content || 'data/', document.baseURI));
}
