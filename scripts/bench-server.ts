/**
 * `nap serve` under load: a real store (analyze of models/mnist-cnn.onnx over --inputs MNIST digits, default
 * layers) served by the CLI in a child process on 127.0.0.1, and autocannon with --connections concurrent
 * connections for --duration seconds on the app's request mix: what the views ask for as a user moves
 * through them (MIX below: thumbnails most of all, average images, member pages, pattern lists and
 * statistics, label counts, lineages, heatmap lists, flows, and the bulk tables as Arrow streams,
 * as the app asks for them), each request a random pick (seeded) from that mix. Prints requests/s,
 * latency percentiles, errors, timeouts, non-2xx answers and latency per kind of route, the server's
 * internal errors, its peak RSS and the machine's load average. The bar: zero errors, zero timeouts,
 * zero non-2xx, p99 <= 500 ms.
 *
 *   node build/scripts/bench-server.js [--inputs 2000] [--connections 100] [--duration 30] [--seed 1] [--store s.duckdb]
 *     [--warmup 0] [--cli FILE] [--keep-bodies]
 *
 * --store serves an existing store instead of building one (its newest complete run is loaded): e.g. the
 * 10,000 digits of `nap demo`, a million synthetic inputs (node build/scripts/synth-store.js --out
 * /tmp/nap-1m.duckdb, about 90 s), or all 70,000 Fashion-MNIST images (node build/scripts/bench/fashion-mnist-all.js
 * writes them as one IDX file; nap analyze --model models/fashion-mnist-cnn.onnx --data <that file>).
 * --warmup S first loads the server for S seconds, unreported, so that the figures are of a warm server
 * (datasets opened, summaries and images cached); by default the cold start is part of the figures.
 * Before any load, one request of each route kind is made alone and timed twice (its first, cold answer
 * and the same URL again), and the time `nap serve` took to listen is printed: what a user's first
 * click on each view costs. The bar is checked per route kind (each one's p99) and over all requests.
 * --cli FILE serves with another build of nap (its build/src/cli/main.js), e.g. an earlier commit's, for
 * a before/after comparison on the same machine. --keep-bodies lets autocannon keep each body as a string,
 * as it does by default and as this bench did before 7 Dec 2026 (see bodiesQueue below).
 *
 * Measured on the 10,000 digits of nap demo and on all 70,000 Fashion-MNIST images, see the README.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyze } from '../src/engine/analyze.js';
import { mulberry32 } from '../src/io/datasets/sample.js';
import { type InfoResponse, type PatternsResponse, type RunsResponse } from '../src/results/api-types.js';
import { ARROW_MIME } from '../src/results/codec/arrow.js';
import { apiPaths } from '../src/results/routes.js';
import { SHEET_CELLS } from '../src/results/sprites.js';
import { fixed, formatTable } from './bench/timing.js';

/** The part of autocannon's API used here (the package ships no types). */
interface Histogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  throughput: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  setupRequest: (
    request: { path?: string; headers?: Record<string, string> },
    context: Record<string, unknown>,
  ) => { path?: string; headers?: Record<string, string> };
  onResponse: (status: number, body: string, context: Record<string, unknown>) => void;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  headers: Record<string, string>;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;
/**
 * autocannon keeps every response body as a string (each chunk through Buffer.toString) for checks this
 * bench does not make: on the million-input store that decoding and its garbage took about 80% of the
 * client's CPU, which shares the machine's 2 cores with the server, and in a closed loop of 50
 * connections slowed every answer by the client's turn, not the server's. A browser keeps the bytes. So
 * the bench keeps none (autocannon still counts them); --keep-bodies restores autocannon's default.
 */
const bodiesQueue = require('autocannon/lib/pipelinedRequestsQueue.js') as { prototype: { addBody: unknown } };
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const MODEL = fileURLToPath(new URL('../../models/mnist-cnn.onnx', import.meta.url));

