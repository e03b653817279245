/**
 * Fuzzing every API route: seeded random and hostile values (random strings, huge, negative and fractional
 * numbers, unicode, path traversal, encoded slashes, NUL, bad percent-encoding, unknown and repeated
 * parameters) in every path and query parameter of every route the server registers, plus hostile app
 * paths, methods and Host headers. Every answer must be a 2xx or a 4xx with a JSON {error}; never a 5xx,
 * never a byte of a file outside the app, and the store file must be unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { mulberry32 } from '../../src/io/datasets/sample.js';
import type { ApiError, InfoResponse } from '../../src/results/api-types.js';
import { ALL_ROUTES } from '../../src/results/routes.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { buildFixture, INPUT_COUNT, LAYERS, rawRequest, SECRET, type Fixture, type RawResponse } from './fixture.js';

const SEED = 20240611;
const REQUESTS_PER_ROUTE = 90;
const CONCURRENCY = 8;

let fixture: Fixture;
let server: RunningServer;
let storeBefore: string;
const internalErrors: unknown[] = [];

/** The store file's bytes and the files beside it (a write would leave a .wal). */
async function storeState(): Promise<string> {
  const bytes = await readFile(fixture.storePath);
  const files = (await readdir(fixture.dir)).filter((name) => name.startsWith('results.duckdb')).sort();
  return `${createHash('sha256').update(bytes).digest('hex')} ${files.join(',')}`;
}

/** Every route the server answers (the route table); only `path` and `query` are read. */
function registeredRoutes(): readonly Route[] {
  return ALL_ROUTES;
}

type Route = (typeof ALL_ROUTES)[number];

before(async () => {
  fixture = await buildFixture('nap-server-fuzz-');
  storeBefore = await storeState();
  server = await startServer({
    store: fixture.storePath,
    port: 0,
    appDir: fixture.appDir,
    thumbnailCacheDir: fixture.thumbnailDir,
    onError: (error) => internalErrors.push(error),
  });
});

after(async () => {
  await server?.close();
  await fixture?.cleanup();
});

/** Values no parameter accepts: each aims at one way parsing goes wrong. */
const HOSTILE: readonly string[] = [
  '',
  ' ',
  '0 ',
  ' 1',
  '+1',
  '01',
  '-0',
  '1.0',
  '1.5',
  '-1',
  '-2',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '-Infinity',
  '2147483647',
  '2147483648',
  '-2147483649',
  '4294967296',
  '9007199254740993',
  '99999999999999999999999999',
  '1'.repeat(400),
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  '..',
  '.',
  '../..',
  '../../secret.txt',
  '..\\..\\secret.txt',
  '/etc/passwd',
  '....//....//secret.txt',
  'C:\\Windows\\win.ini',
  '\u0000',
  'a\u0000b',
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '%2F',
  '%252F',
  '%2e%2e%2f',
  '%C0%AE%C0%AE%2F',
  '\uFEFF1',
  'relu_out/../pool_out',
  'relu_out\u0000',
  'RELU_OUT',
  'label,with,commas',
  'ünïcödé',
  '日本語',
  '🐱‍👤',
  '\uD800',
  'x'.repeat(10_000),
  '<script>alert(1)</script>',
  "'; DROP TABLE runs; --",
  '${7*7}',
  '0,1,,2',
  ',',
  '0,'.repeat(20_000),
];

/** Characters for random strings: digits, letters, separators, escapes and a little of everything else. */
const ALPHABET = [
  ...'0123456789',
  ...'abcXYZ',
  ...'-+.,;:/\\%?#&=~_ ',
  '\u0000',
  '\t',
  '\n',
  'é',
  'ß',
  '日',
  '\u202E',
  '😀',
];

