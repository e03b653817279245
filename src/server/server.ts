/**
 * `startServer`: the Magnifying Glass's local HTTP server. It opens one results store read-only (or, asked
 * to, writable for the app's one write: keeping a re-cut), answers the results API under /api
 * (src/results/routes.ts) and serves the built app from build/app.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { InputError, option } from '../errors.js';
import { NapStore } from '../io/store/index.js';
import { createResultsApi } from '../results/api.js';
import { errorBody } from '../results/api-error.js';
import type { ApiError } from '../results/api-types.js';
import { storeReader } from '../results/node/duckdb-reader.js';
import { NotesFile, notesPathOf } from '../results/node/notes-file.js';
import { answerApi, apiHandlers, DataAnswers, type Handler } from './api-handler.js';
import { HeatmapImages } from './heatmap-images.js';
import { DiskCache } from './disk-cache.js';
import { ImageService } from './images.js';
import { sendError, sendJson, statusOf } from './responses.js';
import { answerNotes } from './notes-routes.js';
import { DEFAULT_HOST, SERVE_OPTIONS, type ServerOptions } from './serve-options.js';
import { serveStatic } from './static-files.js';
import { keepRequestOf, KEEP_PATH, type KeepWriter } from './keep-clustering.js';
import { isWriteRefused, readJsonObject, requireLocalPage } from './local-write.js';
import { storeFileProblem } from '../io/store/file-errors.js';

export {
  DEFAULT_APP_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_THUMBNAIL_CACHE_DIR,
  type ServerOptions,
} from './serve-options.js';

export interface RunningServer {
  /** e.g. http://127.0.0.1:8765 */
  url: string;
  host: string;
  port: number;
  /** Stops listening, drops open connections and closes the store. */
  close(): Promise<void>;
}

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
  thumbnailCacheBytes: number;
  imageCacheBytes: number;
  notes: string;
  onError: (error: unknown) => void;
  keep: KeepWriter | null;
}

function resolveOptions(options: ServerOptions): Resolved {
  const resolved = SERVE_OPTIONS.resolve(options) as Required<Omit<ServerOptions, 'onError' | 'notes'>>;
  const { store, port, host, appDir, thumbnailCacheDir, thumbnailCacheBytes, imageCacheBytes } = resolved;
  return {
    store,
    port,
    host,
    appDir: path.resolve(appDir),
    thumbnailCacheDir: thumbnailCacheDir === false ? null : path.resolve(thumbnailCacheDir),
    thumbnailCacheBytes,
    imageCacheBytes,
    notes: path.resolve(options.notes ?? notesPathOf(options.store)),
    onError: options.onError ?? (() => undefined),
    keep: options.keep ?? null,
  };
}

/** The hostname of a Host header, lowercased, without the port. */
function hostnameOf(header: string): string {
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!;
  return name.toLowerCase();
}

/**
 * Refuses requests addressed to another host name, so that a web page cannot reach this server by
 * pointing its own domain at 127.0.0.1 (DNS rebinding), and requests that name no host at all (HTTP/1.0
 * allows that; Node answers HTTP/1.1 ones itself). A server on a wildcard address accepts any name.
 */
