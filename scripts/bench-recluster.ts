/**
 * nap recluster on a large run: Fashion-MNIST's 60,000 training images through the built-in CNN, one
 * 64-unit layer (conv2 by default). Prints, per re-selection, the clustering work (selection from the
 * stored tree, soft memberships, statistics) and the rest (store reads and writes, average images, flow),
 * against the baseline of a full hdbscan() fit of the same rows measured in the same run, and CPU times
 * (all threads: steadier than wall time on a shared machine): of the whole re-selection, and of its
 * clustering steps done again alone (selection, soft memberships, per-pattern statistics).
 *
 *   node build/scripts/bench-recluster.js [--store runs.duckdb] [--layer conv2] [--split train] [--limit N]
 *     [--data <dataset>]
 *
 * --data analyses another dataset with the same model, e.g. all 70,000 Fashion-MNIST images as the one IDX
 * file that `node build/scripts/bench/fashion-mnist-all.js` writes.
 *
 * --store keeps the analyzed run between invocations (made on the first, ~minutes); each invocation
 * re-selects on a temporary copy of it, so the figures never come from clusterings stored before.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { linkageFromMerges, selectFromLinkage } from '../src/compute/hdbscan/index.js';
import { hdbscan } from '../src/onnx-compute.js';
import type { Matrix } from '../src/compute/matrix.js';
import { columnStatistics, rowsByGroup } from '../src/compute/statistics.js';
import { analyze } from '../src/engine/analyze.js';
import { softMembershipsOf } from '../src/engine/cluster-layer.js';
import { recluster, type ReclusterOptions } from '../src/engine/recluster.js';
import { NapStore } from '../src/io/store/index.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    layer: { type: 'string', default: 'conv2' },
    split: { type: 'string', default: 'train' },
    data: { type: 'string' },
    limit: { type: 'string' },
  },
});
const layer = values.layer;
const scratch = mkdtempSync(path.join(tmpdir(), 'nap-bench-recluster-'));
const kept = values.store ?? path.join(scratch, 'run.duckdb');

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** CPU milliseconds of the clustering steps of a re-selection, each done again alone. */
async function clusteringCpu(
  tree: ReturnType<typeof linkageFromMerges>,
  rows: Matrix,
  params: Omit<ReclusterOptions, 'layer'>,
): Promise<{ select: number; soft: number; stats: number }> {
  let since = process.cpuUsage();
  const picked = selectFromLinkage(tree, {
    minClusterSize: params.minClusterSize,
    clusterSelectionMethod: params.selection ?? 'leaf',
    clusterSelectionEpsilon: params.epsilon ?? 0,
    allowSingleCluster: false,
  });
  const select = cpuMs(since);
  since = process.cpuUsage();
  await softMembershipsOf(rows, picked, 'euclidean', {});
  const soft = cpuMs(since);
  since = process.cpuUsage();
  for (const members of rowsByGroup(picked.labels, picked.clusterCount)) columnStatistics(rows, members);
  return { select, soft, stats: cpuMs(since) };
}

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores (timings are noisy when others share the machine)`,
);
try {
  if (!existsSync(kept)) {
    const started = performance.now();
    await analyze({
      model: 'models/fashion-mnist-cnn.onnx',
      ...(values.data !== undefined
        ? { data: values.data }
        : { data: 'fashion-mnist', split: values.split as 'train' | 'test' }),
      out: kept,
      layers: [layer],
      projection: 'none',
      ...(values.limit ? { limit: Number(values.limit) } : {}),
    });
    console.log(`analyzed into ${kept} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const copy = path.join(scratch, 'copy.duckdb');
  copyFileSync(kept, copy);
  const store = await NapStore.open(copy);
  try {
    const [run] = await store.listRuns();
    const activations = await store.readActivations(run!.runId, layer);
    const { count, dim } = activations.matrix;
    const paper = (await store.listClusterings(run!.runId, layer)).find((c) => c.unit === null);
    const stored = paper ? await store.readLinkageTree(paper.clusteringId) : null;
    if (stored === null) throw new Error(`layer ${layer} of ${kept} has no stored tree`);
    const tree = linkageFromMerges(stored);
    const fitStart = performance.now();
    await hdbscan(activations.matrix, { minClusterSize: 5, minSamples: 5 });
    const fitMs = performance.now() - fitStart;
    console.log(
      `${layer}: ${count} inputs x ${dim}; baseline hdbscan() fit (leaf, mcs 5, min samples 5): ${fitMs.toFixed(0)} ms`,
    );
    const grid: Omit<ReclusterOptions, 'layer'>[] = [
      { minClusterSize: 50, selection: 'eom' },
      { minClusterSize: 200, selection: 'eom' },
      { minClusterSize: 20, selection: 'leaf' },
      { minClusterSize: 100, selection: 'leaf', epsilon: 0.05 },
    ];
    console.log(
      [
        'selection',
        'mcs',
        'epsilon',
        'patterns',
        'in pattern',
        'clustering wall ms',
        'cpu ms (all steps)',
        'clustering cpu ms',
        'cpu: select',
        'soft',
        'stats',
        'wall: select',
        'soft',
        'stats',
        'fit / clustering wall',
        'store ms',
        'images ms',
        'flow ms',
      ].join('\t'),
    );
    for (const params of grid) {
      const cpuBefore = process.cpuUsage();
      const result = await recluster(store, { layer, ...params });
      const cpu = cpuMs(cpuBefore);
      const alone = await clusteringCpu(tree, activations.matrix, params);
      const t = result.timings;
      const clustering = t.selection + t.softMemberships + t.statistics;
      console.log(
        [
          params.selection,
          params.minClusterSize,
          params.epsilon ?? 0,
          result.patterns,
          `${((100 * (result.inputs - result.noise)) / result.inputs).toFixed(1)}%`,
          clustering.toFixed(0),
          cpu.toFixed(0),
          (alone.select + alone.soft + alone.stats).toFixed(0),
          alone.select.toFixed(0),
          alone.soft.toFixed(0),
          alone.stats.toFixed(0),
          t.selection.toFixed(0),
          t.softMemberships.toFixed(0),
          t.statistics.toFixed(0),
          (fitMs / clustering).toFixed(1),
          (t.read + t.store).toFixed(0),
          t.averageImages.toFixed(0),
          t.flow.toFixed(0),
        ].join('\t'),
      );
    }
  } finally {
    await store.close();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
