/** /api/notes: the sidecar beside the served results, edited only by same-origin JSON requests that pass validation. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { ApiError } from '../../src/results/api-types.js';
import { notesPathOf } from '../../src/results/node/notes-file.js';
import { NOTES_BODY_LIMIT, type NotesDocument, type SavedView, type TagNote } from '../../src/results/notes.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { buildFixture, rawRequest, type Fixture } from './fixture.js';

let fixture: Fixture;
let server: RunningServer;
let storeHash: string;

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

before(async () => {
  fixture = await buildFixture('nap-server-notes-');
  storeHash = await sha256(fixture.storePath);
  server = await startServer({ store: fixture.storePath, port: 0, appDir: fixture.appDir, thumbnailCacheDir: false });
});

after(async () => {
  await server?.close();
  await fixture?.cleanup();
});

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(server.url + path, {
    method,
    headers: { 'Content-Type': 'application/json', Origin: server.url, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function refused(response: Response, status: number, mentions: string): Promise<void> {
  const body = (await response.json()) as ApiError;
  assert.equal(response.status, status, `${status} expected: ${body.error}`);
  assert.ok(body.error.includes(mentions), `"${body.error}" names ${mentions}`);
  assert.ok(body.hint, 'with a hint');
}

test('decisions, tags and saved views are written to the sidecar and read back; the store is untouched', async () => {
  const runId = fixture.runId;
  const empty = (await (await fetch(`${server.url}/api/notes`)).json()) as NotesDocument;
  assert.deepEqual(empty.decisions, []);
  const put = await send('PUT', `/api/notes/decisions/${runId}/7`, { decision: 'error', label: '3' });
  assert.equal(put.status, 200);
  const tag = (await (
    await send('POST', '/api/notes/tags', {
      tag: 'thin strokes',
      target: { kind: 'pattern', clusteringId: fixture.clusteringIds[0], patternId: 0 },
    })
  ).json()) as TagNote;
  const view = (await (
    await send('POST', '/api/notes/views', { name: 'first', query: '?view=map&run=1' })
  ).json()) as SavedView;
  const onDisk = JSON.parse(await readFile(notesPathOf(fixture.storePath), 'utf8')) as NotesDocument;
  assert.deepEqual(
    onDisk.decisions.map((d) => [d.runId, d.input, d.decision, d.label]),
    [[runId, 7, 'error', '3']],
  );
  assert.deepEqual(onDisk.tags, [tag]);
  assert.deepEqual(onDisk.views, [view]);
  assert.equal((await send('DELETE', `/api/notes/tags/${tag.id}`)).status, 204);
  assert.equal((await send('DELETE', `/api/notes/decisions/${runId}/7`)).status, 204);
  await refused(await send('DELETE', `/api/notes/decisions/${runId}/7`), 404, 'input 7');
  const after = (await (await fetch(`${server.url}/api/notes`)).json()) as NotesDocument;
  assert.deepEqual([after.decisions.length, after.tags.length, after.views.length], [0, 0, 1]);
  assert.equal(await sha256(fixture.storePath), storeHash, 'the results file is not modified');
});

test('bad bodies get a 4xx naming the field or the problem', async () => {
  const base = `/api/notes/decisions/${fixture.runId}/1`;
  await refused(await send('PUT', base, { decision: 'wrong' }), 400, '"decision"');
  await refused(await send('PUT', base, { decision: 'error', label: 12 }), 400, '"label"');
  await refused(await send('PUT', base, '{"decision": '), 400, 'not valid JSON');
  await refused(await send('PUT', base, '[1]'), 400, 'not a JSON object');
  await refused(await send('PUT', `/api/notes/decisions/x/1`, { decision: 'fine' }), 400, 'run id');
  await refused(
    await send('POST', '/api/notes/tags', { tag: 'x', target: { kind: 'input', runId: 1 } }),
    400,
    '"input"',
  );
  await refused(await send('POST', '/api/notes/views', { name: 'v', query: 'no-question-mark' }), 400, '"query"');
  await refused(await send('DELETE', '/api/notes/views/nothex'), 400, 'not 16 hex digits');
  await refused(await send('PUT', base, { decision: 'fine' }, { 'Content-Type': 'text/plain' }), 415, 'text/plain');
  const huge = JSON.stringify({ params: `sel=${'1,'.repeat(NOTES_BODY_LIMIT / 2)}` });
  await refused(await send('POST', '/api/notes/states', huge), 413, `${NOTES_BODY_LIMIT} bytes`);
  const wrongMethod = await send('POST', base, { decision: 'fine' });
  assert.equal(wrongMethod.headers.get('allow'), 'PUT, DELETE');
  await refused(wrongMethod, 405, 'POST');
  await refused(await send('GET', '/api/notes/elsewhere'), 400, 'no notes route');
});

test('cross-origin writes are refused, and the sidecar stays as it was', async () => {
  const before = await readFile(notesPathOf(fixture.storePath), 'utf8');
  const body = { decision: 'fine' };
  const path = `/api/notes/decisions/${fixture.runId}/2`;
  await refused(await send('PUT', path, body, { Origin: 'http://evil.example' }), 403, 'evil.example');
  await refused(await send('PUT', path, body, { Origin: 'null' }), 403, 'origin');
  await refused(await send('PUT', path, body, { 'Sec-Fetch-Site': 'cross-site' }), 403, 'cross-site');
  const rebound = await rawRequest(server.url, path, { method: 'PUT', headers: { Host: 'evil.example' } });
  assert.equal(rebound.status, 403, 'a request addressed to another host name (DNS rebinding) is refused');
  assert.equal(await readFile(notesPathOf(fixture.storePath), 'utf8'), before);
  // Without an Origin (curl, scripts) the same request is taken.
  const plain = await fetch(server.url + path, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(plain.status, 200);
});

test('the results API itself stays read-only', async () => {
  const post = await send('POST', `/api/runs/${fixture.runId}`, {});
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});
