/**
 * The exact spanning tree's two neighbour searches side by side on the stored layers of a real run:
 * the blocked pass over all pairs (tiles, ONNX Runtime's SGEMM) and the k-d tree on the rows' principal
 * axes (tree), each fit by fastMst with minSamples 5 on both cores, alternated per layer (who goes first
 * alternates too) so that the machine's load hits both alike:
 *
 *   node build/scripts/bench-exact-layers.js --store run.duckdb [--run 1] [--limit 60000] [--layers a,b]
 *
 * Per layer it prints the principal axes holding 95% of the variance (what 'auto' decides by), which
 * search 'auto' takes, each search's wall and CPU seconds (all threads of the process: steadier than wall
 * seconds when others load the machine) for the neighbour lists and for the whole tree, the ratio of the
 * tree's CPU seconds to the tiles', and whether both trees are identical edge for edge (from, to and
 * float64 weight of every Prim step) with identical core distances. The load average is printed per row.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fastMstWith, treeSearchAxes } from '../src/compute/hdbscan/fast-mst.js';
import type { MstResult } from '../src/compute/hdbscan/types.js';
import { axesHolding, principalAxes } from '../src/compute/knn/kd-tree.js';
import { makeMatrix, type Matrix } from '../src/compute/matrix.js';
import { onnxDotKernels } from '../src/io/onnx/dot-kernel.js';
import { closeAfter, NapStore } from '../src/io/store/index.js';
import type { Progress } from '../src/progress.js';
import { fixed, formatTable } from './bench/timing.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    run: { type: 'string' },
    limit: { type: 'string', default: '60000' },
    layers: { type: 'string' },
  },
});
if (!args.store) throw new Error('--store is required: a store with an analyzed run (e.g. from nap analyze)');
const limit = Number(args.limit);
if (!Number.isInteger(limit) || limit < 2) throw new Error(`--limit ${args.limit} is not a whole number >= 2`);

type Search = 'tiles' | 'tree';

interface Fit {
  result: MstResult;
  seconds: number;
  cpuSeconds: number;
  listSeconds: number;
  listCpuSeconds: number;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function fit(matrix: Matrix, search: Search): Promise<Fit> {
  const start = performance.now();
  const startCpu = cpuSeconds();
  let listEnd = start;
  let listEndCpu = startCpu;
  const onProgress = (progress: Progress): void => {
    if (progress.stage === 'spanning tree' && listEnd === start) {
      listEnd = performance.now();
      listEndCpu = cpuSeconds();
    }
  };
  const result = await fastMstWith(
    matrix,
    { minSamples: 5, metric: 'euclidean', kernels: onnxDotKernels },
    { neighbours: search },
    { onProgress },
  );
  return {
    result,
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSeconds() - startCpu,
    listSeconds: (listEnd - start) / 1000,
    listCpuSeconds: listEndCpu - startCpu,
  };
}

function identical(a: MstResult, b: MstResult): boolean {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>): boolean =>
    x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
  return (
    same(a.tree.from, b.tree.from) &&
    same(a.tree.to, b.tree.to) &&
    same(a.tree.weight, b.tree.weight) &&
    same(a.coreDistances, b.coreDistances)
  );
}

const store = await NapStore.open(args.store, { readOnly: true, mustExist: true });
const rows: string[][] = [
  [
    'layer',
    'rows x dim',
    '95% axes',
    'auto',
    'tiles lists s (cpu)',
    'tree lists s (cpu)',
    'tiles fit s (cpu)',
    'tree fit s (cpu)',
    'tree/tiles cpu',
    'identical',
    'load',
  ],
];
await closeAfter(store, async () => {
  const runs = await store.listRuns();
  const runId = args.run === undefined ? runs.at(-1)?.runId : Number(args.run);
  if (runId === undefined) throw new Error(`${args.store} holds no run`);
  const wanted = args.layers?.split(',');
  const layers = (await store.listLayers(runId)).filter((layer) => !wanted || wanted.includes(layer.layer));
  for (const [index, layer] of layers.entries()) {
    const { matrix: stored } = await store.readActivations(runId, layer.layer);
    const count = Math.min(limit, stored.count);
    const matrix = makeMatrix(count, stored.dim, stored.data.slice(0, count * stored.dim));
    const spread = axesHolding(principalAxes(count, matrix.dim, matrix.data), 0.95);
    const auto = treeSearchAxes(matrix, 'euclidean', 'auto') ? 'tree' : 'tiles';
    const order: Search[] = index % 2 === 0 ? ['tiles', 'tree'] : ['tree', 'tiles'];
    const fits = new Map<Search, Fit>();
    for (const search of order) fits.set(search, await fit(matrix, search));
    const tiles = fits.get('tiles')!;
    const tree = fits.get('tree')!;
    const pair = (f: Fit, s: 'list' | 'fit'): string =>
      s === 'list'
        ? `${fixed(f.listSeconds, 2)} (${fixed(f.listCpuSeconds, 2)})`
        : `${fixed(f.seconds, 2)} (${fixed(f.cpuSeconds, 2)})`;
    rows.push([
      layer.layer,
      `${count} x ${matrix.dim}`,
      String(spread),
      auto,
      pair(tiles, 'list'),
      pair(tree, 'list'),
      pair(tiles, 'fit'),
      pair(tree, 'fit'),
      fixed(tree.cpuSeconds / tiles.cpuSeconds, 2),
      identical(tiles.result, tree.result) ? 'yes' : 'NO',
      fixed(loadavg()[0]!, 1),
    ]);
    console.log(formatTable(rows.slice(-1)));
  }
});
console.log(`\nminSamples 5, euclidean, both cores; alternated per layer\n${formatTable(rows)}`);
