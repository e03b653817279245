/**
 * `nap serve` under load: a real store (analyze of models/mnist-cnn.onnx over --inputs MNIST digits, default
 * layers) served by the CLI in a child process on 127.0.0.1, and autocannon with --connections concurrent
 * connections for --duration seconds on what the app asks for when it shows patterns: pattern lists,
 * member galleries, pattern statistics, average images and (most of all) thumbnails, each request a random
 * pick (seeded) from that mix. Prints requests/s, latency percentiles, errors, timeouts, non-2xx answers
 * (per kind of route), the server's internal errors and its peak RSS. The bar: zero errors, zero non-2xx.
 *
 *   node build/scripts/bench-server.js [--inputs 2000] [--connections 100] [--duration 30] [--seed 1] [--store s.duckdb]
 *     [--warmup 0]
 *
 * --store serves an existing store instead of building one (it must hold at least one complete run).
 * --warmup S first loads the server for S seconds, unreported, so that the figures are of a warm server
 * (datasets opened, summaries and images cached); by default the cold start is part of the figures.
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
  setupRequest: (request: { path?: string }, context: Record<string, unknown>) => { path?: string };
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
}

/** The request mix: per pattern card a summary list, a gallery page, statistics, the average image and 12 thumbnails. */
async function requestMix(url: string): Promise<{ targets: Target[]; weights: Map<string, number> }> {
  const get = async <T>(route: string): Promise<T> => {
    const response = await fetch(url + route);
    if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const { storeVersion } = await get<InfoResponse>(apiPaths.info());
  const { runs } = await get<RunsResponse>(apiPaths.runs());
  const run = runs.find((r) => r.status === 'complete');
  if (!run) throw new Error('the store holds no complete run');
  const clusterings = run.layers.flatMap((layer) => layer.clusterings.filter((c) => c.unit === null));
  const targets: Target[] = [];
  const weights = new Map<string, number>([
    ['patterns', 1],
    ['members', 2],
    ['pattern stats', 1],
    ['average image', 2],
    ['thumbnail', 12],
  ]);
  for (const c of clusterings) {
    targets.push({ kind: 'patterns', path: apiPaths.patterns(c.clusteringId) });
    for (let p = -1; p < c.patternCount; p++) {
      targets.push({
        kind: 'members',
        path: apiPaths.members(c.clusteringId, p, { limit: 60, order: p % 2 ? 'most-stable' : 'outlier' }),
      });
      targets.push({ kind: 'pattern stats', path: apiPaths.patternStats(c.clusteringId, p) });
      if (p >= 0)
        targets.push({ kind: 'average image', path: apiPaths.averageImage(c.clusteringId, p, 96, storeVersion) });
    }
  }
  for (let i = 0; i < run.inputCount; i++)
    targets.push({ kind: 'thumbnail', path: apiPaths.thumbnail(run.runId, i, 64, storeVersion) });
  return { targets, weights };
}

/** A seeded picker: first a kind by weight, then a target of that kind uniformly. */
function picker(targets: Target[], weights: Map<string, number>, seed: number): () => Target {
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
      [CLI, 'serve', store, '--port', '0', '--host', '127.0.0.1', '--no-disk-cache'],
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
              return { ...request, path: target.path };
            },
            onResponse: (status, _body, context) => {
              const counts = perKind.get(context.kind as string) ?? new Map<number, number>();
              counts.set(status, (counts.get(status) ?? 0) + 1);
              perKind.set(context.kind as string, counts);
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
    }
    const result = await load(duration);
    const serverPeak = await peakRssMb(server.pid);
    console.log(
      '\n' +
        formatTable([
          ['route kind', 'responses', 'status codes'],
          ...[...perKind].map(([kind, counts]) => [
            kind,
            String([...counts.values()].reduce((a, b) => a + b, 0)),
            [...counts].map(([s, n]) => `${s}: ${n}`).join(', '),
          ]),
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
    const pass = result.errors === 0 && result.non2xx === 0 && internalErrors === 0;
    console.log(`bar: zero errors: ${pass ? 'PASS' : 'FAIL'}`);
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
