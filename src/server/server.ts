/**
 * `startServer`: the Magnifying Glass's local HTTP server. It opens one results store read-only, answers
 * the results API under /api (src/results/routes.ts) and serves the built app from build/app.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_APP_DIR } from '../app-dir.js';
import { InputError } from '../errors.js';
import { NapStore } from '../io/store/index.js';
import { createResultsApi } from '../results/api.js';
import type { ApiError } from '../results/api-types.js';
import { storeReader } from '../results/node/duckdb-reader.js';
import { answerApi, apiHandlers, DataAnswers, type Handler } from './api-handler.js';
import { HeatmapImages } from './heatmap-images.js';
import { ImageService } from './images.js';
import { sendError, sendJson, statusOf } from './responses.js';
import { serveStatic } from './static-files.js';

export interface ServerOptions {
  /** Path of the results store (DuckDB file); opened read-only and never modified. */
  store: string;
  /** TCP port; default 8765; 0 picks a free one. */
  port?: number;
  /** Interface to listen on; default '127.0.0.1' (this machine only). */
  host?: string;
  /** Folder of the built app (index.html and assets); default build/app of this package. */
  appDir?: string;
  /**
   * Folder of the thumbnail disk cache; default <os.tmpdir()>/nap-lens-thumbnails; false: no disk cache.
   * Files are keyed by the run's dataset fingerprint, the input's dataset path, the size and channels.
   */
  thumbnailCacheDir?: string | false;
  /** Memory budget of encoded PNGs (thumbnails and average images) in bytes; default 64 MiB. */
  imageCacheBytes?: number;
  /** Called with each unexpected error (answered 500); default: none. */
  onError?: (error: unknown) => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8765 */
  url: string;
  host: string;
  port: number;
  /** Stops listening, drops open connections and closes the store. */
  close(): Promise<void>;
}

export { DEFAULT_APP_DIR };
export const DEFAULT_PORT = 8765;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_THUMBNAIL_CACHE_DIR = path.join(os.tmpdir(), 'nap-lens-thumbnails');
const DEFAULT_IMAGE_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Largest request line plus headers. Node's default (16 KiB) would refuse index lists well below the
 * documented 10,000 indices; 10,000 indices of up to 10 digits need about 110 KB.
 */
const MAX_REQUEST_HEAD_BYTES = 128 * 1024;

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = ['0.0.0.0', '::', '[::]'];

interface Resolved {
  store: string;
  port: number;
  host: string;
  appDir: string;
  thumbnailCacheDir: string | null;
  imageCacheBytes: number;
  onError: (error: unknown) => void;
}

function resolveOptions(options: ServerOptions): Resolved {
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`port ${port} is not a TCP port`, {
      hint: `pass a port from 1 to 65535 (0 picks a free one), e.g. ${DEFAULT_PORT}`,
    });
  }
  const imageCacheBytes = options.imageCacheBytes ?? DEFAULT_IMAGE_CACHE_BYTES;
  if (!Number.isInteger(imageCacheBytes) || imageCacheBytes < 0) {
    throw new InputError(`image cache size ${imageCacheBytes} is not a byte count`, {
      hint: 'pass a whole number of bytes >= 0',
    });
  }
  const host = options.host ?? DEFAULT_HOST;
  if (host.trim() === '')
    throw new InputError('host is empty', { hint: `pass an interface address such as ${DEFAULT_HOST}` });
  const cacheDir = options.thumbnailCacheDir ?? DEFAULT_THUMBNAIL_CACHE_DIR;
  return {
    store: options.store,
    port,
    host,
    appDir: path.resolve(options.appDir ?? DEFAULT_APP_DIR),
    thumbnailCacheDir: cacheDir === false ? null : path.resolve(cacheDir),
    imageCacheBytes,
    onError: options.onError ?? (() => undefined),
  };
}

/** The hostname of a Host header, lowercased, without the port. */
function hostnameOf(header: string): string {
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!;
  return name.toLowerCase();
}

/**
 * Refuses requests addressed to another host name, so that a web page cannot reach this server by
 * pointing its own domain at 127.0.0.1 (DNS rebinding). A server on a wildcard address accepts any name.
 */
