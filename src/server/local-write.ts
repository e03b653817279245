/**
 * The guard of every request that changes something beside the results (notes, kept clusterings, ...):
 * only from a page of this server (the Origin, when a browser sends one, must be the Host the request was
 * sent to, and Sec-Fetch-Site must not be cross-site), only JSON (a cross-origin page cannot send that
 * without a CORS preflight, which this server never grants), and only up to a size limit. The Host header
 * itself is checked for every request by server.ts (DNS rebinding). Each refusal is a WriteRefused with
 * the HTTP status to answer and a message naming what was wrong.
 */
import type { IncomingMessage } from 'node:http';
import { NapError } from '../errors.js';

export class WriteRefused extends NapError {
  constructor(
    message: string,
    readonly status: number,
    hint: string,
  ) {
    super(message, { hint });
    this.name = 'WriteRefused';
  }
}

/** Throws WriteRefused (403) unless the request comes from a page served by this very host. */
export function requireSameOrigin(request: IncomingMessage): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new WriteRefused(`a ${site} request may not change notes`, 403, 'edit from the app that nap serve serves');
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  if (host === undefined || origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
    throw new WriteRefused(
      `origin ${JSON.stringify(origin).slice(0, 100)} is not this server (${host ?? 'no Host header'})`,
      403,
      'cross-origin writes are refused: edit from the app that nap serve serves',
    );
  }
}

/** The request's JSON body (at most `limitBytes`); WriteRefused 415, 413 or 400 when it is not that. */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new WriteRefused(
      `content type ${JSON.stringify(type)} is not application/json`,
      415,
      'send the body as JSON with Content-Type: application/json',
    );
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  const tooLarge = () =>
    new WriteRefused(
      `the request body exceeds ${limitBytes} bytes`,
      413,
      'send less at once (a selection of that size is kept as a saved state)',
    );
  if (declared > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WriteRefused(
      `the request body is not valid JSON: ${JSON.stringify(text.slice(0, 60))}`,
      400,
      'send one JSON object',
    );
  }
}

/** The status of a refused write or of a notes error (bad field 400, missing 404). */
export function isWriteRefused(error: unknown): error is WriteRefused {
  return error instanceof WriteRefused;
}
