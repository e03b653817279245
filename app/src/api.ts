/**
 * The client side of the JSON API (routes and types in src/server/api-types.ts): a bounded cache of
 * responses by URL, so moving between views never asks twice for the same thing, and hooks that read it.
 * The data source (data/source.ts) answers the URLs: nap serve, or the files of a static export.
 */
import { useEffect, useState } from 'preact/hooks';
import { apiPaths, type InfoResponse } from '../../src/server/api-types.js';
import { dataSource } from './data/source.js';
import { ApiRequestError } from './request-error.js';

export { ApiRequestError };

type Settled = { ok: true; value: unknown } | { ok: false; error: ApiRequestError };

const CACHE_ENTRIES = 400;
const pending = new Map<string, Promise<unknown>>();
const settled = new Map<string, Settled>();

function remember(key: string, entry: Settled): void {
  settled.delete(key);
  settled.set(key, entry);
  if (settled.size > CACHE_ENTRIES) settled.delete(settled.keys().next().value!);
}

/** The JSON at `path`, from the cache when it was fetched before. Failures are not cached. */
export function fetchJson<T>(path: string): Promise<T> {
  const done = settled.get(path);
  if (done) return done.ok ? Promise.resolve(done.value as T) : Promise.reject(done.error);
  let promise = pending.get(path);
  if (!promise) {
    promise = dataSource()
      .json(path)
      .then(
        (value) => {
          pending.delete(path);
          remember(path, { ok: true, value });
          return value;
        },
        (error: unknown) => {
          pending.delete(path);
          throw error instanceof ApiRequestError ? error : new ApiRequestError(String(error), 0);
        },
      );
    pending.set(path, promise);
  }
  return promise as Promise<T>;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiRequestError | undefined;
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
        (error: unknown) =>
          live &&
          setState({
            key,
            data: undefined,
            error: error instanceof ApiRequestError ? error : new ApiRequestError(String(error), 0),
          }),
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

/** The JSON at `path` (null: nothing yet). */
export function useApi<T>(path: string | null): Loaded<T> {
  return useAsync<T>(
    path,
    () => fetchJson<T>(path!),
    () => {
      const done = path === null ? undefined : settled.get(path);
      return done?.ok ? (done.value as T) : undefined;
    },
  );
}

let storeVersion: string | undefined;

/** Loads /api/info once; its store version makes image URLs immutable in the browser cache. */
export async function loadInfo(): Promise<InfoResponse> {
  const info = await fetchJson<InfoResponse>(apiPaths.info());
  storeVersion = info.storeVersion;
  return info;
}

/** Side in pixels of image requests for tiles shown at `cssSize`, rounded up to a few cacheable sizes. */
export function imageRequestSize(cssSize: number): number {
  const wanted = cssSize * Math.min(window.devicePixelRatio || 1, 2);
  return wanted <= 32 ? 32 : wanted <= 64 ? 64 : wanted <= 128 ? 128 : 256;
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
