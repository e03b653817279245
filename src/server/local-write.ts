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
    throw new WriteRefused(`a ${site} request may not write`, 403, 'edit from the app that nap serve serves');
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  if (host === undefined || origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
    throw new WriteRefused(
      `origin ${JSON.stringify(origin).slice(0, 100)} is not this server (${host ?? 'no Host header'}): only pages of this server may write`,
      403,
      'cross-origin writes are refused: edit from the app that nap serve serves',
    );
  }
}

const LOOPBACK_PEERS = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/**
 * Throws WriteRefused (403) unless the request comes from this machine and from a page of this server that
 * says so (an Origin header is required): the guard of writes to the results file itself, stricter than
 * the notes' because a results file holds computed work.
 */
export function requireLocalPage(request: IncomingMessage): void {
  const peer = request.socket.remoteAddress ?? '';
  if (!LOOPBACK_PEERS.includes(peer)) {
    throw new WriteRefused(
      `writes come from this machine only, not from ${peer || 'an unknown address'}`,
      403,
      'open the app on the machine that runs nap serve (http://127.0.0.1:<port>/)',
    );
  }
  if (request.headers.origin === undefined) {
    throw new WriteRefused(
      'a write without an Origin header is refused: only pages of this server may write to the results file',
      403,
      'send the request from the app itself',
    );
  }
  requireSameOrigin(request);
}

/** The request's JSON object body (at most `limitBytes`); WriteRefused 400 when it is not an object. */
export async function readJsonObject(request: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  const body = await readJsonBody(request, limitBytes);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new WriteRefused('the request body is not a JSON object', 400, 'send one JSON object');
  }
  return body as Record<string, unknown>;
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
