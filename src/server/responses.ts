/** Writing responses: JSON (gzip when accepted), PNG, errors as ApiError, and the store-version cache headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { errorBody, statusOf } from '../results/api-error.js';

const gzipAsync = promisify(gzip);

/** Bodies smaller than this are not worth compressing. */
const GZIP_MIN_BYTES = 1024;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

export function acceptsGzip(request: IncomingMessage): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

export interface SendOptions {
  /** Extra headers (Cache-Control, ETag, ...). */
  headers?: Record<string, string>;
  /** Compress when the client accepts gzip. */
  compress?: boolean;
  /** The body already compressed (see gzipOf), sent instead of compressing it again. */
  gzipped?: Buffer | null;
}

/** The gzip of a body worth compressing, null for a small one. */
export async function gzipOf(body: Buffer): Promise<Buffer | null> {
  return body.length >= GZIP_MIN_BYTES ? gzipAsync(body) : null;
}

/** Sends a body; HEAD requests get the headers only. */
export async function sendBody(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer,
  options: SendOptions = {},
): Promise<void> {
  let payload = body;
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Content-Type-Options': 'nosniff',
    ...options.headers,
  };
  if (options.compress) {
    headers.Vary ??= 'Accept-Encoding';
    if (body.length >= GZIP_MIN_BYTES && acceptsGzip(request)) {
      payload = options.gzipped ?? (await gzipAsync(body));
      headers['Content-Encoding'] = 'gzip';
    }
  }
  headers['Content-Length'] = String(payload.length);
  response.writeHead(status, headers);
  response.end(request.method === 'HEAD' ? undefined : payload);
}

export function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<void> {
  return sendBody(request, response, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(body)), {
    headers,
    compress: true,
  });
}

export function sendError(request: IncomingMessage, response: ServerResponse, error: unknown): Promise<void> {
  const status = statusOf(error);
  return sendJson(request, response, status, errorBody(error, status), { 'Cache-Control': 'no-store' });
}

export { statusOf };
