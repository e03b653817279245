/**
 * Bytes on the wire for a layer's map view: the layer's projection and its clustering's memberships as
 * the app used to fetch them (JSON) and as it fetches them now (Arrow streams), both from the same
 * `nap serve` (startServer) in this run, gzip accepted as a browser does. Prints the bytes of each, the
 * ratio now / before (the bar: <= 1/3), and how long decoding takes in this process.
 *
 *   node build/scripts/bench-wire.js --store results.duckdb [--run 1] [--layer NAME]
 *     default run: the newest; default layer: the run's last layer with a projection
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { MembershipsResponse, ProjectionResponse, RunsResponse } from '../src/results/api-types.js';
import { ARROW_MIME } from '../src/results/codec/arrow.js';
import { decodeTable } from '../src/results/codec/arrow-decode.js';
import { WIRE_TABLES } from '../src/results/codec/tables.js';
import { apiPaths } from '../src/results/routes.js';
import { startServer } from '../src/server/index.js';
import { fixed, formatTable } from './bench/timing.js';

interface Fetched {
  /** Bytes as sent (compressed when the server compressed them). */
  wire: number;
  /** Bytes after decompression. */
  body: Buffer;
  encoding: string;
}

/** GET with the headers a browser sends; the body as it came over the socket and decompressed. */
function get(url: string, accept: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: accept, 'Accept-Encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode} ${raw.toString('utf8')}`));
        const encoding = res.headers['content-encoding'] ?? 'identity';
        resolve({ wire: raw.length, body: encoding === 'gzip' ? gunzipSync(raw) : raw, encoding });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function time<T>(work: () => T, repeats = 5): { value: T; ms: number } {
  let value = work();
  const started = performance.now();
  for (let i = 0; i < repeats; i++) value = work();
  return { value, ms: (performance.now() - started) / repeats };
}

const { values } = parseArgs({
  options: { store: { type: 'string' }, run: { type: 'string' }, layer: { type: 'string' } },
});
if (values.store === undefined) throw new Error('pass --store <results.duckdb>');
const server = await startServer({ store: values.store, port: 0, appDir: '/nonexistent', thumbnailCacheDir: false });
try {
  const runsBody = await get(server.url + apiPaths.runs(), 'application/json');
  const { runs } = JSON.parse(runsBody.body.toString('utf8')) as RunsResponse;
  const run = values.run === undefined ? runs.at(-1) : runs.find((r) => r.runId === Number(values.run));
  if (run === undefined) throw new Error(`no run ${values.run ?? ''} in ${values.store}`);
  const layer =
    values.layer === undefined
      ? run.layers.filter((l) => l.projection !== null).at(-1)
      : run.layers.find((l) => l.layer === values.layer);
  if (layer === undefined) throw new Error(`no layer with a projection in run ${run.runId}`);
  const clustering = layer.clusterings.filter((c) => c.unit === null).at(-1);
  if (clustering === undefined) throw new Error(`layer ${layer.layer} has no clustering`);
  const routes = {
    map: apiPaths.projection(run.runId, layer.layer),
    memberships: apiPaths.memberships(clustering.clusteringId),
  };
  const json = {
    map: await get(server.url + routes.map, 'application/json'),
    memberships: await get(server.url + routes.memberships, 'application/json'),
  };
  const arrow = {
    map: await get(server.url + routes.map, ARROW_MIME),
    memberships: await get(server.url + routes.memberships, ARROW_MIME),
  };
  const decodeJson = {
    map: time(() => JSON.parse(json.map.body.toString('utf8')) as ProjectionResponse),
    memberships: time(() => JSON.parse(json.memberships.body.toString('utf8')) as MembershipsResponse),
  };
  const decodeArrow = {
    map: time(() => decodeTable(WIRE_TABLES.projection, arrow.map.body)),
    memberships: time(() => decodeTable(WIRE_TABLES.memberships, arrow.memberships.body)),
  };
  const points = decodeArrow.map.value.inputIndex.length;
  if (points !== decodeJson.map.value.inputIndex.length) throw new Error('the JSON and Arrow maps differ in length');
  console.log(
    `run ${run.runId} (${run.name}), layer ${layer.layer}: ${points} points, clustering ${clustering.clusteringId}`,
  );
  const kb = (bytes: number) => `${fixed(bytes / 1024, 0)} KiB`;
  const rows = (['map', 'memberships'] as const).map((part) => [
    part,
    `${kb(json[part].wire)} (${json[part].encoding}; ${kb(json[part].body.length)} raw)`,
    `${kb(arrow[part].wire)} (${arrow[part].encoding}; ${kb(arrow[part].body.length)} raw)`,
    `${fixed(arrow[part].wire / json[part].wire, 3)}`,
    `${fixed(decodeJson[part].ms, 1)} / ${fixed(decodeArrow[part].ms, 1)} ms`,
  ]);
  const before = json.map.wire + json.memberships.wire;
  const after = arrow.map.wire + arrow.memberships.wire;
  rows.push(['map + memberships', kb(before), kb(after), fixed(after / before, 3), '']);
  console.log(formatTable([['', 'before: JSON', 'now: Arrow', 'now / before', 'decode JSON / Arrow'], ...rows]));
  const pass = after <= before / 3;
  console.log(`bar: Arrow bytes <= 1/3 of the JSON bytes: ${pass ? 'PASS' : 'FAIL'} (${fixed(after / before, 3)})`);
  if (!pass) process.exitCode = 1;
} finally {
  await server.close();
}
