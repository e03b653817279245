/**
 * The built browser app: files under the app folder only, with content types, cache headers (hashed
 * assets are immutable, everything else revalidates) and the single-page-app fallback to index.html.
 * No request can name a file outside the app folder: encoded separators, dot segments, NUL bytes and
 * non-origin request targets are refused before any file system access, and the resolved real path
 * must still lie inside the folder (which also stops symbolic links out of it).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { InputError } from '../errors.js';
import { sendBody } from './responses.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.txt', '.svg']);

/** Bundler output names such as index-3f2a9c1b.js or app.BX7k2_qz.css carry a content hash. */
const HASHED_NAME = /[.-][A-Za-z0-9_]{8,}\.[A-Za-z0-9]+$/;

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function isHashedAsset(file: string): boolean {
  return HASHED_NAME.test(path.basename(file));
}

function refuse(rawPath: string, why: string): never {
  throw new InputError(`path ${JSON.stringify(rawPath.slice(0, 200))} is refused: ${why}`, {
    hint: 'request files of the app by their plain path, e.g. /assets/index.js',
  });
}

/**
 * The decoded URL path ('/', '/assets/x.js') of a raw request path, or an InputError for anything that
 * could step outside the app folder. Pure: touches no files.
 */
export function safeUrlPath(rawPath: string): string {
  if (!rawPath.startsWith('/')) refuse(rawPath, 'not an origin path');
  if (rawPath.includes('\0') || /%00/i.test(rawPath)) refuse(rawPath, 'it contains a NUL byte');
  if (rawPath.includes('\\') || /%5c/i.test(rawPath)) refuse(rawPath, 'it contains a backslash');
  if (/%2f/i.test(rawPath)) refuse(rawPath, 'it contains an encoded slash');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    refuse(rawPath, 'its percent-encoding is malformed');
  }
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.'))
    refuse(rawPath, 'it contains a dot segment');
  return decoded;
}

function isInside(folder: string, file: string): boolean {
  return file === folder || file.startsWith(folder + path.sep);
}

/** A regular file's real path, when it exists inside `realFolder`; null otherwise. */
async function existingFileInside(realFolder: string, candidate: string): Promise<string | null> {
  try {
    const real = await realpath(candidate);
    if (!isInside(realFolder, real)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

const MISSING_APP_PAGE = (appDir: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nap serve: app not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The web app is not built</h1>
<p>nap serve found no <code>index.html</code> in <code>${appDir.replace(/[<>&]/g, '')}</code>.</p>
<p>Run <code>npm run build</code> in the nap-lens folder, then reload this page. The JSON API under <a href="/api/runs">/api</a> works without it.</p>
</body></html>`;

export interface StaticRequest {
  request: IncomingMessage;
  response: ServerResponse;
  /** The request path before the query, still percent-encoded. */
  rawPath: string;
}

/** Serves a GET/HEAD for a non-API path; throws InputError (400) for a refused path. */
export async function serveStatic({ request, response, rawPath }: StaticRequest, appDir: string): Promise<void> {
  const urlPath = safeUrlPath(rawPath);
  const folder = await realpath(appDir).catch(() => null);
  const index = folder === null ? null : await existingFileInside(folder, path.join(folder, 'index.html'));
  if (folder === null || index === null) {
    await sendBody(request, response, 503, 'text/html; charset=utf-8', Buffer.from(MISSING_APP_PAGE(appDir)), {
      headers: { 'Cache-Control': 'no-store' },
    });
    return;
  }
  const candidate = path.join(folder, urlPath);
  const file = urlPath.endsWith('/') ? null : await existingFileInside(folder, candidate);
  if (file === null && path.extname(urlPath) !== '') {
    await sendBody(request, response, 404, 'text/plain; charset=utf-8', Buffer.from(`not found: ${urlPath}\n`), {
      headers: { 'Cache-Control': 'no-store' },
    });
    return;
  }
  // Paths without an extension are routes of the app: index.html renders them.
  const served = file ?? index;
  const info = await stat(served);
  const etag = `"${info.size.toString(36)}-${Math.trunc(info.mtimeMs).toString(36)}"`;
  const cacheControl = served !== index && isHashedAsset(served) ? 'public, max-age=31536000, immutable' : 'no-cache';
  const headers = { 'Cache-Control': cacheControl, ETag: etag };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const extension = path.extname(served).toLowerCase();
  await sendBody(request, response, 200, contentTypeOf(served), await readFile(served), {
    headers,
    compress: COMPRESSIBLE.has(extension),
  });
}
