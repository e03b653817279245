/**
 * The app's side of the results API (src/results): a bounded cache of answers by query and parameters,
 * so moving between views never asks twice for the same thing, and hooks that read it. The data source
 * (data/source.ts) answers the queries: nap serve over HTTP, or the API itself over a static export.
 */
import { useEffect, useState } from 'preact/hooks';
import type { QueryName, QueryParams, QueryResult } from '../../src/results/api.js';
import type { InfoResponse } from '../../src/results/api-types.js';
import { errorBody, statusOf } from '../../src/results/api-error.js';
import { ResultsRequestError } from '../../src/results/http/client.js';
import { dataSource } from './data/source.js';
import { SheetLoader, type SheetPlanner } from '../../src/results/sheet-loader.js';
import { MEAN_HEATMAP } from '../../src/results/tables.js';

/** A failed query: the server's (or the static API's) error, with its status and hint. */
export { ResultsRequestError as ApiRequestError };

type Settled = { ok: true; value: unknown } | { ok: false; error: ResultsRequestError };

const CACHE_ENTRIES = 400;
const pending = new Map<string, Promise<unknown>>();
const settled = new Map<string, Settled>();

function remember(key: string, entry: Settled): void {
  settled.delete(key);
  settled.set(key, entry);
  if (settled.size > CACHE_ENTRIES) settled.delete(settled.keys().next().value!);
}

/** Any failure as a request error: the static API throws the results' own errors (NotFoundError: 404, ...). */
function requestError(error: unknown): ResultsRequestError {
  if (error instanceof ResultsRequestError) return error;
  const status = statusOf(error);
  if (status === 500) return new ResultsRequestError(String(error), 0);
  const body = errorBody(error, status);
  return new ResultsRequestError(body.error, status, body.hint);
}

function keyOf<Q extends QueryName>(name: Q, params: QueryParams<Q>): string {
  return `${name} ${JSON.stringify(params)}`;
}

/** The answer of a query, from the cache when it was asked before. Failures are not cached. */
export function query<Q extends QueryName>(name: Q, params: QueryParams<Q>): Promise<QueryResult<Q>> {
  const key = keyOf(name, params);
  const done = settled.get(key);
  if (done) return done.ok ? Promise.resolve(done.value as QueryResult<Q>) : Promise.reject(done.error);
  let promise = pending.get(key);
  if (!promise) {
    const ask = dataSource().api[name] as (params: QueryParams<Q>) => Promise<QueryResult<Q>>;
    promise = ask(params).then(
      (value) => {
        pending.delete(key);
        remember(key, { ok: true, value });
        return value;
      },
      (error: unknown) => {
        pending.delete(key);
        throw requestError(error);
      },
    );
    pending.set(key, promise);
  }
  return promise as Promise<QueryResult<Q>>;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ResultsRequestError | undefined;
}

/** Loads `load()` whenever `key` changes (null: nothing to load); answers at once from `peek` when it can. */
export function useAsync<T>(key: string | null, load: () => Promise<T>, peek?: () => T | undefined): Loaded<T> {
  const initial = (): Loaded<T> & { key: string | null } => ({
    key,
    data: key === null ? undefined : peek?.(),
    error: undefined,
  });
  const [state, setState] = useState(initial);
  const current = state.key === key ? state : initial();
  useEffect(() => {
    if (key === null) return undefined;
    let live = true;
    if (current.data === undefined) {
      load().then(
        (data) => live && setState({ key, data, error: undefined }),
        (error: unknown) => live && setState({ key, data: undefined, error: requestError(error) }),
      );
    } else if (state.key !== key) {
      setState(current);
    }
    return () => {
      live = false;
    };
  }, [key]); // `key` names what `load` loads
  return current;
}

/** The answer of a query (params null: nothing yet). */
export function useQuery<Q extends QueryName>(name: Q, params: QueryParams<Q> | null): Loaded<QueryResult<Q>> {
  const key = params === null ? null : keyOf(name, params);
  return useAsync<QueryResult<Q>>(
    key,
    () => query(name, params!),
    () => {
      const done = key === null ? undefined : settled.get(key);
      return done?.ok ? (done.value as QueryResult<Q>) : undefined;
    },
  );
}

