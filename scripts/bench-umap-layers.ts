/**
 * UMAP at scale, side by side with umap-learn on the same data in the same run: the maps `nap analyze`
 * draws of Fashion-MNIST's 60,000 training images, layer by layer (the built-in CNN's normalized mean
 * activations, scripts/bench/fashion-layers.ts: dense 64-D, conv1 32-D, logits 10-D by default).
 *
 *   node build/scripts/bench-umap-layers.js [--layers dense,conv1,logits] [--split train|test]
 *     [--cache DIR] [--python PATH] [--seeded-peer] [--baseline] [--umap-js] [--sample 2000] [--threads N]
 *     [--runs N]
 *
 * Rows per layer:
 * - ours: umap() with the parameters `nap analyze` stores its maps with (planProjection: 200 epochs,
 *   NN-descent above 20,000 inputs), on --threads (default all cores), with its stage breakdown;
 * - ours, 1 thread, sequential layout (--baseline): the same on one thread with umap-learn's sequential
 *   layout, as every map was computed before NN-descent and the layout had worker threads (the
 *   neighbour graph is the same, the layout a different schedule);
 * - umap-learn: scripts/peers/umap_learn_fit.py run by --python (default $NAP_PEER_PYTHON, else python3;
 *   skipped with a note when it cannot import umap), on every core, its numba JIT excluded; with
 *   --seeded-peer seeded instead, which makes it single-threaded;
 * - umap-js 1.4 (--umap-js; minutes at 60,000 rows).
 * Columns: wall and CPU seconds (all threads); kNN recall of the neighbour graph against the exact one
 * (ours: a separate nearestNeighbors call with the same settings, timed too); trustworthiness and kNN
 * preservation at k = 15 against the layer's exact neighbours, and the share of each point's 15 nearest
 * map points with its label; each of those on the same --sample rows (seeded) for every method. The last
 * column is the wall time over umap-learn's. The machine's load average is printed before and after:
 * others' work on the cores skews every time (CPU seconds less so).
 *
 * --runs N (default 1) runs each of our methods with N seeds (42, 1, 2, ...) and umap-learn N times in
 * its one process (unseeded runs differ; with --seeded-peer they repeat), one row per run, then per layer
 * and method the mean ± standard error of wall seconds, trust@15 and kNN pres@15 over the runs, and the
 * difference of the means from umap-learn's with its standard error, so a gap can be judged against
 * the spread between runs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { Matrix } from '../src/compute/matrix.js';
import { labelAgreement, mapQuality, neighborRecall, type UmapOptions } from '../src/compute/projection/index.js';
import { umap } from '../src/onnx-compute.js';
import { onnxDotKernels } from '../src/io/onnx/dot-kernel.js';
import { nearestNeighbors } from '../src/compute/projection/knn/index.js';
import type { NeighborGraph } from '../src/compute/projection/knn/neighbor-graph.js';
import { planProjection } from '../src/engine/projection-options.js';
import { fashionLayers } from './bench/fashion-layers.js';
import { fixed, formatTable, stageTimer } from './bench/timing.js';
import { difference, formatSpread, spread } from './bench/spread.js';
import { runUmapJs } from './bench/umap-js.js';

const K = 15;
const PEER_SCRIPT = fileURLToPath(new URL('../../scripts/peers/umap_learn_fit.py', import.meta.url));

const { values: args } = parseArgs({
  options: {
    layers: { type: 'string', default: 'dense,conv1,logits' },
    split: { type: 'string', default: 'train' },
    cache: { type: 'string', default: path.join(tmpdir(), 'nap-bench-fashion-layers') },
    python: { type: 'string', default: process.env.NAP_PEER_PYTHON ?? 'python3' },
    'seeded-peer': { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: false },
    'umap-js': { type: 'boolean', default: false },
    sample: { type: 'string', default: '2000' },
    threads: { type: 'string', default: String(availableParallelism()) },
    runs: { type: 'string', default: '1' },
  },
});
const layerNames = args.layers.split(',');
const split = args.split === 'test' ? 'test' : 'train';
const sample = Number(args.sample);
const threads = Number(args.threads);
const runCount = Number(args.runs);
if (!Number.isInteger(runCount) || runCount < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);
/** Our seeds: 42 (the default, the single run's), then 1, 2, ... */
const seeds = Array.from({ length: runCount }, (_, i) => (i === 0 ? 42 : i));