function hostAllowed(request: IncomingMessage, listenHost: string): boolean {
  if (WILDCARD_HOSTS.includes(listenHost)) return true;
  const header = request.headers.host;
  if (header === undefined) return true;
  const name = hostnameOf(header);
  const own = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  return LOOPBACK_NAMES.includes(name) || name === own.toLowerCase();
}

function sendProblem(
  request: IncomingMessage,
  response: ServerResponse,
  body: ApiError,
  headers: Record<string, string> = {},
): Promise<void> {
  return sendJson(request, response, body.status, body, { 'Cache-Control': 'no-store', ...headers });
}

function requestHandler(config: Resolved, handlers: readonly Handler[], storeVersion: string) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      if (!hostAllowed(request, config.host)) {
        await sendProblem(request, response, {
          error: `host ${JSON.stringify(request.headers.host)} is not this server`,
          hint: `open the app at http://${DEFAULT_HOST}:<port>/ or http://localhost:<port>/`,
          status: 403,
        });
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        await sendProblem(
          request,
          response,
          { error: `method ${request.method} is not allowed`, hint: 'the server is read-only: use GET', status: 405 },
          { Allow: 'GET, HEAD' },
        );
        return;
      }
      const target = request.url ?? '/';
      const queryStart = target.indexOf('?');
      const rawPath = queryStart < 0 ? target : target.slice(0, queryStart);
      const rawQuery = queryStart < 0 ? '' : target.slice(queryStart + 1);
      if (rawPath === '/api' || rawPath.startsWith('/api/')) {
        if (!(await answerApi(request, response, handlers, rawPath, rawQuery, storeVersion))) {
          await sendProblem(request, response, {
            error: `no API route ${rawPath.slice(0, 200)}`,
            hint: 'the routes are listed in src/results/api-types.ts; start from GET /api/runs',
            status: 404,
          });
        }
      } else await serveStatic({ request, response, rawPath }, config.appDir);
    } catch (error) {
      if (statusOf(error) === 500) config.onError(error);
      if (response.headersSent) response.destroy();
      else await sendError(request, response, error).catch(() => response.destroy());
    }
  };
}

/**
 * Requests that Node's HTTP parser refuses before any handler runs (a request line or headers over the
 * limit, malformed syntax) get an ApiError body too, instead of Node's bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body: ApiError =
    status === 431
      ? {
          error: `the request line and headers exceed ${MAX_REQUEST_HEAD_BYTES / 1024} KiB`,
          hint: 'ask for fewer inputs per request (shorter index lists)',
          status,
        }
      : {
          error: `the request is not valid HTTP (${error.code ?? 'parse error'})`,
          hint: 'send a plain HTTP/1.1 GET request',
          status,
        };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${json}`,
  );
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new InputError(`port ${port} on ${host} is already in use`, {
            hint: 'pass another --port, or --port 0 to pick a free one',
          }),
        );
      } else if (error.code === 'EACCES') {
        reject(new InputError(`no permission to listen on port ${port}`, { hint: 'use a port above 1023' }));
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(
          new InputError(`host ${host} is not an address of this machine`, {
            hint: `use ${DEFAULT_HOST}, or 0.0.0.0 for every interface`,
          }),
        );
      } else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Opens the store read-only and starts serving it; resolves once the server listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const config = resolveOptions(options);
  const store = await NapStore.open(config.store, { readOnly: true, verify: true });
  try {
    const service = createResultsApi(storeReader(store));
    const { storeVersion } = await service.tables.source();
    const images = new ImageService(store, service.tables, {
      memoryBytes: config.imageCacheBytes,
      diskDir: config.thumbnailCacheDir,
    });
    const data = new DataAnswers(service);
    const handle = requestHandler(config, apiHandlers(data, images, new HeatmapImages(store, service)), storeVersion);
    // The handler answers its own errors, so its promise does not reject.
    const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (request, response) => {
      void handle(request, response);
    });
    server.on('clientError', answerClientError);
    // The newest run's tables are read and its first views computed before the first request: results do
    // not change while served, and a failure here shows up again when the view asks for it.
    await service
      .prefetch()
      .then(() => data.prefetch())
      .catch(() => undefined);
    const address = await listen(server, config.port, config.host);
    let closing: Promise<void> | null = null;
    return {
      url: urlOf(address),
      host: address.address,
      port: address.port,
      close: () => {
        closing ??= new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }).then(() => store.close());
        return closing;
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