function hostAllowed(request: IncomingMessage, listenHost: string): boolean {
  const header = request.headers.host;
  if (header === undefined || header.trim() === '') return false;
  if (WILDCARD_HOSTS.includes(listenHost)) return true;
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

/** Answers a POST outside the notes (every write to the results file); GET and HEAD go to the read handlers. */
type WriteAnswer = (request: IncomingMessage, response: ServerResponse, rawPath: string) => Promise<void>;

function requestHandler(
  config: Resolved,
  handlers: readonly Handler[],
  storeVersion: string,
  notes: NotesFile,
  write: WriteAnswer,
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      if (!hostAllowed(request, config.host)) {
        await sendProblem(request, response, {
          error:
            request.headers.host === undefined
              ? 'the request names no host (no Host header)'
              : `host ${JSON.stringify(request.headers.host)} is not this server`,
          hint: `open the app at http://${DEFAULT_HOST}:<port>/ or http://localhost:<port>/`,
          status: 403,
        });
        return;
      }
      const target = request.url ?? '/';
      const queryStart = target.indexOf('?');
      const rawPath = queryStart < 0 ? target : target.slice(0, queryStart);
      const rawQuery = queryStart < 0 ? '' : target.slice(queryStart + 1);
      if (await answerNotes(request, response, notes, rawPath)) return;
      if (request.method === 'POST') {
        await write(request, response, rawPath);
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        await sendProblem(
          request,
          response,
          {
            error: `method ${request.method} is not allowed`,
            hint: 'read with GET; writes: /api/notes, and POST /api/clusterings/C/keep on a writable server',
            status: 405,
          },
          { Allow: 'GET, HEAD, POST' },
        );
        return;
      }
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
            hint: `pass another ${option('port')}, or ${option('port', 0)} to pick a free one`,
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

const READ_ONLY: ApiError = {
  error: 'the server was started read-only: it does not write to the results file',
  hint: 'start it with nap serve --writable to keep re-cuts from the app, or run the nap recluster command shown',
  status: 403,
};

/** The store as the server opens it: read-only, or writable when asked and no other process holds it. */
async function openServedStore(config: Resolved): Promise<{ store: NapStore; writeRefusal: ApiError | null }> {
  if (config.keep === null) {
    const store = await NapStore.open(config.store, { readOnly: true, verify: true });
    return {
      store,
      writeRefusal: READ_ONLY,
    };
  }
  try {
    return { store: await NapStore.open(config.store, { verify: true }), writeRefusal: null };
  } catch (error) {
    const locked = [error, (error as Error | null)?.cause].some((e) => storeFileProblem(e) === 'locked');
    if (!locked) throw error;
    return {
      store: await NapStore.open(config.store, { readOnly: true, verify: true }),
      writeRefusal: {
        error: `the results file ${config.store} is open in another process, so this server only reads it`,
        hint: 'close the other process (another nap serve or a running nap command) and start nap serve --writable again',
        status: 409,
      },
    };
  }
}

/** Byte limit of a write's JSON body. */
const WRITE_BODY_BYTES = 4096;

/** Opens the store (read-only unless `writable`) and starts serving it; resolves once the server listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const config = resolveOptions(options);
  const { store, writeRefusal } = await openServedStore(config);
  try {
    // Everything that reads is made again after a write, so no cache holds results from before it; the
    // store version gains the write count, so that the browser does not revalidate an answer from before.
    let writes = 0;
    const disk =
      config.thumbnailCacheDir === null
        ? null
        : await DiskCache.open(config.thumbnailCacheDir, config.thumbnailCacheBytes);
    const notes = new NotesFile(config.notes);
    const answering = async () => {
      const service = createResultsApi(storeReader(store));
      const version = (await service.tables.source()).storeVersion;
      const images = new ImageService(store, service.tables, { memoryBytes: config.imageCacheBytes, disk });
      const data = new DataAnswers(service);
      const handlers = apiHandlers(data, images, new HeatmapImages(store, service));
      const handle = requestHandler(config, handlers, writes === 0 ? version : `${version}.${writes}`, notes, write);
      return { service, data, images, handle };
    };
    let writing = Promise.resolve();
    const write: WriteAnswer = async (request, response, rawPath) => {
      const problem = (body: ApiError) => sendProblem(request, response, body);
      const match = KEEP_PATH.exec(rawPath);
      if (!match) {
        return sendProblem(
          request,
          response,
          {
            error: `method POST is not allowed on ${rawPath.slice(0, 200)}`,
            hint: 'the results are read with GET; the writes are /api/notes and, on nap serve --writable, POST /api/clusterings/C/keep',
            status: 405,
          },
          { Allow: 'GET, HEAD' },
        );
      }
      const keep = config.keep;
      if (keep === null) return problem(READ_ONLY);
      if (writeRefusal) return problem(writeRefusal);
      let body: Record<string, unknown>;
      try {
        requireLocalPage(request);
        body = await readJsonObject(request, WRITE_BODY_BYTES);
      } catch (error) {
        if (isWriteRefused(error)) return problem(errorBody(error, error.status));
        throw error;
      }
      const clusteringId = Number(match[1]);
      // One write at a time; a failed one leaves the store as recluster leaves it (nothing stored).
      const done = writing.then(async () => {
        const kept = await keep(store, clusteringId, await keepRequestOf(store, clusteringId, body));
        if (!kept.existing) {
          writes++;
          current = await answering();
        }
        return kept;
      });
      writing = done.then(
        () => undefined,
        () => undefined,
      );
      const kept = await done;
      await sendJson(request, response, kept.existing ? 200 : 201, kept, { 'Cache-Control': 'no-store' });
    };
    let current = await answering();
    // The handler answers its own errors, so its promise does not reject.
    const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (request, response) => {
      void current.handle(request, response);
    });
    server.on('clientError', answerClientError);
    // The newest run's tables are read and its first views computed before the first request: results do
    // not change while served (but for the app's own writes), and a failure here shows up again when the
    // view asks for it.
    await current.service
      .prefetch()
      .then(() => current.data.prefetch())
      .then((runId) => (runId === null ? undefined : current.images.prefetch(runId)))
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