const { values: args } = parseArgs({
  options: {
    inputs: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    store: { type: 'string' },
    warmup: { type: 'string', default: '0' },
    cli: { type: 'string' },
    'keep-bodies': { type: 'boolean', default: false },
  },
});
if (!args['keep-bodies']) bodiesQueue.prototype.addBody = () => undefined;
const inputs = Number(args.inputs);
const connections = Number(args.connections);
const duration = Number(args.duration);
const warmup = Number(args.warmup);
if (!Number.isInteger(warmup) || warmup < 0)
  throw new Error(`--warmup ${args.warmup} is not a whole number of seconds`);
for (const [name, value] of [
  ['inputs', inputs],
  ['connections', connections],
  ['duration', duration],
] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} ${value} is not a positive whole number`);
}

interface Target {
  kind: string;
  path: string;
  /** Arrow for the bulk tables, as the app asks for them. */
  arrow?: boolean;
}

/**
 * Requests per kind as the app makes them, per 100: a layer's cards (pattern list, label counts, ~20
 * average images, ~40 thumbnails), a pattern page (statistics of the pattern and the layer, heatmap list,
 * member pages of 240, ~100 thumbnails), lineage on every pattern click in the flow view, and the whole-run
 * tables (inputs, memberships, map) once per layer visited. Then the routes of the other views, each at a
 * weight of 1 or less: gallery sheets and member pages deep into big patterns, the input pages a big run's
 * inputs table arrives in, a map click's input patterns, search, the hierarchy, coverage, near members,
 * max activations and model errors.
 */
const MIX: ReadonlyMap<string, number> = new Map([
  ['thumbnail', 48],
  ['average image', 8],
  ['members', 8],
  ['patterns', 4],
  ['pattern stats', 4],
  ['label counts', 4],
  ['lineage', 4],
  ['heatmaps', 4],
  ['layer stats', 2],
  ['memberships (Arrow)', 2],
  ['inputs (Arrow)', 1],
  ['map (Arrow)', 1],
  ['flow graph', 1],
  ['layer flow', 1],
  ['thumbnail sheet', 1],
  ['members deep', 1],
  ['input page (Arrow)', 1],
  ['input patterns', 1],
  ['search', 1],
  ['tree', 0.5],
  ['coverage', 0.5],
  ['near members', 0.5],
  ['max activations', 0.5],
  ['model errors', 0.5],
]);

/** Every URL of the mix for the store's newest complete run. */
async function requestMix(url: string): Promise<{ targets: Target[]; weights: ReadonlyMap<string, number> }> {
  const get = async <T>(route: string): Promise<T> => {
    const response = await fetch(url + route);
    if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const { storeVersion } = await get<InfoResponse>(apiPaths.info());
  const { runs } = await get<RunsResponse>(apiPaths.runs());
  const run = runs.find((r) => r.status === 'complete');
  if (!run) throw new Error('the store holds no complete run');
  const runId = run.runId;
  const targets: Target[] = [];
  const add = (kind: string, path: string, arrow = false) => targets.push({ kind, path, arrow });
  const layers = run.layers.filter((layer) => layer.clusterings.some((c) => c.unit === null));
  add('inputs (Arrow)', apiPaths.inputs(runId, { offset: 0, limit: 100_000 }), true);
  add('flow graph', apiPaths.flowGraph(runId));
  for (const layer of layers) {
    const c = layer.clusterings.filter((clustering) => clustering.unit === null).at(-1)!;
    add('patterns', apiPaths.patterns(c.clusteringId, 6));
    add('label counts', apiPaths.labelCounts(c.clusteringId, 'label'));
    add('label counts', apiPaths.labelCounts(c.clusteringId, 'prediction'));
    add('layer stats', apiPaths.layerStats(runId, layer.layer));
    add('memberships (Arrow)', apiPaths.memberships(c.clusteringId), true);
    if (layer.projection !== null) add('map (Arrow)', apiPaths.projection(runId, layer.layer), true);
    for (const other of layers)
      if (other !== layer) add('layer flow', apiPaths.layerFlow(runId, layer.layer, other.layer));
    add('tree', apiPaths.tree(c.clusteringId));
    add('coverage', apiPaths.coverage(c.clusteringId));
    add('max activations', apiPaths.maxActivations(runId, layer.layer));
    for (let p = -1; p < c.patternCount; p++) {
      const order = p % 2 ? 'most-stable' : 'outlier';
      add('members', apiPaths.members(c.clusteringId, p, { offset: 0, limit: 240, order }));
      add('pattern stats', apiPaths.patternStats(c.clusteringId, p));
      add('lineage', apiPaths.lineage(runId, layer.layer, p));
      if (p >= 0) {
        add('heatmaps', apiPaths.heatmaps(c.clusteringId, p));
        add('average image', apiPaths.averageImage(c.clusteringId, p, 128, storeVersion));
        add('near members', apiPaths.nearMembers(c.clusteringId, p));
      }
    }
    // Member pages further down the biggest patterns (a gallery scrolled), 240 a page.
    const { patterns } = await get<PatternsResponse>(apiPaths.patterns(c.clusteringId, 0));
    for (const pattern of [...patterns].sort((a, b) => b.size - a.size).slice(0, 5))
      for (let offset = 240; offset < pattern.size && offset < 240 * 50; offset += 240 * 7)
        add('members deep', apiPaths.members(c.clusteringId, pattern.patternId, { offset, limit: 240 }));
  }
  add('model errors', apiPaths.modelErrors(runId), true);
  const random = mulberry32(7);
  const someInputs = (n: number) => Array.from({ length: n }, () => Math.floor(random() * run.inputCount));
  for (let offset = 0; offset < run.inputCount; offset += 100_000)
    add('input page (Arrow)', apiPaths.inputs(runId, { offset, limit: 100_000 }), true);
  for (let i = 0; i < 200; i++) {
    add('input patterns', apiPaths.inputPatterns(runId, someInputs(1)));
    const start = Math.floor(random() * Math.max(1, run.inputCount - SHEET_CELLS));
    const sheet = Array.from({ length: Math.min(SHEET_CELLS, run.inputCount) }, (_, k) => start + k);
    add('thumbnail sheet', apiPaths.thumbnailSheet(runId, sheet, 64, storeVersion));
  }
  for (const label of run.labels ?? []) add('search', apiPaths.search(runId, `label:${label}`));
  for (let i = 0; i < run.inputCount; i++) add('thumbnail', apiPaths.thumbnail(runId, i, 64, storeVersion));
  return { targets, weights: MIX };
}

/** A seeded picker: first a kind by weight, then a target of that kind uniformly. */
function picker(targets: Target[], weights: ReadonlyMap<string, number>, seed: number): () => Target {
  const random = mulberry32(seed);
  const byKind = new Map<string, Target[]>();
  for (const target of targets) {
    const list = byKind.get(target.kind);
    if (list) list.push(target);
    else byKind.set(target.kind, [target]);
  }
  const kinds = [...weights].filter(([kind]) => byKind.has(kind));
  const totalWeight = kinds.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let r = random() * totalWeight;
    const [kind] = kinds.find(([, w]) => (r -= w) < 0) ?? kinds[kinds.length - 1]!;
    const list = byKind.get(kind)!;
    return list[Math.floor(random() * list.length)]!;
  };
}

/** GET `path` on a new connection, as autocannon does: the body as sent (gzip not undone), timed to its end. */
function timedGet(url: string, path: string, arrow: boolean): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const headers: Record<string, string> = { 'accept-encoding': 'gzip', connection: 'close' };
  if (arrow) headers.accept = ARROW_MIME;
  return new Promise((resolve, reject) => {
    get(url + path, { headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${path}: ${response.statusCode}`));
        else resolve({ ms: performance.now() - started, bytes });
      });
      response.on('error', reject);
    }).on('error', reject);
  });
}