/** Plausible values of each parameter name, so that the routes are reached past their first check. */
function validValues(): Record<string, string[]> {
  const patterns = ['-1', '0', '1', '2'];
  return {
    runId: [String(fixture.runId)],
    runA: [String(fixture.runId)],
    runB: [String(fixture.runId)],
    clusteringId: fixture.clusteringIds.map(String),
    layer: [...LAYERS],
    patternId: patterns,
    inputIndex: ['0', '7', String(INPUT_COUNT - 1)],
    offset: ['0', '10'],
    limit: ['1', '50'],
    index: ['0,1,2', '5'],
    size: ['16', '64'],
    unit: ['-1', '0', '1'],
    examples: ['0', '5'],
    by: ['label', 'prediction'],
    order: ['most-stable', 'least-stable', 'outlier', 'input'],
    label: ['1', '7'],
    prediction: ['3'],
    misclassified: ['true', 'false'],
    input: ['0', '7'],
    from: [...LAYERS],
    to: [...LAYERS],
    pattern: ['0', '-1'],
    reason: ['any', 'majority', 'prediction'],
    minShare: ['0', '0.05', '1'],
    minJaccard: ['0', '0.5'],
  };
}

/** Percent-encoding; a lone surrogate (no UTF-8 form) goes out as the invalid UTF-8 bytes a careless encoder sends. */
function percentEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return `${encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, ''))}%ED%A0%80`;
  }
}

/** Encodes a value for the URL, or (for plain ASCII, sometimes) sends it raw so the server's decoding is tested too. */
function encode(value: string, random: () => number): string {
  const rawSafe = /^[\x21-\x7e]*$/.test(value) && !/[?#&]/.test(value);
  return rawSafe && random() < 0.3 ? value : percentEncode(value);
}

function makeGenerator(random: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const randomString = () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(ALPHABET)).join('');
  const number = () => {
    const magnitude = 10 ** Math.floor(random() * 25);
    const value = (random() - 0.3) * magnitude;
    return pick([
      String(Math.trunc(value)),
      String(value),
      value.toExponential(),
      String(Math.trunc(value)) + pick(['', '.', 'e1', '%20']),
    ]);
  };
  const hostile = () => {
    const roll = random();
    if (roll < 0.5) return pick(HOSTILE);
    if (roll < 0.75) return randomString();
    return number();
  };
  return { pick, hostile };
}

/** One fuzzed request URL for a route: each path parameter valid or hostile, and a random query. */
function fuzzUrl(
  route: Route,
  generator: ReturnType<typeof makeGenerator>,
  random: () => number,
  valid: Record<string, string[]>,
): string {
  const segments = route.path.split('/').map((part) => {
    if (!part.startsWith(':')) return part;
    const choices = valid[part.slice(1)];
    return encode(choices && random() < 0.6 ? generator.pick(choices) : generator.hostile(), random);
  });
  const names = [...route.query, 'v'];
  const pairs: string[] = [];
  for (const name of names) {
    if (random() < 0.5) continue;
    const choices = valid[name];
    const value = choices && random() < 0.7 ? generator.pick(choices) : generator.hostile();
    pairs.push(`${name}=${encode(value, random)}`);
    if (random() < 0.1) pairs.push(`${name}=${encode(generator.hostile(), random)}`);
  }
  if (random() < 0.1) pairs.push(`${encode(generator.hostile(), random)}=${encode(generator.hostile(), random)}`);
  if (random() < 0.05) pairs.push(generator.pick(['&', '=', '==', 'a', '%', '&&x=1', '=1']));
  return segments.join('/') + (pairs.length > 0 || random() < 0.1 ? `?${pairs.join('&')}` : '');
}

/** Every answer is a 2xx or a 4xx with a JSON ApiError body; none carries the secret file beside the app. */
function checkAnswer(target: string, response: RawResponse): void {
  const what = `GET ${target.slice(0, 300)} -> ${response.status} ${response.body.toString('utf8', 0, 300)}`;
  assert.ok(!response.body.includes(SECRET), `${what}: leaked the secret file`);
  assert.ok(!response.body.includes('root:x:0:0'), `${what}: leaked /etc/passwd`);
  if (response.status >= 200 && response.status < 300) return;
  assert.ok(response.status >= 400 && response.status < 500, `${what}: only 4xx errors`);
  const type = String(response.headers['content-type'] ?? '');
  if (!target.startsWith('/api') && response.status === 404 && type.startsWith('text/plain')) return;
  assert.match(type, /^application\/json/, `${what}: JSON error`);
  const body = JSON.parse(response.body.toString('utf8')) as ApiError;
  assert.equal(typeof body.error, 'string', what);
  assert.ok(body.error.length > 0, `${what}: says what is wrong`);
  assert.equal(body.status, response.status, what);
}