/** One method's map of one layer. */
interface Entry {
  layer: string;
  method: string;
  /** Which run of the method: a seed of ours, a count from 1 of umap-learn's; absent for a single run. */
  run?: string;
  seconds: number;
  cpuSeconds: number;
  recall: number;
  layout: Float32Array;
}

interface Timed<T> {
  value: T;
  seconds: number;
  cpuSeconds: number;
}

async function timed<T>(work: () => Promise<T> | T): Promise<Timed<T>> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

function load(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
}

interface PeerFit {
  name: string;
  run: number;
  seconds: number;
  cpuSeconds: number;
  layout: Float32Array;
  knn: NeighborGraph;
}

/** umap-learn's fits of every layer (one process, JIT excluded), or why there are none. */
async function runPeer(layers: Map<string, Matrix>): Promise<PeerFit[] | string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'nap-umap-peer-'));
  try {
    const specs: string[] = [];
    for (const [name, matrix] of layers) {
      const file = path.join(folder, `${name}.in.f32`);
      await writeFile(file, new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength));
      specs.push(`${name}:${file}:${matrix.count}:${matrix.dim}`);
    }
    const peerArgs = [
      PEER_SCRIPT,
      folder,
      ...(args['seeded-peer'] ? ['--seeded'] : []),
      ...['--runs', String(runCount)],
      ...specs,
    ];
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(args.python, peerArgs, { maxBuffer: 1 << 20 }));
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
      return `umap-learn skipped (${args.python} ${path.basename(PEER_SCRIPT)} failed: ${message})`;
    }
    const results: PeerFit[] = [];
    for (const line of stdout.trim().split('\n')) {
      const record = JSON.parse(line) as { name?: string; run: number; seconds: number; cpuSeconds: number };
      if (record.name === undefined) continue;
      const matrix = layers.get(record.name)!;
      const stem = path.join(folder, `${record.name}.${record.run}`);
      const layoutBytes = await readFile(`${stem}.layout.f32`);
      const knnBytes = await readFile(`${stem}.knn.i32`);
      const indices = new Int32Array(knnBytes.buffer, knnBytes.byteOffset, knnBytes.byteLength / 4).slice();
      results.push({
        name: record.name,
        run: record.run,
        seconds: record.seconds,
        cpuSeconds: record.cpuSeconds,
        layout: new Float32Array(layoutBytes.buffer, layoutBytes.byteOffset, layoutBytes.byteLength / 4).slice(),
        knn: { count: matrix.count, k: indices.length / matrix.count, indices, distances: new Float32Array(0) },
      });
    }
    return results;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

interface Measured extends Entry {
  quality: { trustworthiness: number; neighborPreservation: number };
}

/**
 * Per layer and method, the mean ± standard error over the runs of wall seconds, trust@K and kNN pres@K,
 * and each mean's difference from umap-learn's (± the standard error of the difference); the last
 * column is the wall time over umap-learn's, of the means.
 */
