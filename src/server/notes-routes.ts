/**
 * /api/notes: the notes sidecar beside the served results (src/results/notes.ts), read and edited:
 *
 *   GET    /api/notes                              the whole document
 *   PUT    /api/notes/decisions/:runId/:input      {decision: error|fine|unsure, label?}
 *   DELETE /api/notes/decisions/:runId/:input
 *   POST   /api/notes/tags                         {tag, target: {kind: pattern, clusteringId, patternId} | {kind: input, runId, input}}
 *   DELETE /api/notes/tags/:id
 *   POST   /api/notes/views                        {name, query}
 *   DELETE /api/notes/views/:id
 *   POST   /api/notes/states                       {params}
 *
 * Writes answer the note written (200) or nothing (204); every write passes the local-write guard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError } from '../errors.js';
import { errorBody, statusOf } from '../results/api-error.js';
import {
  NOTES_BODY_LIMIT,
  NOTES_PREFIX_PATH,
  parseDecision,
  parseId,
  parseState,
  parseTag,
  parseView,
  type NotesChange,
} from '../results/notes.js';
import type { NotesFile } from '../results/node/notes-file.js';
import { isWriteRefused, readJsonBody, requireSameOrigin } from './local-write.js';
import { sendJson } from './responses.js';
import { matchRoute } from './router.js';

const NOTES_PREFIX = NOTES_PREFIX_PATH;

interface NotesRoute {
  path: string;
  /** Method -> the change it makes from the path parameters and the body (read only when needed). */
  methods: Record<
    string,
    ((params: Record<string, string>, body: () => Promise<unknown>) => NotesChange | Promise<NotesChange>) | null
  >;
}

function pathNumber(text: string, what: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    throw new InputError(`${what} ${JSON.stringify(text).slice(0, 40)} in the path is not a whole number`, {
      hint: `write the ${what} as digits, e.g. /api/notes/decisions/1/42`,
    });
  }
  return Number(text);
}

const ROUTES: NotesRoute[] = [
  { path: NOTES_PREFIX, methods: { GET: null } },
  {
    path: `${NOTES_PREFIX}/decisions/:runId/:input`,
    methods: {
      PUT: async (p, body) =>
        parseDecision(pathNumber(p.runId!, 'run id'), pathNumber(p.input!, 'input'), await body()),
      DELETE: (p) => ({
        op: 'undecide',
        runId: pathNumber(p.runId!, 'run id'),
        input: pathNumber(p.input!, 'input'),
      }),
    },
  },
  { path: `${NOTES_PREFIX}/tags`, methods: { POST: async (_p, body) => parseTag(await body()) } },
  { path: `${NOTES_PREFIX}/tags/:id`, methods: { DELETE: (p) => ({ op: 'untag', id: parseId(p.id!, 'tag') }) } },
  { path: `${NOTES_PREFIX}/views`, methods: { POST: async (_p, body) => parseView(await body()) } },
  {
    path: `${NOTES_PREFIX}/views/:id`,
    methods: { DELETE: (p) => ({ op: 'delete-view', id: parseId(p.id!, 'saved view') }) },
  },
  { path: `${NOTES_PREFIX}/states`, methods: { POST: async (_p, body) => parseState(await body()) } },
];

const NO_STORE = { 'Cache-Control': 'no-store' };

/** Answers a request under /api/notes; false when the path is not a notes path. */
export async function answerNotes(
  request: IncomingMessage,
  response: ServerResponse,
  notes: NotesFile,
  rawPath: string,
): Promise<boolean> {
  if (rawPath !== NOTES_PREFIX && !rawPath.startsWith(`${NOTES_PREFIX}/`)) return false;
  try {
    const match = matchRoute(ROUTES, rawPath);
    if (match === null) {
      throw new InputError(`no notes route ${rawPath.slice(0, 200)}`, {
        hint: 'the notes routes are listed in src/server/notes-routes.ts',
      });
    }
    const method = request.method ?? 'GET';
    const allowed = Object.keys(match.route.methods);
    if (method === 'GET' || method === 'HEAD') {
      if (!allowed.includes('GET')) return refuseMethod(request, response, method, allowed);
      await sendJson(request, response, 200, await notes.read(), NO_STORE);
      return true;
    }
    const make = match.route.methods[method];
    if (make === undefined || make === null) return refuseMethod(request, response, method, allowed);
    requireSameOrigin(request);
    const change = await make(match.params, () => readJsonBody(request, NOTES_BODY_LIMIT));
    const result = await notes.change(change);
    if (result === null) {
      response.writeHead(204, NO_STORE);
      response.end();
    } else await sendJson(request, response, 200, result, NO_STORE);
  } catch (error) {
    const status = isWriteRefused(error) ? error.status : statusOf(error);
    if (status === 500) throw error;
    // A refused request may leave its body unread; the connection closes rather than parse it as the next request.
    await sendJson(request, response, status, errorBody(error, status), { ...NO_STORE, Connection: 'close' });
  }
  return true;
}

async function refuseMethod(
  request: IncomingMessage,
  response: ServerResponse,
  method: string,
  allowed: string[],
): Promise<true> {
  const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  await sendJson(
    request,
    response,
    405,
    { error: `method ${method} is not allowed here`, hint: `use ${allow.join(' or ')}`, status: 405 },
    { ...NO_STORE, Allow: allow.join(', ') },
  );
  return true;
}
