/**
 * The guard every writing request (POST) passes before it may change the results file: it must come from
 * this machine (a loopback peer) and from a page of this server itself (an Origin header naming this
 * server's own origin, and no cross-site fetch metadata), so that no other site open in the user's browser
 * can make the server write. Reads stay open as before; the server only writes when started writable.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiError } from '../results/api-types.js';

const LOOPBACK_PEERS = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** The origins a page of this server has: http://<loopback name>:<port>. */
export function ownOrigins(port: number): string[] {
  return LOOPBACK_HOSTS.map((host) => `http://${host}:${port}`);
}

/** Why `request` may not write (403), or null when it may. */
export function localWriteProblem(request: IncomingMessage, port: number): ApiError | null {
  const peer = request.socket.remoteAddress ?? '';
  if (!LOOPBACK_PEERS.includes(peer)) {
    return {
      error: `writes come from this machine only, not from ${peer || 'an unknown address'}`,
      hint: 'open the app on the machine that runs nap serve (http://127.0.0.1:<port>/)',
      status: 403,
    };
  }
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  if (origin === undefined || !ownOrigins(port).includes(origin) || (site !== undefined && site !== 'same-origin')) {
    return {
      error: `a write from origin ${JSON.stringify(origin ?? null)} is refused: only pages of this server may write`,
      hint: `send the request from the app itself (Origin ${ownOrigins(port)[0]})`,
      status: 403,
    };
  }
  return null;
}

/** The JSON object body of a request, at most `limit` bytes; an InputError-shaped problem otherwise. */
export async function readJsonBody(
  request: IncomingMessage,
  limit: number,
): Promise<{ body: Record<string, unknown> } | { problem: ApiError }> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    return {
      problem: {
        error: `content type ${JSON.stringify(type)} is not application/json`,
        hint: 'send a JSON object with Content-Type: application/json',
        status: 415,
      },
    };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      return {
        problem: { error: `the request body exceeds ${limit} bytes`, hint: 'send a small JSON object', status: 413 },
      };
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { problem: { error: 'the request body is not JSON', hint: 'send a JSON object', status: 400 } };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { problem: { error: 'the request body is not a JSON object', hint: 'send a JSON object', status: 400 } };
  }
  return { body: body as Record<string, unknown> };
}
