/** Images, errors, static files, path traversal, caching and the promise never to modify the store. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { runServeCommand } from '../../src/cli/commands/serve.js';
import { InputError } from '../../src/errors.js';
import { openDataset } from '../../src/io/datasets/open.js';
import { NapStore, type AverageImages } from '../../src/io/store/index.js';
import { type ApiError, type InfoResponse, type InputsResponse } from '../../src/results/api-types.js';
import { apiPaths } from '../../src/results/routes.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import {
  ASSET_BODY,
  buildFixture,
  getJson,
  HASHED_ASSET,
  INDEX_HTML,
  INPUT_COUNT,
  rawRequest,
  SECRET,
  type Fixture,
} from './fixture.js';

let fixture: Fixture;
let server: RunningServer;
let url: string;
let averages: AverageImages;
let storeBefore: { sha256: string; mtimeMs: number; files: string[] };

async function storeState(): Promise<typeof storeBefore> {
  const bytes = await readFile(fixture.storePath);
  const files = (await readdir(fixture.dir)).filter((name) => name.startsWith('results.duckdb')).sort();
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    mtimeMs: (await stat(fixture.storePath)).mtimeMs,
    files,
  };
}

before(async () => {
  fixture = await buildFixture('nap-server-http-');
  const store = await NapStore.open(fixture.storePath, { readOnly: true });
  try {
    averages = await store.readAverageImages(fixture.clusteringIds[0]!);
  } finally {
    await store.close();
  }
  await symlink(path.join(fixture.dir, 'secret.txt'), path.join(fixture.appDir, 'link.txt'));
  storeBefore = await storeState();
  server = await startServer({
    store: fixture.storePath,
    port: 0,
    appDir: fixture.appDir,
    thumbnailCacheDir: fixture.thumbnailDir,
  });
  url = server.url;
});

after(async () => {
  await server?.close();
  await fixture?.cleanup();
});

async function decodePng(png: Buffer): Promise<{ width: number; height: number; channels: number; data: Buffer }> {
  const { channels } = await sharp(png).metadata();
  // sharp decodes to RGB; the first channel of a gray image is its values.
  const decoder = channels === 1 ? sharp(png).extractChannel(0) : sharp(png);
  const { data, info } = await decoder.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: channels ?? 0, data };
}

test('the server listens on 127.0.0.1 unless told otherwise', () => {
  assert.equal(server.host, '127.0.0.1');
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.port > 0);
});

test('thumbnails are PNGs of the requested size with the dataset image', async () => {
  const inputs = await getJson<InputsResponse>(url, apiPaths.inputsByIndex(fixture.runId, [3]));
  const item = Number(inputs.path[0]!.split('#')[1]);
  const dataset = await openDataset('mnist');
  for (const size of [32, 64, 100]) {
    const response = await fetch(url + apiPaths.thumbnail(fixture.runId, 3, size === 64 ? undefined : size));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await response.arrayBuffer());
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const image = await decodePng(png);
    assert.deepEqual([image.width, image.height, image.channels], [size, size, 1]);
    assert.deepEqual(new Uint8Array(image.data), await dataset.pixels(item, { width: size, height: size }, 1));
  }
  const cached = (await readdir(fixture.thumbnailDir)).filter((name) => name.endsWith('.png'));
  assert.equal(cached.length, 3, 'one disk cache file per size');
});

test('a thumbnail sheet holds the inputs asked for, in that order, on the sprite grid', async () => {
  const order = [3, 0, 5];
  const inputs = await getJson<InputsResponse>(url, apiPaths.inputsByIndex(fixture.runId, order));
  const dataset = await openDataset('mnist');
  const response = await fetch(url + apiPaths.thumbnailSheet(fixture.runId, order, 32));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const sheet = await decodePng(Buffer.from(await response.arrayBuffer()));
  assert.deepEqual([sheet.width, sheet.height, sheet.channels], [3 * 32, 32, 1], 'one row of three cells');
  for (const [cell, path] of inputs.path.entries()) {
    const expected = await dataset.pixels(Number(path!.split('#')[1]), { width: 32, height: 32 }, 1);
    const pixels = new Uint8Array(32 * 32);
    for (let y = 0; y < 32; y++) pixels.set(sheet.data.subarray(y * 96 + cell * 32, y * 96 + cell * 32 + 32), y * 32);
    assert.deepEqual(pixels, expected, `cell ${cell} is input ${order[cell]}`);
  }
  // 20 inputs wrap onto a second row of the 16-column grid.
  const twenty = Array.from({ length: 20 }, (_, i) => i);
  const wide = await sharp(
    Buffer.from(await (await fetch(url + apiPaths.thumbnailSheet(fixture.runId, twenty, 16))).arrayBuffer()),
  ).metadata();
  assert.deepEqual([wide.width, wide.height], [16 * 16, 2 * 16]);
});

test('average images are the stored pixels, resized on request', async () => {
  const pixelCount = averages.width * averages.height * averages.channels;
  for (const patternId of [0, 1]) {
    const response = await fetch(url + apiPaths.averageImage(fixture.clusteringIds[0]!, patternId));
    assert.equal(response.status, 200);
    const image = await decodePng(Buffer.from(await response.arrayBuffer()));
    assert.deepEqual([image.width, image.height, image.channels], [averages.width, averages.height, averages.channels]);
    const row = averages.patternId.indexOf(patternId);
    assert.deepEqual(new Uint8Array(image.data), averages.pixels.subarray(row * pixelCount, (row + 1) * pixelCount));
  }
  const resized = await decodePng(
    Buffer.from(await (await fetch(url + apiPaths.averageImage(fixture.clusteringIds[0]!, 0, 40))).arrayBuffer()),
  );
  assert.deepEqual([resized.width, resized.height], [40, 40]);
});

const ERROR_CASES: [string, number, string][] = [
  ['/api/runs/abc', 400, '"abc"'],
  ['/api/runs/01', 400, '"01"'],
  ['/api/runs/-1', 400, '"-1"'],
  ['/api/runs/1.5', 400, '"1.5"'],
  ['/api/runs/99999999999', 400, '"99999999999"'],
  ['/api/runs/7', 404, 'run 7'],
  ['/api/runs/1/inputs?limit=abc', 400, '"abc"'],
  ['/api/runs/1/inputs?limit=0', 400, 'limit 0'],
  ['/api/runs/1/inputs?limit=200000', 400, 'limit 200000'],
  ['/api/runs/1/inputs?ofset=10', 400, '"ofset"'],
  ['/api/runs/1/inputs?offset=1&offset=2', 400, '"offset"'],
  ['/api/runs/1/inputs?index=1,x', 400, '"x"'],
  ['/api/runs/1/inputs?index=', 400, 'index'],
  ['/api/runs/1/inputs?index=1,2&limit=5', 400, 'index'],
  ['/api/runs/1/inputs?index=3,300', 404, 'input 300'],
  ['/api/runs/1/inputs/300/thumbnail.png', 404, 'input 300'],
  ['/api/runs/1/thumbnails.png', 400, 'index'],
  ['/api/runs/1/thumbnails.png?index=1,300', 404, 'input 300'],
  [`/api/runs/1/thumbnails.png?index=${Array.from({ length: 257 }, (_, i) => i).join(',')}`, 400, '257 values'],
  ['/api/runs/1/inputs/x/thumbnail.png', 400, '"x"'],
  ['/api/runs/1/inputs/3/thumbnail.png?size=8', 400, 'size 8'],
  ['/api/runs/1/inputs/3/thumbnail.png?size=64px', 400, '"64px"'],
  ['/api/runs/1/input-patterns', 400, 'index'],
  ['/api/runs/1/input-patterns?index=9999', 404, 'input 9999'],
  ['/api/runs/1/layers/nope/stats', 404, '"nope"'],
  ['/api/runs/1/layers/relu_out/max-activations?unit=2', 404, 'unit 2'],
  ['/api/runs/1/layers/relu_out/max-activations?unit=-2', 404, 'unit -2'],
  ['/api/runs/1/layers/relu_out/max-activations?unit=one', 400, '"one"'],
  ['/api/runs/1/layers/%E0%A4%A/stats', 400, '%E0%A4%A'],
  ['/api/clusterings/99', 404, 'clustering 99'],
  ['/api/clusterings/zz/patterns', 400, '"zz"'],
  ['/api/clusterings/1/patterns?examples=101', 400, 'examples 101'],
  ['/api/clusterings/1/patterns/99/members', 404, 'pattern 99'],
  ['/api/clusterings/1/patterns/-2/members', 404, 'pattern -2'],
  ['/api/clusterings/1/patterns/one/members', 400, '"one"'],
  ['/api/clusterings/1/patterns/0/members?order=random', 400, '"random"'],
  ['/api/clusterings/1/patterns/0/members?misclassified=yes', 400, '"yes"'],
  ['/api/clusterings/1/patterns/0/members?limit=10001', 400, 'limit 10001'],
  ['/api/clusterings/1/patterns/-1/average.png', 404, 'noise'],
  ['/api/clusterings/1/patterns/99/average.png', 404, 'pattern 99'],
  ['/api/clusterings/1/patterns/99/stats', 404, 'pattern 99'],
  ['/api/clusterings/1/label-counts?by=colour', 400, '"colour"'],
  ['/api/nothing/here', 404, '/api/nothing/here'],
  ['/api', 404, '/api'],
];

test('bad parameters are 400 and missing things 404, with a message naming the value and a hint', async () => {
  for (const [urlPath, status, mention] of ERROR_CASES) {
    const response = await rawRequest(url, urlPath);
    assert.equal(response.status, status, `${urlPath}: ${response.body.toString()}`);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const body = JSON.parse(response.body.toString()) as ApiError;
    assert.equal(body.status, status);
    assert.ok(body.error.includes(mention), `${urlPath}: "${body.error}" should mention ${mention}`);
    assert.ok(typeof body.hint === 'string' && body.hint.length > 0, `${urlPath} has a hint`);
  }
});

test('a missing built app gives a page that says to build it; a missing dataset a 404 naming it', async () => {
  const storePath = path.join(fixture.dir, 'lost-dataset.duckdb');
  const spec = path.join(fixture.dir, 'moved-away-images');
  const store = await NapStore.open(storePath);
  try {
    const runId = await store.createRun({
      name: 'lost',
      modelPath: 'm.onnx',
      modelSha256: 'x',
      modelLayout: 'NCHW',
      datasetSpec: spec,
      datasetFingerprint: 'f',
      extractionConfigHash: 'h',
      config: { preprocessing: { channels: 3 } },
      predictionLabels: null,
    });
    await store.appendInputs(runId, {
      index: Int32Array.of(0),
      path: [path.join(spec, 'a', '1.png')],
      label: ['a'],
      prediction: Int32Array.of(-1),
      predictionLabel: [null],
      probability: Float64Array.of(NaN),
    });
  } finally {
    await store.close();
  }
  const lost = await startServer({
    store: storePath,
    port: 0,
    appDir: path.join(fixture.dir, 'no-app'),
    thumbnailCacheDir: false,
  });
  try {
    const thumbnail = await rawRequest(lost.url, '/api/runs/1/inputs/0/thumbnail.png');
    assert.equal(thumbnail.status, 404);
    const error = JSON.parse(thumbnail.body.toString()) as ApiError;
    assert.ok(error.error.includes(`the dataset is not available at ${spec}`), error.error);
    const inputs = await getJson<InputsResponse>(lost.url, apiPaths.inputs(1));
    assert.deepEqual(inputs.probability, [null], 'NaN probability is sent as null');
    assert.deepEqual(inputs.misclassified, [false]);
    const page = await rawRequest(lost.url, '/');
    assert.equal(page.status, 503);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.ok(page.body.toString().includes('npm run build'));
  } finally {
    await lost.close();
  }
});

test('the built app: index, hashed assets, SPA routes, 404 for missing files, ETag and HEAD', async () => {
  const index = await rawRequest(url, '/');
  assert.equal(index.status, 200);
  assert.equal(index.body.toString(), INDEX_HTML);
  assert.match(String(index.headers['content-type']), /^text\/html/);
  assert.equal(index.headers['cache-control'], 'no-cache');
  const asset = await rawRequest(url, `/${HASHED_ASSET}`);
  assert.equal(asset.status, 200);
  assert.equal(asset.body.toString(), ASSET_BODY);
  assert.match(String(asset.headers['content-type']), /^text\/javascript/);
  assert.match(String(asset.headers['cache-control']), /immutable/);
  for (const route of ['/patterns', '/layers/3/compare', '/index.html']) {
    const page = await rawRequest(url, `${route}?x=1`);
    assert.equal(page.status, 200, route);
    assert.equal(page.body.toString(), INDEX_HTML, route);
  }
  assert.equal((await rawRequest(url, '/assets/missing-12345678.js')).status, 404);
  const revalidated = await rawRequest(url, '/', { headers: { 'If-None-Match': String(index.headers.etag) } });
  assert.equal(revalidated.status, 304);
  const head = await rawRequest(url, `/${HASHED_ASSET}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(ASSET_BODY.length));
  assert.equal(head.body.length, 0);
});

test('path traversal never reaches a file outside the app folder', async () => {
  const attempts = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/.%2E/secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%2Fsecret.txt',
    '/assets%2F..%2F..%2Fsecret.txt',
    '/..%5Csecret.txt',
    '/..\\secret.txt',
    '/%00',
    '/secret.txt%00.html',
    '/%252e%252e/secret.txt',
    `/${fixture.dir}/secret.txt`,
    `${fixture.dir}/secret.txt`.replace(/^\/+/, '//'),
    `http://127.0.0.1/../secret.txt`,
    '/link.txt',
    `/api/runs/1/layers/..%2F..%2Fsecret.txt/stats`,
    '/api/../secret.txt',
    '/api/%2e%2e/secret.txt',
  ];
  for (const attempt of attempts) {
    const response = await rawRequest(url, attempt);
    assert.ok(!response.body.toString().includes(SECRET), `${attempt} leaked the secret`);
    assert.ok(
      [400, 404].includes(response.status) || response.body.toString() === INDEX_HTML,
      `${attempt}: ${response.status}`,
    );
  }
  const dotted = await rawRequest(url, '/%2e%2e/secret.txt');
  assert.equal(dotted.status, 400);
  assert.ok((JSON.parse(dotted.body.toString()) as ApiError).error.includes('dot segment'));
});

test('only GET and HEAD; only requests addressed to this host', async () => {
  const post = await rawRequest(url, '/api/runs', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  const rebound = await rawRequest(url, '/api/runs', { headers: { Host: 'attacker.example:8765' } });
  assert.equal(rebound.status, 403);
  assert.ok(!rebound.body.toString().includes('runs":'));
  const local = await rawRequest(url, '/api/info', { headers: { Host: `localhost:${server.port}` } });
  assert.equal(local.status, 200);
  // HTTP/1.0 lets a request name no host; it is refused as a wrong host is.
  for (const head of ['GET /api/runs HTTP/1.0\r\n\r\n', 'GET /api/runs HTTP/1.0\r\nHost: \r\n\r\n']) {
    const answer = await rawSocketRequest(server.port, head);
    assert.match(answer, /^HTTP\/1\.[01] 403 /, answer);
    assert.ok(!answer.includes('runs":'), 'no data without a host');
  }
  const noHost11 = await rawSocketRequest(server.port, 'GET /api/runs HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(noHost11, /^HTTP\/1\.1 400 /);
});

/** The whole answer to a request written byte for byte on a TCP socket (no Host header added). */
function rawSocketRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('API caching: ETag is the store version, 304 on revalidation, immutable with ?v=', async () => {
  const info = await getJson<InfoResponse>(url, apiPaths.info());
  const runs = await rawRequest(url, apiPaths.runs());
  assert.equal(runs.headers.etag, `"${info.storeVersion}"`);
  assert.equal(runs.headers['cache-control'], 'no-cache');
  const again = await rawRequest(url, apiPaths.runs(), { headers: { 'If-None-Match': `"${info.storeVersion}"` } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const pinned = await rawRequest(url, apiPaths.thumbnail(fixture.runId, 0, 32, info.storeVersion));
  assert.equal(pinned.status, 200);
  assert.match(String(pinned.headers['cache-control']), /max-age=31536000, immutable/);
  const stale = await rawRequest(url, apiPaths.thumbnail(fixture.runId, 0, 32, 'old'));
  assert.equal(stale.headers['cache-control'], 'no-cache');
});

test('JSON is gzip-compressed when accepted', async () => {
  const zipped = await rawRequest(url, apiPaths.memberships(fixture.clusteringIds[0]!), {
    headers: { 'Accept-Encoding': 'gzip, br' },
  });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  const body = JSON.parse(gunzipSync(zipped.body).toString()) as { inputIndex: number[] };
  assert.equal(body.inputIndex.length, INPUT_COUNT);
  const plain = await rawRequest(url, apiPaths.memberships(fixture.clusteringIds[0]!));
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(JSON.parse(plain.body.toString()), body);
});

test('nap serve prints its 127.0.0.1 address (with --layer, the layer view to start at), serves until aborted and refuses a bad port', async () => {
  const copy = path.join(fixture.dir, 'results-copy.duckdb');
  await copyFile(fixture.storePath, copy);
  const printed: string[] = [];
  const log = console.log;
  const controller = new AbortController();
  console.log = (...args: unknown[]) => printed.push(args.join(' '));
  let exit: Promise<number>;
  try {
    exit = runServeCommand(
      [copy, '--port', '0', '--app-dir', fixture.appDir, '--no-disk-cache', '--run', '1', '--layer', 'a/b c'],
      controller.signal,
    );
    for (let i = 0; i < 200 && !printed.some((line) => line.includes('http://')); i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    console.log = log;
  }
  const address = /http:\/\/127\.0\.0\.1:\d+/.exec(printed.join('\n'))?.[0];
  assert.ok(address, `printed: ${printed.join(' | ')}`);
  assert.ok(
    printed.some((line) => line.startsWith(`Open ${address}/?run=1&layer=a%2Fb%20c&tree=1 :`)),
    `the start view printed: ${printed.join(' | ')}`,
  );
  const info = await getJson<InfoResponse>(address, apiPaths.info());
  assert.equal(info.store, 'results-copy.duckdb');
  controller.abort();
  assert.equal(await exit, 0);
  await assert.rejects(fetch(`${address}/api/info`));
  await assert.rejects(runServeCommand([copy, '--port', '80a'], controller.signal), InputError);
  await assert.rejects(runServeCommand([], controller.signal), InputError);
  await assert.rejects(runServeCommand([copy, '--run', '1'], controller.signal), /--run 1 names the run of --layer/);
});

test('thumbnails come back from the disk cache after a restart, and the store file is never modified', async () => {
  await server.close();
  const [file] = (await readdir(fixture.thumbnailDir)).filter((name) => name.endsWith('.png'));
  const marker = await sharp({ create: { width: 5, height: 5, channels: 3, background: '#f00' } })
    .png()
    .toBuffer();
  const cachedFiles = await readdir(fixture.thumbnailDir);
  for (const name of cachedFiles) await writeFile(path.join(fixture.thumbnailDir, name), marker);
  assert.ok(file);
  const restarted = await startServer({
    store: fixture.storePath,
    port: 0,
    appDir: fixture.appDir,
    thumbnailCacheDir: fixture.thumbnailDir,
    imageCacheBytes: 0,
  });
  try {
    const png = Buffer.from(
      await (await fetch(restarted.url + apiPaths.thumbnail(fixture.runId, 3, 32))).arrayBuffer(),
    );
    assert.deepEqual(png, marker, 'served from the disk cache, not decoded again');
  } finally {
    await restarted.close();
  }
  assert.deepEqual(await storeState(), storeBefore);
});