function spreadTable(measured: Measured[], peerName: string): string[][] {
  const figures: [string, (e: Measured) => number, number][] = [
    ['wall s', (e) => e.seconds, 2],
    [`trust@${K}`, (e) => e.quality.trustworthiness, 4],
    [`kNN pres@${K}`, (e) => e.quality.neighborPreservation, 4],
  ];
  const table = [
    [
      'layer',
      'method',
      'runs',
      ...figures.flatMap(([label]) => [`${label} mean ± se`, `- umap-learn`]),
      'x umap-learn',
    ],
  ];
  const layerNamesInOrder = [...new Set(measured.map((e) => e.layer))];
  for (const layer of layerNamesInOrder) {
    const mine = measured.filter((e) => e.layer === layer);
    const methods = [...new Set(mine.map((e) => e.method))];
    const peerRuns = mine.filter((e) => e.method === peerName);
    for (const method of methods) {
      const runs = mine.filter((e) => e.method === method);
      const cells = figures.flatMap(([, figure, digits]) => {
        const own = spread(runs.map(figure));
        const isPeer = method === peerName || peerRuns.length === 0;
        const gap = isPeer ? '' : formatSpread(difference(own, spread(peerRuns.map(figure))), digits, true);
        return [formatSpread(own, digits), gap];
      });
      const ratio = spread(runs.map((e) => e.seconds)).mean / spread(peerRuns.map((e) => e.seconds)).mean;
      table.push([layer, method, String(runs.length), ...cells, fixed(ratio, 2)]);
    }
  }
  return table;
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; node ${process.version}`,
  );
  console.log(`load average at start: ${load()}`);
  await mkdir(args.cache, { recursive: true });
  const loaded = await timed(() => fashionLayers(split, layerNames, args.cache));
  const { layers, labels } = loaded.value;
  console.log(
    `data: Fashion-MNIST ${split}, layers ${layerNames.map((n) => `${n} ${layers.get(n)!.dim}-D`).join(', ')}, ` +
      `${labels.length} rows (loaded in ${fixed(loaded.seconds)} s; cached in ${args.cache})\n`,
  );

  const entries: Entry[] = [];
  const measured: Measured[] = [];

  for (const [name, matrix] of layers) {
    const plan = planProjection({}, matrix);
    if (plan?.method !== 'umap') throw new Error(`nap analyze would not draw ${name} with UMAP`);
    const { params } = plan;
    const knn = await timed(() =>
      nearestNeighbors(matrix, {
        k: params.nNeighbors,
        metric: 'euclidean',
        method: params.knn,
        seed: 1,
        threads,
        kernels: onnxDotKernels,
      }),
    );
    const recall = neighborRecall(matrix, knn.value, { sample });
    console.log(
      `${name}: ${params.knn} neighbours alone ${fixed(knn.seconds, 2)} s wall, ${fixed(knn.cpuSeconds, 2)} s CPU, ` +
        `recall ${fixed(recall, 4)}`,
    );
    const runs: [string, UmapOptions][] = [[`ours, ${threads} threads`, { ...params, threads }]];
    if (args.baseline)
      runs.push(['ours, 1 thread, sequential layout', { ...params, threads: 1, parallelLayout: false }]);
    for (const seed of seeds) {
      for (const [method, options] of runs) {
        const run = runCount > 1 ? `seed ${seed}` : undefined;
        const stages = stageTimer();
        const ours = await timed(() => umap(matrix, { ...options, seed }, { onProgress: stages.onProgress }));
        console.log(`${name}, ${method}${run ? `, ${run}` : ''}: ${stages.summary()}`);
        entries.push({
          layer: name,
          method,
          run,
          seconds: ours.seconds,
          cpuSeconds: ours.cpuSeconds,
          recall,
          layout: ours.value,
        });
      }
    }
    if (args['umap-js']) {
      const theirs = await timed(() => runUmapJs(matrix));
      const layout = Float32Array.from(theirs.value.flat());
      entries.push({ layer: name, method: 'umap-js 1.4', ...theirs, recall: Number.NaN, layout });
    }
  }

  const peer = await runPeer(layers);
  const peerName = `umap-learn${args['seeded-peer'] ? ', seeded (1 thread)' : ', all cores'}`;
  if (typeof peer === 'string') console.log(`\n${peer}`);
  else {
    for (const { name, run, ...result } of peer) {
      const recall = neighborRecall(layers.get(name)!, result.knn, { sample });
      entries.push({
        layer: name,
        method: peerName,
        run: runCount > 1 ? `run ${run + 1}` : undefined,
        ...result,
        recall,
      });
    }
  }

  const table = [
    [
      'layer',
      'method',
      ...(runCount > 1 ? ['run'] : []),
      'wall s',
      'CPU s',
      'kNN recall',
      `trust@${K}`,
      `kNN pres@${K}`,
      `labels@${K}`,
      'x umap-learn',
    ],
  ];
  for (const [name, matrix] of layers) {
    const mine = entries.filter((e) => e.layer === name);
    const qualities = mapQuality(
      matrix,
      mine.map((e) => e.layout),
      { k: K, sample },
    );
    const peerSeconds = spread(mine.filter((e) => e.method === peerName).map((e) => e.seconds)).mean;
    mine.forEach((e, i) =>
      table.push([
        name,
        e.method,
        ...(runCount > 1 ? [e.run ?? ''] : []),
        fixed(e.seconds, 2),
        fixed(e.cpuSeconds, 2),
        fixed(e.recall, 4),
        fixed(qualities[i]!.trustworthiness, 4),
        fixed(qualities[i]!.neighborPreservation, 4),
        fixed(labelAgreement(e.layout, labels, K), 4),
        fixed(e.seconds / peerSeconds, 2),
      ]),
    );
    mine.forEach((e, i) => measured.push({ ...e, quality: qualities[i]! }));
  }
  console.log(`\n${formatTable(table)}`);
  if (runCount > 1) console.log(`\n${formatTable(spreadTable(measured, peerName))}`);
  console.log(
    `\nquality on ${sample} seeded rows per layer (label agreement on all)` +
      `${runCount > 1 ? `; ours seeds ${seeds.join(', ')}` : ''}; load average at end: ${load()}`,
  );
}

await main();
