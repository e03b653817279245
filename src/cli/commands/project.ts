import { storeRunProjections, type LayerProjection, type RunProjectionsOptions } from '../../engine/project-layer.js';
import { KNN_METHODS } from '../../compute/projection/knn/index.js';
import { PROJECTION_METHODS } from '../../io/store/index.js';
import {
  choiceOption,
  numberOption,
  onlyPositional,
  parseCommandArgs,
  runIdOption,
  wholeNumberOption,
} from '../args.js';
import { withProgress, withStore } from '../store-command.js';
import { pickRun } from './flow.js';

const HELP = `Usage: nap project <results.duckdb> [--run ID] [--layer LAYER ...] [--method umap|pca] [options]

Adds (or recomputes) the 2-D map of each layer of a run: UMAP, or PCA, of the layer's normalized aggregated
activations (the vectors that were clustered). \`nap analyze\` stores a UMAP map of every layer already; use
this command for a store made without one (--projection none) or to redo them with other parameters.
\`nap serve\` shows the maps in the web app. A layer whose stored map was made with the same method and
parameters is kept; other maps of the asked layers are replaced.

Options:
  --run ID             run (default: the newest)
  --layer LAYER        a layer to project (repeatable; default: every layer of the run)
  --method M           umap (default) | pca
  --seed N             random seed (default 42); equal seeds give equal maps
  --neighbors K        UMAP neighbours per input (default 15): larger keeps more of the global structure
  --min-dist D         UMAP's smallest distance between points, 0..1 (default 0.1): smaller packs clusters tighter
  --epochs N           UMAP optimisation epochs (default 200)
  --pca-dims N         reduce to N principal components before UMAP; 0 = off (default 50 for layers wider than 100)
  --knn K              UMAP's neighbour search: exact | nn-descent (approximate) | auto
                       (default exact up to 20,000 inputs, nn-descent above)
  --threads N          worker threads (default: all cores)
  --force              recompute even the maps stored with the same parameters
  --json               print the result as JSON
  --quiet              no progress output`;

interface ProjectArgs {
  file: string;
  run: number | undefined;
  options: RunProjectionsOptions;
  json: boolean;
  quiet: boolean;
}

export async function runProjectCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const args = parseProjectArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  return withStore(args.file, { mustExist: true }, async (store) => {
    const run = await pickRun(store, args.run, args.file);
    const started = Date.now();
    const projections = await withProgress(args.quiet || args.json, signal, (control) =>
      storeRunProjections(store, run.runId, args.options, control),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      args.json
        ? JSON.stringify({ runId: run.runId, seconds, projections }, null, 2)
        : formatResult(run.runId, projections, seconds),
    );
    return 0;
  });
}

function parseProjectArgs(argv: string[]): ProjectArgs | undefined {
  const { values, positionals } = parseCommandArgs('project', {
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      layer: { type: 'string', multiple: true },
      method: { type: 'string' },
      seed: { type: 'string' },
      neighbors: { type: 'string' },
      'min-dist': { type: 'string' },
      epochs: { type: 'string' },
      'pca-dims': { type: 'string' },
      knn: { type: 'string' },
      threads: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'project', 'results file', HELP);
  const options: RunProjectionsOptions = { existing: values.force ? 'replace' : 'update' };
  if (values.layer !== undefined) options.layers = values.layer;
  // 'none' makes no sense for a command whose only job is to project.
  const method = choiceOption(values.method, '--method', PROJECTION_METHODS);
  if (method !== undefined) options.method = method;
  const seed = wholeNumberOption(values.seed, '--seed', { example: '42', min: -(2 ** 31), max: 2 ** 32 - 1 });
  if (seed !== undefined) options.seed = seed;
  const neighbors = wholeNumberOption(values.neighbors, '--neighbors', { example: '15', min: 2, max: 1000 });
  if (neighbors !== undefined) options.nNeighbors = neighbors;
  const minDist = numberOption(values['min-dist'], '--min-dist', { example: '0.1', min: 0, max: 1 });
  if (minDist !== undefined) options.minDist = minDist;
  const epochs = wholeNumberOption(values.epochs, '--epochs', { example: '200', min: 1, max: 100_000 });
  if (epochs !== undefined) options.nEpochs = epochs;
  const pcaDims = wholeNumberOption(values['pca-dims'], '--pca-dims', { example: '50', min: 0 });
  if (pcaDims !== undefined) options.pcaDims = pcaDims;
  const knn = choiceOption(values.knn, '--knn', KNN_METHODS);
  if (knn !== undefined) options.knn = knn;
  const threads = wholeNumberOption(values.threads, '--threads', { example: '2', min: 1, max: 1024 });
  if (threads !== undefined) options.threads = threads;
  return { file, run: runIdOption(values.run), options, json: values.json ?? false, quiet: values.quiet ?? false };
}

function describeParams(projection: LayerProjection): string {
  const params = projection.params as Record<string, unknown>;
  if (projection.method === 'pca') return `pca, seed ${String(params.seed)}`;
  const reduced =
    typeof params.pcaDims === 'number' && params.pcaDims > 0 ? `, ${params.pcaDims} principal components first` : '';
  return `umap, ${String(params.nNeighbors)} neighbours, min dist ${String(params.minDist)}, ${String(params.nEpochs)} epochs, seed ${String(params.seed)}${reduced}`;
}

function formatResult(runId: number, projections: LayerProjection[], seconds: number): string {
  if (projections.length === 0) return `run ${runId}: no layer to project`;
  const width = Math.max(...projections.map((p) => p.layer.length));
  const lines = projections.map((p) => {
    const what = p.computed ? 'computed' : 'kept (stored with these parameters; --force recomputes)';
    return `  ${p.layer.padEnd(width)}  ${describeParams(p)}; ${p.pointCount} inputs, ${what}`;
  });
  const computed = projections.filter((p) => p.computed).length;
  return [
    `run ${runId}: ${computed} of ${projections.length} layer maps computed in ${seconds.toFixed(1)} s`,
    ...lines,
  ].join('\n');
}