/**
 * One URL of each kind (the middle one of the mix's list: not the first input page, which the server
 * encodes before it listens), each asked alone twice: cold (first request for it)
 * and again; milliseconds to the whole body, and its size on the wire.
 */
async function coldRequests(url: string, targets: Target[]): Promise<string[][]> {
  const rows: string[][] = [];
  for (const kind of MIX.keys()) {
    const ofKind = targets.filter((t) => t.kind === kind);
    const target = ofKind[Math.floor(ofKind.length / 2)];
    if (target === undefined) continue;
    const cold = await timedGet(url, target.path, target.arrow === true);
    const again = await timedGet(url, target.path, target.arrow === true);
    rows.push([kind, fixed(cold.ms, 0), fixed(again.ms, 0), fixed(cold.bytes / 1024, 0)]);
  }
  return rows;
}

/** Starts `nap serve` on a free port; resolves with its URL once it listens. */
function startServe(
  store: string,
): Promise<{ url: string; pid: number; stderr: () => string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [args.cli ?? CLI, 'serve', store, '--port', '0', '--host', '127.0.0.1', '--no-disk-cache'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    const stopChild = (): Promise<void> => {
      child.kill('SIGINT');
      return exited;
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
      if (match) resolve({ url: match[1]!, pid: child.pid!, stderr: () => stderr, stop: () => stopChild() });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`nap serve exited (${code}) before listening: ${stderr}`)));
  });
}

