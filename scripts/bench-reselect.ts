/**
 * Re-selecting patterns from a stored single-linkage tree (src/compute/hdbscan/reselect.ts, the code the
 * app runs in the browser) for several min cluster sizes, leaf / eom and an epsilon, on 70,000 inputs.
 *
 *   node build/scripts/bench-reselect.js [--rows 70000] [--dim 16] [--repeat 7]
 *   node build/scripts/bench-reselect.js --store results.duckdb --layer conv2 [--repeat 7]
 *
 * The tree comes from a seeded blob data set (bench-hdbscan's, min samples 5), whose fit is timed too as
 * the baseline (a re-selection replaces that whole fit), or from a results file (the newest clustering
 * of the layer; e.g. the one bench-recluster.js --store makes from Fashion-MNIST's 60,000 images).
 * Prints, per parameter set, the median and largest milliseconds of `repeat` re-selections, the ratio to
 * the 100 ms budget, the median CPU milliseconds (steadier than wall time on a shared machine), the median
 * of a re-selection whose min cluster size was condensed before (TreeReselector, as the app keeps it: a
 * change of leaf / eom or epsilon, or a return to a size), patterns and coverage.
 */
import { availableParallelism, loadavg } from 'node:os';
import {
  linkageFromMerges,
  selectFromLinkage,
  TreeReselector,
  type SelectionParams,
  type SingleLinkageTree,
} from '../src/compute/hdbscan/index.js';
import { hdbscan } from '../src/onnx-compute.js';
import { NapStore } from '../src/io/store/index.js';
import { benchBlobs } from './bench-hdbscan.js';

const BUDGET_MS = 100;

function text(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}

function argument(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} '${args[at + 1]}' is not a whole number >= 1`);
  return value;
}

const args = process.argv.slice(2);
const repeat = argument(args, '--repeat', 7);
const storePath = text(args, '--store');

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores (timings are noisy when others share the machine)`,
);
let tree: SingleLinkageTree;
let fitMs = NaN;
if (storePath) {
  const layer = text(args, '--layer');
  if (!layer) throw new Error('--store needs --layer');
  const store = await NapStore.open(storePath, { readOnly: true });
  try {
    const [run] = await store.listRuns();
    const clusterings = (await store.listClusterings(run!.runId, layer)).filter((c) => c.unit === null);
    const stored = await store.readLinkageTree(clusterings[clusterings.length - 1]!.clusteringId);
    if (!stored) throw new Error(`layer ${layer} of ${storePath} has no stored tree`);
    tree = linkageFromMerges(stored);
  } finally {
    await store.close();
  }
  console.log(`tree of layer ${layer} of ${storePath}: ${tree.distance.length + 1} inputs`);
} else {
  const rows = argument(args, '--rows', 70_000);
  const dim = argument(args, '--dim', 16);
  const matrix = benchBlobs(rows, dim, 7);
  const fitStart = performance.now();
  const fit = await hdbscan(matrix, { minClusterSize: 5, minSamples: 5 });
  fitMs = performance.now() - fitStart;
  tree = fit.singleLinkageTree;
  console.log(`baseline: hdbscan() fit of ${rows} x ${dim} (min samples 5, leaf, mcs 5): ${fitMs.toFixed(0)} ms`);
}
const rows = tree.distance.length + 1;

const grid: SelectionParams[] = [];
for (const method of ['leaf', 'eom'] as const) {
  for (const minClusterSize of [5, 20, 50, 200, 1000]) {
    grid.push({
      minClusterSize,
      clusterSelectionMethod: method,
      clusterSelectionEpsilon: 0,
      allowSingleCluster: false,
    });
  }
}
grid.push({
  minClusterSize: 50,
  clusterSelectionMethod: 'eom',
  clusterSelectionEpsilon: 0.05,
  allowSingleCluster: false,
});

console.log(
  [
    'selection',
    'mcs',
    'epsilon',
    'median ms',
    'max ms',
    '/ budget',
    'median cpu ms',
    'condensed before: median ms',
    'fit / median',
    'patterns',
    'coverage',
  ].join('\t'),
);
for (const params of grid) {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let patterns = 0;
  let covered = 0;
  for (let r = 0; r < repeat; r++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const selection = selectFromLinkage(tree, params);
    const cpu = process.cpuUsage(cpuStart);
    times.push(performance.now() - start);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    patterns = selection.clusterCount;
    covered = selection.labels.reduce((n, label) => n + (label >= 0 ? 1 : 0), 0);
  }
  const reselector = new TreeReselector(tree, 1);
  reselector.condensed(params.minClusterSize);
  const warmTimes: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const start = performance.now();
    reselector.select(params);
    warmTimes.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  warmTimes.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const max = times[times.length - 1]!;
  console.log(
    [
      params.clusterSelectionMethod,
      params.minClusterSize,
      params.clusterSelectionEpsilon,
      median.toFixed(1),
      max.toFixed(1),
      (median / BUDGET_MS).toFixed(2),
      cpuTimes[Math.floor(cpuTimes.length / 2)]!.toFixed(1),
      warmTimes[Math.floor(warmTimes.length / 2)]!.toFixed(1),
      Number.isNaN(fitMs) ? '-' : (fitMs / median).toFixed(0),
      patterns,
      `${((100 * covered) / rows).toFixed(1)}%`,
    ].join('\t'),
  );
}
