import { recluster, type ReclusterOptions, type ReclusterResult } from '../../engine/recluster.js';
import { InputError } from '../../errors.js';
import {
  choiceOption,
  numberOption,
  onlyPositional,
  parseCommandArgs,
  runIdOption,
  wholeNumberOption,
} from '../args.js';
import { withProgress, withStore } from '../store-command.js';

const HELP = `Usage: nap recluster <results.duckdb> --layer LAYER --min-cluster-size M [--selection leaf|eom] [--epsilon E]

Selects a layer's patterns again from the single-linkage tree that nap analyze stored with its
clustering, for another min cluster size, selection method or epsilon, with no distance work, and adds
the result as a new clustering of the layer (patterns, memberships, GLOSH, persistence, soft
memberships, statistics, average images, flow). It equals nap analyze with these parameters and the
tree's min samples; the newest clustering of a layer is the one nap summary and the app show.

Min samples is not an option here: it shapes the tree itself (every input's core distance), so another
min samples needs the distances again: nap analyze --min-samples N.

Options:
  --layer LAYER           the layer (required)
  --min-cluster-size M    smallest pattern, 2..inputs (required); larger gives fewer, larger patterns
  --selection leaf|eom    leaf (default, the paper): the finest patterns; eom: the most persistent ones
  --epsilon E             patterns born closer than distance E merge upwards (default 0: off)
  --run ID                run (default: the newest)
  --clustering ID         the clustering whose tree is used (default: the layer's newest)
  --rebuild-tree          a clustering of an older nap has no tree: compute it from the stored activations
  --data PATH             the dataset's current location, for the average images (default: the run's)
  --threads N             threads for a rebuilt tree (default: all cores)
  --json                  print the result as JSON
  --quiet                 no progress output`;

interface ReclusterArgs {
  file: string;
  options: ReclusterOptions;
  json: boolean;
  quiet: boolean;
}

export async function runReclusterCommand(argv: string[], signal?: AbortSignal): Promise<number> {
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
}

export function parseReclusterArgs(argv: string[]): ReclusterArgs | undefined {
  const { values, positionals } = parseCommandArgs('recluster', {
    args: argv,
    allowPositionals: true,
    options: {
      layer: { type: 'string' },
      'min-cluster-size': { type: 'string' },
      'min-samples': { type: 'string' },
      selection: { type: 'string' },
      epsilon: { type: 'string' },
      run: { type: 'string' },
      clustering: { type: 'string' },
      'rebuild-tree': { type: 'boolean' },
      data: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'recluster', 'results file', HELP);
  if (values['min-samples'] !== undefined) {
    throw new InputError('--min-samples cannot change in nap recluster: it shapes the stored tree itself', {
      hint: 'every core distance depends on it, so a new min samples needs the distances again: nap analyze --min-samples N (into the same results file reuses the activations)',
    });
  }
  if (!values.layer) throw new InputError('--layer is required', { hint: 'name the layer, e.g. --layer conv2' });
  if (values['min-cluster-size'] === undefined) {
    throw new InputError('--min-cluster-size is required', {
      hint: 'e.g. --min-cluster-size 50 (the paper used 5; larger gives fewer, larger patterns)',
    });
  }
  const minClusterSize = wholeNumberOption(values['min-cluster-size'], '--min-cluster-size', { example: '50' })!;
  const options: ReclusterOptions = { layer: values.layer, minClusterSize };
  const selection = choiceOption(values.selection, '--selection', ['leaf', 'eom'] as const);
  if (selection) options.selection = selection;
  const epsilon = numberOption(values.epsilon, '--epsilon', { example: '0.5', min: 0 });
  if (epsilon !== undefined) options.epsilon = epsilon;
  const runId = runIdOption(values.run);
  if (runId !== undefined) options.runId = runId;
  const clusteringId = runIdOption(values.clustering, '--clustering');
  if (clusteringId !== undefined) options.clusteringId = clusteringId;
  if (values['rebuild-tree']) options.rebuildTree = true;
  if (values.data) options.data = values.data;
  const threads = wholeNumberOption(values.threads, '--threads', { example: '2', min: 1, max: 1024 });
  if (threads !== undefined) options.threads = threads;
  return { file, options, json: values.json ?? false, quiet: values.quiet ?? false };
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