/** CPU seconds (user + system) the process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), counted from the state (field 3) here.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'nap-bench-server-'));
try {
  let store = args.store;
  if (store === undefined) {
    store = path.join(dir, 'results.duckdb');
    const started = performance.now();
    const result = await analyze({ model: MODEL, data: 'mnist', limit: inputs, out: store });
    console.log(
      `store: ${inputs} MNIST inputs, ${result.layers.map((l) => `${l.layer} ${l.patterns}`).join(', ')} patterns (${fixed((performance.now() - started) / 1000)} s)`,
    );
  }
  const starting = performance.now();
  const server = await startServe(store);
  try {
    console.log(`nap serve listened after ${fixed((performance.now() - starting) / 1000)} s`);
    const { targets, weights } = await requestMix(server.url);
    const pick = picker(targets, weights, Number(args.seed));
    console.log(
      '\nfirst request of each route kind, alone (cold), then the same URL again (KiB: gzipped as sent):\n' +
        formatTable([['route kind', 'cold ms', 'again ms', 'KiB'], ...(await coldRequests(server.url, targets))]),
    );
    const perKind = new Map<string, Map<number, number>>();
    const latencies = new Map<string, number[]>();
    console.log(
      `${connections} connections for ${duration} s against ${server.url}: ${targets.length} distinct URLs, mix ${[...weights].map(([k, w]) => `${w} ${k}`).join(' : ')}`,
    );
    const load = (seconds: number) =>
      autocannon({
        url: server.url,
        connections,
        duration: seconds,
        timeout: 10,
        headers: { 'accept-encoding': 'gzip' },
        requests: [
          {
            setupRequest: (request, context) => {
              const target = pick();
              context.kind = target.kind;
              context.started = performance.now();
              const headers = target.arrow ? { ...request.headers, accept: ARROW_MIME } : request.headers;
              return { ...request, path: target.path, ...(headers ? { headers } : {}) };
            },
            onResponse: (status, _body, context) => {
              const kind = context.kind as string;
              const counts = perKind.get(kind) ?? new Map<number, number>();
              counts.set(status, (counts.get(status) ?? 0) + 1);
              perKind.set(kind, counts);
              const times = latencies.get(kind) ?? [];
              times.push(performance.now() - (context.started as number));
              latencies.set(kind, times);
            },
          },
        ],
      });
    if (warmup > 0) {
      const warm = await load(warmup);
      console.log(
        `warm-up: ${warm.requests.total} requests in ${fixed(warm.duration)} s, errors ${warm.errors}, non-2xx ${warm.non2xx} (not in the figures below)`,
      );
      if (warm.errors > 0 || warm.non2xx > 0) process.exitCode = 1;
      perKind.clear();
      latencies.clear();
    }
    const loadBefore = os.loadavg();
    const cpuBefore = await cpuSeconds(server.pid);
    const clientBefore = process.cpuUsage();
    const result = await load(duration);
    const serverCpu = (await cpuSeconds(server.pid)) - cpuBefore;
    const clientUsage = process.cpuUsage(clientBefore);
    const clientCpu = (clientUsage.user + clientUsage.system) / 1e6;
    const loadAfter = os.loadavg();
    const serverPeak = await peakRssMb(server.pid);
    const slowKinds: string[] = [];
    console.log(
      '\n' +
        formatTable([
          ['route kind', 'responses', 'status codes', 'p50 ms', 'p99 ms', 'max ms'],
          ...[...weights.keys()].flatMap((kind) => {
            const counts = perKind.get(kind);
            if (counts === undefined) return [];
            const times = Float64Array.from(latencies.get(kind) ?? []).sort();
            const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
            if (!(at(0.99) <= 500)) slowKinds.push(kind);
            return [
              [
                kind,
                String([...counts.values()].reduce((a, b) => a + b, 0)),
                [...counts].map(([s, n]) => `${s}: ${n}`).join(', '),
                fixed(at(0.5), 0),
                fixed(at(0.99), 0),
                fixed(times[times.length - 1] ?? NaN, 0),
              ],
            ];
          }),
        ]),
    );
    const internalErrors = (server.stderr().match(/internal error/g) ?? []).length;
    console.log(
      `\nrequests: ${result.requests.total} in ${fixed(result.duration)} s = ${fixed(result.requests.average, 0)} requests/s (p50 of per-second counts ${result.requests.p50})`,
    );
    console.log(
      `latency ms: average ${fixed(result.latency.average)}, p50 ${result.latency.p50}, p90 ${result.latency.p90}, p99 ${result.latency.p99}, max ${result.latency.max}`,
    );
    console.log(
      `throughput: ${fixed(result.throughput.average / 1024 / 1024)} MB/s, ${fixed(result.throughput.average / 1024 / Math.max(1, result.requests.average), 0)} KiB per response as sent`,
    );
    console.log(
      `server CPU: ${fixed(serverCpu)} s in ${fixed(result.duration)} s wall (${fixed(serverCpu / result.duration, 2)} cores busy), ${fixed((1000 * serverCpu) / Math.max(1, result.requests.total), 1)} ms per request (less bound to the machine's load than the latencies)`,
    );
    console.log(
      `client CPU (autocannon and this script, one thread, bodies ${args['keep-bodies'] ? 'kept as strings' : 'not kept'}): ${fixed(clientCpu)} s (${fixed(clientCpu / result.duration, 2)} cores busy), ${fixed((1000 * clientCpu) / Math.max(1, result.requests.total), 1)} ms per request`,
    );
    console.log(
      `errors ${result.errors} (timeouts ${result.timeouts}), non-2xx ${result.non2xx}, server internal errors ${internalErrors}, server peak RSS ${fixed(serverPeak, 0)} MB`,
    );
    console.log(
      `load average (1, 5, 15 min) before: ${loadBefore.map((v) => fixed(v, 2)).join(', ')}; after: ${loadAfter.map((v) => fixed(v, 2)).join(', ')} (${os.cpus().length} cores)`,
    );
    const pass =
      result.errors === 0 &&
      result.timeouts === 0 &&
      result.non2xx === 0 &&
      internalErrors === 0 &&
      result.latency.p99 <= 500 &&
      slowKinds.length === 0;
    console.log(
      `bar: zero errors, zero timeouts, zero non-2xx, p99 <= 500 ms overall and per route kind: ${pass ? 'PASS' : `FAIL${slowKinds.length > 0 ? ` (p99 over 500 ms: ${slowKinds.join(', ')})` : ''}`}`,
    );
    if (!pass) {
      console.log(server.stderr().slice(0, 4000));
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
