/**
 * The README's coverage table: per layer of a run (its first layer clustering, the paper's by default),
 * the share of inputs in a pattern, with near members at a few soft-membership strengths, and in the
 * patterns of re-selections of the stored tree (eom at min cluster sizes 50 and 200: no distance work).
 *
 *   node build/scripts/coverage-table.js nap-demo.duckdb [--run R]
 *
 * Prints a Markdown table (patterns / % of inputs covered) and the seconds the re-selections took.
 */
import { parseArgs } from 'node:util';
import { linkageFromMerges, selectFromLinkage } from '../src/compute/hdbscan/index.js';
import { clusteringCoverage, percent } from '../src/engine/coverage.js';
import { pickRun } from '../src/engine/run-selection.js';
import { NapStore } from '../src/io/store/index.js';

const STRENGTHS = [0.1, 0.05, 0.02];
const RESELECTIONS = [50, 200].map((minClusterSize) => ({ minClusterSize, clusterSelectionMethod: 'eom' as const }));

const { values, positionals } = parseArgs({ allowPositionals: true, options: { run: { type: 'string' } } });
const file = positionals[0];
if (file === undefined) throw new Error('usage: node build/scripts/coverage-table.js RESULTS.duckdb [--run R]');

const store = await NapStore.open(file, { readOnly: true });
try {
  const run = await pickRun(store, values.run === undefined ? undefined : Number(values.run));
  const header = [
    'layer',
    'paper: in a pattern',
    ...STRENGTHS.map((s) => `near members >= ${s}`),
    ...RESELECTIONS.map((r) => `${r.clusterSelectionMethod} ${r.minClusterSize}`),
  ];
  console.log(`${run.name} (run ${run.runId})\n`);
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---|').join('')}`);
  let reselectMs = 0;
  for (const { layer } of await store.listLayers(run.runId)) {
    const clustering = (await store.listClusterings(run.runId, layer)).find((c) => c.unit === null);
    if (!clustering) continue;
    const coverage = await clusteringCoverage(store, clustering.clusteringId, STRENGTHS);
    const cells = [
      `${clustering.patternCount} / ${percent(coverage.inPattern, coverage.inputs)}`,
      ...coverage.withNearMembers.map(({ covered }) => percent(covered, coverage.inputs)),
    ];
    const stored = await store.readLinkageTree(clustering.clusteringId);
    for (const params of RESELECTIONS) {
      if (stored === null) {
        cells.push('no tree');
        continue;
      }
      const started = performance.now();
      const picked = selectFromLinkage(linkageFromMerges(stored), {
        ...params,
        clusterSelectionEpsilon: 0,
        allowSingleCluster: false,
      });
      reselectMs += performance.now() - started;
      const covered = picked.labels.reduce((n, label) => n + (label >= 0 ? 1 : 0), 0);
      cells.push(`${picked.clusterCount} / ${percent(covered, coverage.inputs)}`);
    }
    console.log(`| ${layer} | ${cells.join(' | ')} |`);
  }
  console.log(`\nre-selections: ${(reselectMs / 1000).toFixed(2)} s in all`);
} finally {
  await store.close();
}
