/**
 * Benchmarks the exact spanning-tree builders on seeded blob data shaped like the golden sets
 * (Gaussian blobs plus 10% uniform noise in [-1, 1]^D), with the NAP parameters
 * minClusterSize = minSamples = 5 and leaf selection.
 *
 *   node build/scripts/bench-hdbscan.js [--rows 2000x64,10000x512] [--reference-limit 60] [--no-reference]
 *
 * Each row runs in its own child process so that its peak RSS is its own. Per row it prints the
 * fastMst time, the whole hdbscan() fit with fastMst, the peak RSS, referenceMst's time in the same
 * run (skipped, with its extrapolated time, where that would exceed the limit), the ratio to the
 * fastest peer's figure, and the adjusted Rand index of the two fits where both ran.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import { fastMstWith } from '../src/compute/hdbscan/fast-mst.js';
import { hdbscan } from '../src/compute/hdbscan/index.js';
import { referenceMst } from '../src/compute/hdbscan/reference-mst.js';
import type { MstBuilder } from '../src/compute/hdbscan/types.js';
import { makeMatrix, type Matrix } from '../src/compute/matrix.js';
import { adjustedRandIndex } from '../src/compute/partition-metrics.js';
import { mulberry32 as uniform } from '../src/io/datasets/sample.js';

/** Fit seconds of the fastest peer implementation on this 2-core machine (the target). */
const PEER_SECONDS: Record<string, number> = {
  '2000x64': 0.22,
  '10000x64': 0.63,
  '10000x512': 1.4,
  '2000x2048': 0.59,
  '10000x2048': 3.7,
  '50000x64': 7.1,
};

const PARAMS = { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'leaf' as const };
const SAMPLE_ROWS = 1000;

interface RowResult {
  shape: string;
  fastMstSeconds: number;
  /** CPU seconds of the whole process (all threads) during fastMst: steadier than wall time on a shared machine. */
  fastMstCpuSeconds: number;
  /** Pairs the Prim flushes multiplied, as a share of N^2/2 (the neighbour pass does 1). */
  flushedShare: number;
  fitSeconds: number;
  peakRssMb: number;
  referenceSeconds?: number;
  referenceEstimateSeconds: number;
  ari?: number;
  clusters: number;
}

/** Gaussian blobs (Irwin-Hall normals) with centres in [-0.7, 0.7]^D and spreads 0.05-0.15, plus noise. */
export function benchBlobs(count: number, dim: number, seed: number, centres = 10, noiseFraction = 0.1): Matrix {
  const random = uniform(seed);
  const data = new Float32Array(count * dim);
  const centre = Float64Array.from({ length: centres * dim }, () => 1.4 * random() - 0.7);
  const spread = Float64Array.from({ length: centres }, () => 0.05 + 0.1 * random());
  const clustered = count - Math.round(count * noiseFraction);
  for (let row = 0; row < count; row++) {
    const c = row % centres;
    for (let k = 0; k < dim; k++) {
      let value: number;
      if (row < clustered) {
        let normal = -6;
        for (let t = 0; t < 12; t++) normal += random();
        value = Math.max(-1, Math.min(1, centre[c * dim + k]! + spread[c]! * normal));
      } else {
        value = 2 * random() - 1;
      }
      data[row * dim + k] = value;
    }
  }
  return makeMatrix(count, dim, data);
}

function timed(builder: MstBuilder, seconds: { value: number; cpu?: number }): MstBuilder {
  return async (matrix, options, control) => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const result = await builder(matrix, options, control);
    seconds.value = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    seconds.cpu = (used.user + used.system) / 1e6;
    return result;
  };
}

function sampleRows(matrix: Matrix, rows: number): Matrix {
  return makeMatrix(rows, matrix.dim, matrix.data.slice(0, rows * matrix.dim));
}

