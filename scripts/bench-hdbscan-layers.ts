/**
 * The approximate HDBSCAN* path against the exact one on real layers: the activations a `nap analyze`
 * run stored (e.g. all 70,000 Fashion-MNIST images through the built-in CNN), with the NAP parameters
 * (min cluster size 5, min samples 5, leaf selection):
 *
 *   node build/scripts/bench-hdbscan-layers.js --store STORE.duckdb [--run 1] [--layers dense,conv2]
 *     [--sample N] [--cache DIR] [--tuning JSON]
 *
 * Per layer it fits the exact path and the approximate one and prints the wall and CPU seconds of each,
 * the adjusted Rand index of the approximate labels against the exact ones, both cluster and noise
 * counts, and the share of rows whose approximate core distance is above the exact one (a neighbour
 * the approximate lists missed). --sample takes that many rows, seeded, instead of all; --cache keeps
 * the exact labels and core distances of each layer in DIR and reads them back on the next run (the
 * exact fit then shows no time); --tuning passes ApproximateMstTuning fields (e.g. '{"trees":2}') to
 * compare settings. The load average is printed before and after: others' work skews wall seconds
 * (CPU seconds less so).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { approximateMstWith, type ApproximateMstTuning } from '../src/compute/hdbscan/approximate/approximate-mst.js';
import { fastMst } from '../src/compute/hdbscan/fast-mst.js';
import type { MstBuilder } from '../src/compute/hdbscan/index.js';
import { makeMatrix, type Matrix } from '../src/compute/matrix.js';
import { adjustedRandIndex } from '../src/compute/partition-metrics.js';
import { mulberry32 } from '../src/io/datasets/sample.js';
import { NapStore } from '../src/io/store/index.js';
import { hdbscan } from '../src/onnx-compute.js';
import { fixed, formatTable, loadAverages } from './bench/timing.js';

const PARAMS = { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'leaf' as const };

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    run: { type: 'string', default: '1' },
    layers: { type: 'string' },
    sample: { type: 'string' },
    cache: { type: 'string' },
    tuning: { type: 'string', default: '{}' },
  },
});

interface Fit {
  labels: Int32Array;
  core: Float64Array;
  seconds: number;
  cpuSeconds: number;
}

/** Fits `matrix` with `builder`, keeping the core distances it computed. */
async function fit(matrix: Matrix, builder: MstBuilder): Promise<Fit> {
  let core: Float64Array = new Float64Array(0);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { labels } = await hdbscan(matrix, {
    ...PARAMS,
    mst: async (m, options, control) => {
      const result = await builder(m, options, control);
      core = result.coreDistances;
      return result;
    },
  });
  const used = process.cpuUsage(cpu);
  return { labels, core, seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** The exact fit of a layer, from the cache folder when it holds one (then with no times). */
async function exactFit(matrix: Matrix, key: string): Promise<Fit> {
  const file = args.cache ? path.join(args.cache, `${key}.bin`) : undefined;
  const { count } = matrix;
  const cached = file ? await readFile(file).catch(() => undefined) : undefined;
  if (cached?.byteLength === 12 * count) {
    const bytes = cached.buffer.slice(cached.byteOffset, cached.byteOffset + cached.byteLength);
    return {
      labels: new Int32Array(bytes, 0, count),
      core: new Float64Array(bytes, 4 * count, count),
      seconds: NaN,
      cpuSeconds: NaN,
    };
  }
  const exact = await fit(matrix, fastMst);
  if (file) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, Buffer.concat([Buffer.from(exact.labels.buffer), Buffer.from(exact.core.buffer)]));
  }
  return exact;
}

/** `size` rows of `matrix`, chosen seeded, in their order (all rows when size is not below the count). */
function sampleRows(matrix: Matrix, size: number, seed: number): Matrix {
  const { count, dim, data } = matrix;
  if (size >= count) return matrix;
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (count - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = order.subarray(0, size).sort();
  const out = new Float32Array(size * dim);
  chosen.forEach((row, at) => out.set(data.subarray(row * dim, (row + 1) * dim), at * dim));
  return makeMatrix(size, dim, out);
}

async function main(): Promise<void> {
  if (!args.store) throw new Error('--store names the DuckDB store of a `nap analyze` run');
  const tuning = JSON.parse(args.tuning) as ApproximateMstTuning;
  const runId = Number(args.run);
  const store = await NapStore.open(args.store, { readOnly: true });
  try {
    const layers = args.layers?.split(',') ?? (await store.listLayers(runId)).map((layer) => layer.layer);
    console.log(`load average at start: ${loadAverages()}`);
    const table = [
      ['layer', 'N x D', 'exact s', 'exact cpu', 'approx s', 'approx cpu', 'ARI', 'clusters', 'noise', 'core above'],
    ];
    for (const layer of layers) {
      const stored = (await store.readActivations(runId, layer)).matrix;
      const matrix = args.sample ? sampleRows(stored, Number(args.sample), 7) : stored;
      const exact = await exactFit(matrix, `${path.basename(args.store)}-${runId}-${layer}-${matrix.count}`);
      const approximate = await fit(matrix, (m, options, control) => approximateMstWith(m, options, tuning, control));
      let above = 0;
      for (let row = 0; row < matrix.count; row++) if (approximate.core[row]! > exact.core[row]! * (1 + 1e-9)) above++;
      const clusters = (labels: Int32Array) => new Set(labels.filter((label) => label >= 0)).size;
      const noise = (labels: Int32Array) => labels.filter((label) => label < 0).length;
      table.push([
        layer,
        `${matrix.count}x${matrix.dim}`,
        fixed(exact.seconds, 2),
        fixed(exact.cpuSeconds, 2),
        fixed(approximate.seconds, 2),
        fixed(approximate.cpuSeconds, 2),
        adjustedRandIndex(exact.labels, approximate.labels).toFixed(4),
        `${clusters(exact.labels)} / ${clusters(approximate.labels)}`,
        `${noise(exact.labels)} / ${noise(approximate.labels)}`,
        `${((100 * above) / matrix.count).toFixed(1)}%`,
      ]);
      console.log(table.at(-1)!.join('  '));
    }
    console.log(
      'seconds and CPU seconds (all threads) of hdbscan(); ARI of the approximate labels against the exact ones;',
    );
    console.log(
      'clusters and noise: exact / approximate; core above: rows whose approximate core distance is too high',
    );
    console.log(formatTable(table));
    console.log(`load average at end: ${loadAverages()}`);
  } finally {
    await store.close();
  }
}

await main();