/** Sends the targets, a few at a time. */
async function sendAll(
  targets: string[],
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const response = await rawRequest(server.url, target, options);
      checkAnswer(target, response);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

test('every parameter of every API route, fuzzed: 2xx or a 4xx JSON error, never a 5xx', async () => {
  const random = mulberry32(SEED);
  const generator = makeGenerator(random);
  const valid = validValues();
  const routes = registeredRoutes();
  assert.ok(routes.length >= 17, `${routes.length} routes registered`);
  for (const route of routes) {
    const targets = Array.from({ length: REQUESTS_PER_ROUTE }, () => fuzzUrl(route, generator, random, valid));
    // Each parameter once with every hostile value, the path's others valid.
    const parts = route.path.split('/');
    const validPath = (replace = -1, value = '') =>
      parts
        .map((p, j) => (j === replace ? percentEncode(value) : p.startsWith(':') ? (valid[p.slice(1)]?.[0] ?? '0') : p))
        .join('/');
    for (const value of HOSTILE) {
      for (const [i, part] of parts.entries()) if (part.startsWith(':')) targets.push(validPath(i, value));
      for (const name of [...route.query, 'v']) targets.push(`${validPath()}?${name}=${percentEncode(value)}`);
    }
    const statuses = await sendAll(targets);
    assert.ok(
      internalErrors.length === 0,
      `${route.path}: the server reported internal errors: ${internalErrors.map(String).join('; ')}`,
    );
    assert.ok(
      [...statuses.keys()].some((status) => status >= 400),
      `${route.path}: the fuzzing reached its checks`,
    );
  }
});

test('hostile app paths, methods and Host headers: refused or served from the app folder only', async () => {
  const paths = [
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/../../secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%252e%252e/secret.txt',
    '/..\\secret.txt',
    '/%5c..%5csecret.txt',
    '//etc/passwd',
    '/%00',
    '/index.html%00.png',
    '/assets/%00/../x',
    '/%C0%AE%C0%AE/secret.txt',
    '/.%2e/secret.txt',
    '/api/../secret.txt',
    '/api/%2e%2e/secret.txt',
    '/api',
    '/api/',
    '/api//runs',
    '/api/runs/',
    '/api/runs/%2F',
    '/api/runs/1/layers/%2F%2E%2E%2Fsecret.txt/stats',
    '/api/runs/1/layers/..%2F..%2Fsecret.txt/stats',
    '/x'.repeat(2000),
    '/%',
    '/%zz',
    '/api/%zz',
    `/api/runs/${'9'.repeat(5000)}`,
    '/api/runs?x=%00',
    '/api/info?v=%00&v=1',
    // Over the server's limit on the request head: refused by the HTTP parser, still with a JSON error.
    `/api/runs/${fixture.runId}/inputs?index=${'1,'.repeat(100_000)}1`,
  ];
  const random = mulberry32(SEED + 1);
  const generator = makeGenerator(random);
  for (let i = 0; i < 150; i++)
    paths.push(
      `/${Array.from({ length: 1 + Math.floor(random() * 4) }, () => percentEncode(generator.hostile())).join('/')}`,
    );
  await sendAll(paths);
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
    const statuses = await sendAll(['/api/info', `/api/runs/${fixture.runId}`, '/'], { method });
    assert.deepEqual([...statuses.keys()], [405], `${method} is refused`);
  }
  for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.evil.example', 'localhost.evil', '[::2]', '']) {
    const statuses = await sendAll(['/api/info'], { headers: { host } });
    assert.ok(
      [...statuses.keys()].every((status) => status === 403 || (host === '' && status === 200)),
      `Host ${JSON.stringify(host)}`,
    );
  }
  assert.deepEqual(internalErrors, []);
});

test('after the fuzzing the server still answers, and the store file is unchanged', async () => {
  const response = await fetch(`${server.url}/api/info`);
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as InfoResponse).runCount, 1);
  await server.close();
  assert.equal(await storeState(), storeBefore, 'same bytes, no new files beside the store');
});
