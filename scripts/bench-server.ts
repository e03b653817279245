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
 *     [--warmup 0]
 *
 * --store serves an existing store instead of building one (its newest complete run is loaded): e.g. the
 * 10,000 digits of `nap demo`, or all 70,000 Fashion-MNIST images (node build/scripts/bench/fashion-mnist-all.js
 * writes them as one IDX file; nap analyze --model models/fashion-mnist-cnn.onnx --data <that file>).
 * --warmup S first loads the server for S seconds, unreported, so that the figures are of a warm server
 * (datasets opened, summaries and images cached); by default the cold start is part of the figures.
 * --cli FILE serves with another build of nap (its build/src/cli/main.js), e.g. an earlier commit's, for
 * a before/after comparison on the same machine.
 *
 * Measured on the 10,000 digits of nap demo and on all 70,000 Fashion-MNIST images, see the README.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyze } from '../src/engine/analyze.js';
import { mulberry32 } from '../src/io/datasets/sample.js';
import { type InfoResponse, type RunsResponse } from '../src/results/api-types.js';
import { ARROW_MIME } from '../src/results/codec/arrow.js';
import { apiPaths } from '../src/results/routes.js';
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

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
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
  },
});
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
 * tables (inputs, memberships, map) once per layer visited.
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
    for (let p = -1; p < c.patternCount; p++) {
      const order = p % 2 ? 'most-stable' : 'outlier';
      add('members', apiPaths.members(c.clusteringId, p, { offset: 0, limit: 240, order }));
      add('pattern stats', apiPaths.patternStats(c.clusteringId, p));
      add('lineage', apiPaths.lineage(runId, layer.layer, p));
      if (p >= 0) {
        add('heatmaps', apiPaths.heatmaps(c.clusteringId, p));
        add('average image', apiPaths.averageImage(c.clusteringId, p, 128, storeVersion));
      }
    }
  }
  for (let i = 0; i < run.inputCount; i++) add('thumbnail', apiPaths.thumbnail(runId, i, 64, storeVersion));
  return { targets, weights: MIX };
}

/** A seeded picker: first a kind by weight, then a target of that kind uniformly. */
function picker(targets: Target[], weights: ReadonlyMap<string, number>, seed: number): () => Target {
  const random = mulberry32(seed);
  const byKind = new Map<string, Target[]>();
  for (const target of targets) byKind.set(target.kind, [...(byKind.get(target.kind) ?? []), target]);
  const kinds = [...weights].filter(([kind]) => byKind.has(kind));
  const totalWeight = kinds.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let r = random() * totalWeight;
    const [kind] = kinds.find(([, w]) => (r -= w) < 0) ?? kinds[kinds.length - 1]!;
    const list = byKind.get(kind)!;
    return list[Math.floor(random() * list.length)]!;
  };
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
  const server = await startServe(store);
  try {
    const { targets, weights } = await requestMix(server.url);
    const pick = picker(targets, weights, Number(args.seed));
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
    const result = await load(duration);
    const loadAfter = os.loadavg();
    const serverPeak = await peakRssMb(server.pid);
    console.log(
      '\n' +
        formatTable([
          ['route kind', 'responses', 'status codes', 'p50 ms', 'p99 ms', 'max ms'],
          ...[...perKind].map(([kind, counts]) => {
            const times = Float64Array.from(latencies.get(kind) ?? []).sort();
            const at = (q: number) => fixed(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN, 0);
            return [
              kind,
              String([...counts.values()].reduce((a, b) => a + b, 0)),
              [...counts].map(([s, n]) => `${s}: ${n}`).join(', '),
              at(0.5),
              at(0.99),
              fixed(times[times.length - 1] ?? NaN, 0),
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
    console.log(`throughput: ${fixed(result.throughput.average / 1024 / 1024)} MB/s`);
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
      result.latency.p99 <= 500;
    console.log(`bar: zero errors, zero timeouts, zero non-2xx, p99 <= 500 ms: ${pass ? 'PASS' : 'FAIL'}`);
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
