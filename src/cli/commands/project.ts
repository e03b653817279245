import { storeRunProjections, type LayerProjection, type RunProjectionsOptions } from '../../engine/project-layer.js';
import { PROJECTION_FIELDS } from '../../engine/projection-options.js';
import { PROJECTION_METHODS } from '../../io/store/index.js';
import {
  choice,
  OptionSchema,
  repeatedOption,
  switchedChoice,
  switchOption,
  text,
  valueOption,
} from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';
import { withProgress, withStore } from '../store-command.js';
import { pickRun } from './flow.js';

const PROJECT_OPTIONS = new OptionSchema<RunProjectionsOptions & { run?: number; json?: boolean; quiet?: boolean }>(
  'project',
  {
    run: runOption,
    layers: repeatedOption(text({ example: 'conv1', placeholder: 'LAYER' }), {
      flag: 'layer',
      help: 'a layer to project (repeatable; default: every layer of the run)',
    }),
    ...PROJECTION_FIELDS,
    method: valueOption(choice(PROJECTION_METHODS), { flag: 'method', help: 'umap or pca', default: 'umap' }),
    existing: switchedChoice(
      { off: 'update', on: 'replace' },
      { flag: 'force', help: 'recompute even the maps stored with the same parameters' },
    ),
    json: switchOption({ flag: 'json', help: 'print the result as JSON' }),
    quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
  },
);

const HELP = `Usage: nap project <results.duckdb> [--run ID] [--layer LAYER ...] [--method umap|pca] [options]

Adds (or recomputes) the 2-D map of each layer of a run: UMAP, or PCA, of the layer's normalized aggregated
activations (the vectors that were clustered). \`nap analyze\` stores a UMAP map of every layer already; use
this command for a store made without one (--projection none) or to redo them with other parameters.
\`nap serve\` shows the maps in the web app. A layer whose stored map was made with the same method and
parameters is kept; other maps of the asked layers are replaced.

Options:
${PROJECT_OPTIONS.help()}`;

export const runProjectCommand = cliCommand(PROJECT_OPTIONS, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(PROJECT_OPTIONS, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'project', 'results file', HELP);
  const { run: runId, json = false, quiet = false, existing = 'update', ...projection } = options;
  return withStore(file, { mustExist: true }, async (store) => {
    const run = await pickRun(store, runId, file);
    const started = Date.now();
    const projections = await withProgress(quiet || json, signal, (control) =>
      storeRunProjections(store, run.runId, { ...projection, existing }, control),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      json
        ? JSON.stringify({ runId: run.runId, seconds, projections }, null, 2)
        : formatResult(run.runId, projections, seconds),
    );
    return 0;
  });
});

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