let storeVersion: string | undefined;

/** Loads the store's info once; its store version makes image URLs immutable in the browser cache. */
export async function loadInfo(): Promise<InfoResponse> {
  const info = await query('info', {});
  storeVersion = info.storeVersion;
  return info;
}

/** Side in pixels of image requests for tiles shown at `cssSize`, rounded up to a few cacheable sizes. */
export function imageRequestSize(cssSize: number): number {
  const wanted = cssSize * Math.min(window.devicePixelRatio || 1, 2);
  return wanted <= 32 ? 32 : wanted <= 64 ? 64 : wanted <= 128 ? 128 : 256;
}

/** Where an image comes from: a URL of its own, or a key of a sprite sheet loader. */
export type ImageSource = { url: string } | { loader: SheetLoader; key: number };

const loaders = new Map<string, SheetLoader>();

function loader(id: string, plan: SheetPlanner): SheetLoader {
  let found = loaders.get(id);
  if (found === undefined) loaders.set(id, (found = new SheetLoader(plan)));
  return found;
}

/**
 * An input's thumbnail, drawn from a sprite sheet shared with the tiles shown beside it; `clusteringId`
 * names the clustering of the pattern gallery that shows it, if any.
 */
export function thumbnailImage(runId: number, inputIndex: number, cssSize: number, clusteringId?: number): ImageSource {
  const size = imageRequestSize(cssSize);
  const source = dataSource();
  const plan: SheetPlanner = (keys) => source.thumbnailSheets(runId, keys, size, storeVersion, clusteringId);
  return { loader: loader(`thumb:${runId}:${size}:${clusteringId ?? ''}`, plan), key: inputIndex };
}

/** A pattern's average image: its own URL from the server, a sheet cell in a static export. */
export function averageImage(clusteringId: number, patternId: number, cssSize: number): ImageSource {
  const source = dataSource();
  if (source.averageSheets === undefined) return { url: averageImageUrl(clusteringId, patternId, cssSize) };
  const plan = source.averageSheets.bind(source, clusteringId);
  return { loader: loader(`avg:${clusteringId}`, plan), key: patternId };
}

/** The heatmap overlay of a pattern (its mean) or of one member; a sheet cell in a static export. */
export function heatmapImage(clusteringId: number, patternId: number, inputIndex?: number): ImageSource {
  const source = dataSource();
  if (source.heatmapSheets === undefined) return { url: heatmapUrl(clusteringId, patternId, inputIndex) };
  const plan = source.heatmapSheets.bind(source, clusteringId, patternId);
  return { loader: loader(`heat:${clusteringId}:${patternId}`, plan), key: inputIndex ?? MEAN_HEATMAP };
}

/** A layer's feature visualization `row`: its own URL from the server, a sheet cell in a static export. */
export function featureImage(runId: number, layer: string, row: number): ImageSource {
  const source = dataSource();
  if (source.featureSheets === undefined) return { url: source.featureImageUrl(runId, layer, row, storeVersion) };
  const plan = source.featureSheets.bind(source, runId, layer);
  return { loader: loader(`feature:${runId}:${layer}`, plan), key: row };
}

export function thumbnailUrl(runId: number, inputIndex: number, cssSize: number): string {
  return dataSource().thumbnailUrl(runId, inputIndex, imageRequestSize(cssSize), storeVersion);
}

export function averageImageUrl(clusteringId: number, patternId: number, cssSize: number): string {
  return dataSource().averageImageUrl(clusteringId, patternId, imageRequestSize(cssSize), storeVersion);
}

/** The heatmap overlay of a pattern (its mean) or of one member. */
export function heatmapUrl(clusteringId: number, patternId: number, inputIndex?: number): string {
  return dataSource().heatmapUrl(clusteringId, patternId, inputIndex, storeVersion);
}
