import { RECLUSTER_OPTIONS, recluster, type ReclusterOptions, type ReclusterResult } from '../../engine/recluster.js';
import { InputError } from '../../errors.js';
import { switchOption } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';
import { withProgress, withStore } from '../store-command.js';

const RECLUSTER_CLI = RECLUSTER_OPTIONS.extend<{ json?: boolean; quiet?: boolean }>({
  json: switchOption({ flag: 'json', help: 'print the result as JSON' }),
  quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
});

const HELP = `Usage: nap recluster <results.duckdb> --layer LAYER --min-cluster-size M [--selection leaf|eom] [--epsilon E]

Selects a layer's patterns again from the single-linkage tree that nap analyze stored with its
clustering, for another min cluster size, selection method or epsilon, with no distance work, and adds
the result as a new clustering of the layer (patterns, memberships, GLOSH, persistence, soft
memberships, statistics, average images, flow). It equals nap analyze with these parameters and the
tree's min samples; the newest clustering of a layer is the one nap summary and the app show.

Min samples is not an option here: it shapes the tree itself (every input's core distance), so another
min samples needs the distances again: nap analyze --min-samples N.

Options:
${RECLUSTER_CLI.help()}`;

interface ReclusterArgs {
  file: string;
  options: ReclusterOptions;
  json: boolean;
  quiet: boolean;
}

export const runReclusterCommand = cliCommand(RECLUSTER_CLI, async (argv, signal) => {
  const args = parseReclusterArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  return withStore(args.file, { mustExist: true }, async (store) => {
    const started = performance.now();
    const result = await withProgress(args.quiet || args.json, signal, (control) =>
      recluster(store, args.options, control),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(args.json ? JSON.stringify({ ...result, seconds }, null, 2) : formatResult(result, seconds));
    return 0;
  });
});

export function parseReclusterArgs(argv: string[]): ReclusterArgs | undefined {
  if (argv.some((arg) => arg === '--min-samples' || arg.startsWith('--min-samples='))) {
    throw new InputError('--min-samples cannot change in nap recluster: it shapes the stored tree itself', {
      hint: 'every core distance depends on it, so a new min samples needs the distances again: nap analyze --min-samples N (into the same results file reuses the activations)',
    });
  }
  const { options, positionals, help } = parseOptions(RECLUSTER_CLI, argv);
  if (help) return undefined;
  const file = onlyPositional(positionals, 'recluster', 'results file', HELP);
  const { json = false, quiet = false, ...reclusterOptions } = options;
  return { file, options: reclusterOptions as ReclusterOptions, json, quiet };
}

function formatResult(result: ReclusterResult, seconds: number): string {
  const { params, timings } = result;
  const covered = result.inputs - result.noise;
  const share = result.inputs > 0 ? ((100 * covered) / result.inputs).toFixed(1) : '0.0';
  const how = `${params.clusterSelectionMethod}, min cluster size ${params.minClusterSize}, epsilon ${params.clusterSelectionEpsilon}, min samples ${params.minSamples} (the tree's)`;
  if (result.existing) {
    return `layer ${result.layer} of run ${result.runId}: clustering ${result.clusteringId} (${how}) is stored already: ${result.patterns} patterns, ${share}% of ${result.inputs} inputs in a pattern`;
  }
  const clusteringMs = timings.selection + timings.softMemberships + timings.statistics;
  const lines = [
    `layer ${result.layer} of run ${result.runId}: clustering ${result.clusteringId} from the tree of clustering ${result.sourceClusteringId}${result.rebuiltTree ? ' (tree rebuilt)' : ''}`,
    `  ${how}`,
    `  ${result.patterns} patterns, ${covered} of ${result.inputs} inputs in a pattern (${share}%), ${result.noise} noise`,
    `  clustering work ${(clusteringMs / 1000).toFixed(2)} s (selection ${fmt(timings.selection)}, soft memberships ${fmt(timings.softMemberships)}, statistics ${fmt(timings.statistics)}); store ${fmt(timings.read + timings.store)}, average images ${fmt(timings.averageImages)}, flow ${fmt(timings.flow)}; ${seconds.toFixed(1)} s in all`,
  ];
  if (result.averageImagesSkipped) lines.push(`  no average images: ${result.averageImagesSkipped}`);
  return lines.join('\n');
}

function fmt(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
