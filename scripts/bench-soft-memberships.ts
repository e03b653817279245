/**
 * The all-points soft memberships on real layers against a baseline build of the same code, alternated
 * in one process: the activations a `nap analyze` run stored, fitted once per layer with the NAP
 * parameters (min cluster size 5, min samples 5, leaf selection), then the membership vectors timed
 * with each implementation in turn:
 *
 *   node build/scripts/bench-soft-memberships.js --store STORE.duckdb --baseline DIR [--run 1]
 *     [--layers dense,conv2] [--pairs 3]
 *
 * DIR is the `src` folder of another build (e.g. a copy of main's build/src). Per layer and pair it prints
 * the CPU and wall seconds of the baseline and of this build, their CPU ratio, and the largest absolute
 * difference between the two builds' membership vectors (0 when bit-identical). The load average is
 * printed before and after: others' work skews wall seconds (CPU seconds less so).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSoftTree, type SoftTree } from '../src/compute/hdbscan/soft/index.js';
import type { MembershipOptions } from '../src/compute/hdbscan/soft/all-points.js';
import * as current from '../src/compute/hdbscan/soft/all-points.js';
import type { Matrix } from '../src/compute/matrix.js';
import { onnxDotKernels } from '../src/io/onnx/dot-kernel.js';
import { NapStore } from '../src/io/store/index.js';
import { hdbscan } from '../src/onnx-compute.js';
import { fixed, formatTable, loadAverages } from './bench/timing.js';

const PARAMS = { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'leaf' as const };

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    baseline: { type: 'string' },
    run: { type: 'string', default: '1' },
    layers: { type: 'string' },
    pairs: { type: 'string', default: '3' },
  },
});

type Vectors = (matrix: Matrix, soft: SoftTree, options: MembershipOptions) => Promise<Float64Array>;

interface Timed {
  vectors: Float64Array;
  cpuSeconds: number;
  seconds: number;
}

async function timed(vectors: Vectors, matrix: Matrix, soft: SoftTree): Promise<Timed> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const out = await vectors(matrix, soft, { threads: 2, kernels: onnxDotKernels });
  const used = process.cpuUsage(cpu);
  return { vectors: out, cpuSeconds: (used.user + used.system) / 1e6, seconds: (performance.now() - start) / 1000 };
}

function largestDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]! - b[i]!));
  return largest;
}

async function main(): Promise<void> {
  if (!args.store) throw new Error('--store names the DuckDB store of a `nap analyze` run');
  if (!args.baseline) throw new Error('--baseline names the src folder of the build to compare with');
  const baselineModule = path.resolve(args.baseline, 'compute/hdbscan/soft/all-points.js');
  const baseline = (await import(baselineModule)) as typeof current;
  const store = await NapStore.open(args.store, { readOnly: true });
  const table = [
    ['layer', 'N x D', 'labels', 'pair', 'base cpu', 'new cpu', 'new/base', 'base s', 'new s', 'max |diff|'],
  ];
  let baseTotal = 0;
  let newTotal = 0;
  try {
    const runId = Number(args.run);
    const layers = args.layers?.split(',') ?? (await store.listLayers(runId)).map((layer) => layer.layer);
    console.log(`load average at start: ${loadAverages()}`);
    for (const layer of layers) {
      const matrix = (await store.readActivations(runId, layer)).matrix;
      const fit = await hdbscan(matrix, { ...PARAMS, kernels: onnxDotKernels });
      const soft = buildSoftTree(fit.condensedTree, fit.labels, fit.clusterCount);
      for (let pair = 1; pair <= Number(args.pairs); pair++) {
        const before = await timed(baseline.allPointsMembershipVectors, matrix, soft);
        const after = await timed(current.allPointsMembershipVectors, matrix, soft);
        baseTotal += before.cpuSeconds;
        newTotal += after.cpuSeconds;
        table.push([
          layer,
          `${matrix.count}x${matrix.dim}`,
          String(soft.selected.length),
          String(pair),
          fixed(before.cpuSeconds, 2),
          fixed(after.cpuSeconds, 2),
          fixed(after.cpuSeconds / before.cpuSeconds, 3),
          fixed(before.seconds, 2),
          fixed(after.seconds, 2),
          largestDifference(before.vectors, after.vectors).toExponential(2),
        ]);
        console.log(table.at(-1)!.join('  '));
      }
    }
  } finally {
    await store.close();
  }
  console.log('CPU seconds (all threads) and wall seconds of allPointsMembershipVectors (ONNX GEMM, 2 threads)');
  console.log(formatTable(table));
  console.log(
    `total CPU: base ${fixed(baseTotal, 2)} s, new ${fixed(newTotal, 2)} s, ratio ${fixed(newTotal / baseTotal, 3)}`,
  );
  console.log(`load average at end: ${loadAverages()}`);
}

await main();
