/** The options of `startServer` and `nap serve` (see src/options/schema.ts). */
import { DEFAULT_APP_DIR } from '../app-dir.js';
import {
  libraryOption,
  OptionSchema,
  scaledOption,
  text,
  valueOption,
  wholeNumber,
  type OptionField,
} from '../options/schema.js';
import type { KeepWriter } from './keep-clustering.js';
import { DEFAULT_DISK_CACHE_BYTES, defaultThumbnailCacheDir } from './disk-cache.js';

export const DEFAULT_PORT = 8765;
export const DEFAULT_HOST = '127.0.0.1';
export { DEFAULT_APP_DIR };
export const DEFAULT_THUMBNAIL_CACHE_DIR = defaultThumbnailCacheDir();
export const DEFAULT_IMAGE_CACHE_BYTES = 64 * 1024 * 1024;

export interface ServerOptions {
  /** Path of the results store (DuckDB file); opened read-only and never modified unless `keep` is given. */
  store: string;
  /** TCP port; default 8765; 0 picks a free one. */
  port?: number;
  /** Interface to listen on; default '127.0.0.1' (this machine only). */
  host?: string;
  /** Folder of the built app (index.html and assets); default build/app of this package. */
  appDir?: string;
  /**
   * Folder of the thumbnail disk cache, which only this user may write (made 0700; refused when it is a
   * link or another user's); default $XDG_CACHE_HOME/nap-lens/thumbnails (~/.cache/nap-lens/thumbnails);
   * false: no disk cache. Files are keyed by the run's dataset fingerprint, the input's dataset path, the
   * size and channels.
   */
  thumbnailCacheDir?: string | false;
  /** Bytes the thumbnail disk cache may hold; the least recently used files go first. Default 256 MiB. */
  thumbnailCacheBytes?: number;
  /** Memory budget of encoded PNGs (thumbnails and average images) in bytes; default 64 MiB. */
  imageCacheBytes?: number;
  /**
   * The notes sidecar (decisions, tags, saved views: src/results/notes.ts), the one file the server
   * writes; default <store>.nap-notes.json.
   */
  notes?: string;
  /** Called with each unexpected error (answered 500); default: none. */
  onError?: (error: unknown) => void;
  /**
   * Given: open the store for writing, so that the app can keep a re-cut of a layer with it (POST
   * /api/clusterings/C/keep, from pages of this server on this machine only; engine/keep-recut.ts's
   * keepRecut). Default none: read-only, every write refused. When another process holds the file, the
   * server still serves it read-only and refuses writes, saying so.
   */
  keep?: KeepWriter;
}

/** `--thumbnail-cache DIR` on the CLI (`--no-disk-cache` for none); in the library a folder, or false. */
const thumbnailCacheDirField: OptionField<string | false> = (() => {
  const folder = valueOption(text({ example: '~/.cache/nap-lens/thumbnails', placeholder: 'DIR' }), {
    flag: 'thumbnail-cache',
    help: 'folder of the thumbnail disk cache, only yours to write',
    default: DEFAULT_THUMBNAIL_CACHE_DIR,
  });
  return {
    ...folder,
    check: (value, key) => (value === false ? false : folder.check(value, key)),
    toCli: (value) => (value === false ? ['--no-disk-cache'] : folder.toCli(value)),
  };
})();

export const SERVE_OPTIONS = new OptionSchema<ServerOptions>('serve', {
  store: libraryOption(text({ example: 'results.duckdb' }), { help: 'the results file', required: true }),
  port: valueOption(wholeNumber({ example: DEFAULT_PORT, min: 0, max: 65535 }), {
    flag: 'port',
    help: 'TCP port; 0 picks a free one',
    default: DEFAULT_PORT,
  }),
  host: valueOption(text({ example: DEFAULT_HOST, placeholder: 'ADDRESS' }), {
    flag: 'host',
    help: 'interface to listen on; 0.0.0.0 exposes the results to the network',
    default: DEFAULT_HOST,
  }),
  appDir: valueOption(text({ example: 'build/app', placeholder: 'DIR' }), {
    flag: 'app-dir',
    help: 'folder of the built app',
    default: DEFAULT_APP_DIR,
    defaultText: 'build/app of nap-lens',
  }),
  thumbnailCacheDir: thumbnailCacheDirField,
  thumbnailCacheBytes: scaledOption(
    wholeNumber({ example: DEFAULT_DISK_CACHE_BYTES, min: 0 }),
    wholeNumber({ example: DEFAULT_DISK_CACHE_BYTES / 2 ** 20, min: 0, max: 2 ** 30 }),
    2 ** 20,
    {
      flag: 'thumbnail-cache-mb',
      help: 'most megabytes it holds; the least recently used go first',
      default: DEFAULT_DISK_CACHE_BYTES,
      defaultText: String(DEFAULT_DISK_CACHE_BYTES / 2 ** 20),
    },
  ),
  imageCacheBytes: libraryOption(wholeNumber({ example: DEFAULT_IMAGE_CACHE_BYTES, min: 0 }), {
    help: 'memory budget of encoded PNGs',
    default: DEFAULT_IMAGE_CACHE_BYTES,
  }),
});
