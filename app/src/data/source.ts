/**
 * Where the app's data comes from: the JSON API of `nap serve`, or the files of a static export
 * (`nap export --static`), which announces itself with a <meta name="nap-static-data"> tag in index.html.
 * Views ask for API paths (apiPaths) either way; a static source answers them from its files.
 */
import { apiPaths, type ApiError } from '../../../src/server/api-types.js';
import { STATIC_META_NAME } from '../../../src/engine/static/layout.js';
import { ApiRequestError } from '../request-error.js';
import { openStaticSource } from './static-source.js';

export interface DataSource {
  readonly kind: 'server' | 'static';
  /** The JSON body of an API path (see apiPaths); rejects with ApiRequestError. */
  json(apiPath: string): Promise<unknown>;
  /** `requestSize` is the pixel size wanted; `storeVersion` makes server URLs immutable in the cache. */
  thumbnailUrl(runId: number, inputIndex: number, requestSize: number, storeVersion?: string): string;
  averageImageUrl(clusteringId: number, patternId: number, requestSize: number, storeVersion?: string): string;
  /** A pattern's mean heatmap overlay, or member `inputIndex`'s. */
  heatmapUrl(clusteringId: number, patternId: number, inputIndex?: number, storeVersion?: string): string;
}

async function requestApi(path: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' } });
  } catch (error) {
    throw new ApiRequestError(
      `the server did not answer ${path}: ${(error as Error).message}`,
      0,
      'check that nap serve is still running, then reload',
    );
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as ApiError | null;
    throw new ApiRequestError(body?.error ?? `${path} answered ${response.status}`, response.status, body?.hint);
  }
  return response.json();
}

export const serverSource: DataSource = {
  kind: 'server',
  json: requestApi,
  thumbnailUrl: (runId, inputIndex, size, v) => apiPaths.thumbnail(runId, inputIndex, size, v),
  averageImageUrl: (clusteringId, patternId, size, v) => apiPaths.averageImage(clusteringId, patternId, size, v),
  heatmapUrl: (clusteringId, patternId, inputIndex, v) => apiPaths.heatmapImage(clusteringId, patternId, inputIndex, v),
};

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
  active = await openStaticSource(new URL(meta.content || 'data/', document.baseURI));
}
