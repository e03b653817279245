/**
 * The file layout of a static site made by `nap export --static`, shared by the exporter and the browser
 * app (so it imports nothing and touches no Node API). The site is the built app plus a `data/` folder:
 *
 *   index.html                      the app, with <meta name="nap-static-data" content="data/"> added
 *   data/manifest.json              StaticManifest: what the export holds
 *   data/api/...json                the JSON of API routes, one file per route and query (staticJsonPath);
 *                                   a layer's projection is there when the store holds one
 *   data/tables/inputs-R.json       every input of run R (InputsResponse), for pages, lookups and filters
 *   data/images/thumbnails/R/I.png  thumbnail of input I
 *   data/images/average/C/P.png     average image of pattern P of clustering C
 *   data/images/heatmap/C/P.png     stored mean heatmap of pattern P (member heatmaps are not exported)
 *
 * File names use only [A-Za-z0-9_-] (other characters are escaped as _XX hex bytes), so any static host
 * serves them without percent-decoding surprises.
 */

export const STATIC_FORMAT = 'nap-lens-static';
export const STATIC_FORMAT_VERSION = 1;
/** The meta tag that marks the app as a static export; its content is the data folder, relative to the page. */
export const STATIC_META_NAME = 'nap-static-data';
export const STATIC_DATA_DIR = 'data';
export const STATIC_MANIFEST_FILE = 'manifest.json';
/** Representative members exported per pattern summary; the app asks for fewer and gets a prefix. */
export const STATIC_PATTERN_EXAMPLES = 20;

export interface StaticManifest {
  format: typeof STATIC_FORMAT;
  version: number;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** File name of the store the site was made from. */
  store: string;
  storeVersion: string;
  runId: number;
  runName: string;
  inputCount: number;
  /** Side of the exported thumbnails in pixels; null when the export has none. */
  thumbnailSize: number | null;
  /** Representatives per pattern summary in the exported pattern lists. */
  patternExamples: number;
}

function escapeName(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out === '' ? '_' : out;
}

/**
 * The data file (relative to the data folder) that holds the JSON of an API path such as
 * '/api/runs/1/layers/conv%2F1/stats' or '/api/clusterings/3/label-counts?by=label'. The cache
 * parameter `v` is ignored and the other query parameters are sorted, so equal requests share a file.
 */
export function staticJsonPath(apiPath: string): string {
  const queryAt = apiPath.indexOf('?');
  const pathPart = queryAt < 0 ? apiPath : apiPath.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : apiPath.slice(queryAt + 1));
  const entries = [...params].filter(([name]) => name !== 'v').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const segments = pathPart
    .replace(/^\/api\/?/, '')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => escapeName(decodeURIComponent(segment)));
  if (segments.length === 0) segments.push('_');
  if (entries.length > 0)
    segments[segments.length - 1] += `_3F${escapeName(entries.map(([k, v]) => `${k}=${v}`).join('&'))}`;
  return `api/${segments.join('/')}.json`;
}

export function staticInputsPath(runId: number): string {
  return `tables/inputs-${runId}.json`;
}

export function staticThumbnailPath(runId: number, inputIndex: number): string {
  return `images/thumbnails/${runId}/${inputIndex}.png`;
}

export function staticAveragePath(clusteringId: number, patternId: number): string {
  return `images/average/${clusteringId}/${patternId}.png`;
}

export function staticHeatmapPath(clusteringId: number, patternId: number): string {
  return `images/heatmap/${clusteringId}/${patternId}.png`;
}