async function runRow(shape: string, referenceLimit: number, withReference: boolean): Promise<RowResult> {
  const [count, dim] = shape.split('x').map(Number);
  if (count === undefined || dim === undefined) throw new Error(`row shape '${shape}' is not NxD (e.g. 10000x64)`);
  const matrix = benchBlobs(count, dim, 7 + count + dim);
  const fastSeconds: { value: number; cpu?: number } = { value: 0 };
  let flushedPairs = 0;
  const fastBuilder: MstBuilder = (m, options, control) =>
    fastMstWith(m, options, { stats: (stats) => (flushedPairs = stats.flushedPairs) }, control);
  const fitStart = performance.now();
  const fast = await hdbscan(matrix, { ...PARAMS, mst: timed(fastBuilder, fastSeconds) });
  const fitSeconds = (performance.now() - fitStart) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  // referenceMst is O(N^2 D): time it on a subsample and scale by N^2 to decide whether to run it.
  const sample = sampleRows(matrix, Math.min(count, SAMPLE_ROWS));
  const sampleStart = performance.now();
  await referenceMst(sample, { minSamples: PARAMS.minSamples, metric: 'euclidean' });
  const sampleSeconds = (performance.now() - sampleStart) / 1000;
  const referenceEstimateSeconds = sampleSeconds * (count / sample.count) ** 2;
  const result: RowResult = {
    shape,
    fastMstSeconds: fastSeconds.value,
    fastMstCpuSeconds: fastSeconds.cpu ?? 0,
    flushedShare: flushedPairs / ((count * count) / 2),
    fitSeconds,
    peakRssMb,
    referenceEstimateSeconds,
    clusters: fast.clusterCount,
  };
  if (withReference && referenceEstimateSeconds <= referenceLimit) {
    const referenceSeconds = { value: 0 };
    const exact = await hdbscan(matrix, { ...PARAMS, mst: timed(referenceMst, referenceSeconds) });
    result.referenceSeconds = referenceSeconds.value;
    result.ari = adjustedRandIndex(fast.labels, exact.labels);
  }
  return result;
}

function formatRow(r: RowResult): string {
  const peer = PEER_SECONDS[r.shape];
  const reference =
    r.referenceSeconds !== undefined
      ? `${r.referenceSeconds.toFixed(2)}`
      : `skipped (~${r.referenceEstimateSeconds.toFixed(0)} est.)`;
  const speedup =
    r.referenceSeconds !== undefined
      ? `${(r.referenceSeconds / r.fastMstSeconds).toFixed(1)}x`
      : `~${(r.referenceEstimateSeconds / r.fastMstSeconds).toFixed(0)}x est.`;
  return [
    r.shape.padEnd(12),
    r.fastMstSeconds.toFixed(2).padStart(9),
    r.fastMstCpuSeconds.toFixed(2).padStart(8),
    r.flushedShare.toFixed(2).padStart(7),
    r.fitSeconds.toFixed(2).padStart(8),
    r.peakRssMb.toFixed(0).padStart(8),
    reference.padStart(22),
    speedup.padStart(12),
    (peer !== undefined ? peer.toFixed(2) : '-').padStart(6),
    (peer !== undefined ? (r.fitSeconds / peer).toFixed(2) : '-').padStart(9),
    (r.ari !== undefined ? r.ari.toFixed(4) : '-').padStart(7),
    String(r.clusters).padStart(9),
  ].join(' ');
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const child = argument(args, '--child');
  const referenceLimit = Number(argument(args, '--reference-limit') ?? 60);
  const withReference = !args.includes('--no-reference');
  if (child) {
    process.stdout.write(`${JSON.stringify(await runRow(child, referenceLimit, withReference))}\n`);
    return;
  }
  const rows = (argument(args, '--rows') ?? Object.keys(PEER_SECONDS).join(',')).split(',');
  for (const shape of rows) {
    if (!/^\d+x\d+$/.test(shape)) throw new Error(`--rows entry '${shape}' is not NxD (e.g. 10000x64)`);
  }
  console.log(
    `fit = hdbscan() with mst: fastMst (minClusterSize = minSamples = 5, leaf); seconds; RSS = peak of the row's process`,
  );
  console.log('cpu = CPU seconds of all threads during fastMst; flush = pairs multiplied by Prim flushes / (N^2/2)');
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores (timings are noisy when others share the machine)`,
  );
  console.log(
    'reference = referenceMst alone, same data, same process; skipped where its N^2-extrapolated time exceeds the limit',
  );
  console.log(
    [
      'N x D'.padEnd(12),
      'fastMst'.padStart(9),
      'cpu'.padStart(8),
      'flush'.padStart(7),
      'fit'.padStart(8),
      'RSS MB'.padStart(8),
      'referenceMst'.padStart(22),
      'ref/fast'.padStart(12),
      'peer'.padStart(6),
      'fit/peer'.padStart(9),
      'ARI'.padStart(7),
      'clusters'.padStart(9),
    ].join(' '),
  );
  const script = fileURLToPath(import.meta.url);
  for (const shape of rows) {
    const childArgs = [script, '--child', shape, '--reference-limit', String(referenceLimit)];
    if (!withReference) childArgs.push('--no-reference');
    const output = execFileSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 20 });
    console.log(formatRow(JSON.parse(output.trim().split('\n').pop()!) as RowResult));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
