import { computePatternHeatmaps, type HeatmapOptions, type HeatmapsResult } from '../../engine/heatmaps.js';
import { InputError } from '../../errors.js';
import { onlyPositional, parseCommandArgs, runIdOption, wholeNumberListOption, wholeNumberOption } from '../args.js';
import { withProgress, withStore } from '../store-command.js';

const HELP = `Usage: nap heatmaps <results.duckdb> --layer LAYER [--run ID] [--pattern P[,P...]] [options]

Where each pattern of a convolutional layer lives in the image: re-runs the run's model over the members of
the layer's patterns and stores, for every member, a heatmap of how close each spatial position is to its
pattern's centroid (max(0, cos(v - b, c - b)) with v the position's normalized units, c the centroid, b the
layer's mean), and each pattern's mean heatmap. \`nap serve\` shows them as overlays. Heatmaps stored before
for the same patterns are replaced.

Options:
  --layer LAYER        the layer (required; must have spatial positions)
  --run ID             run (default: the newest)
  --pattern P[,P...]   patterns (default: every pattern of the layer)
  --clustering ID      layer clustering (default: the layer's newest)
  --model PATH         the analysed model file, when it moved (checked by SHA-256)
  --data SPEC          the analysed dataset, when it moved
  --batch-size N       inputs per forward pass (default 32)
  --threads N          onnxruntime threads (default: all cores)
  --json               print the result as JSON (mean heatmaps included)
  --quiet              no progress output`;

/** Characters from low to high for printing a mean heatmap in the terminal. */
const SHADES = ' .:-=+*#%@';
/** Mean heatmaps wider than this are printed downsampled. */
const MAX_PRINT_WIDTH = 48;

export async function runHeatmapsCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const args = parseHeatmapArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  return withStore(args.file, { mustExist: true }, async (store) => {
    const result = await withProgress(args.quiet || args.json, signal, (control) =>
      computePatternHeatmaps(store, args.options, control),
    );
    console.log(args.json ? JSON.stringify(resultJson(result), null, 2) : formatResult(result));
    return 0;
  });
}

interface HeatmapArgs {
  file: string;
  options: HeatmapOptions;
  json: boolean;
  quiet: boolean;
}

function parseHeatmapArgs(argv: string[]): HeatmapArgs | undefined {
  const { values, positionals } = parseCommandArgs('heatmaps', {
    args: argv,
    allowPositionals: true,
    options: {
      layer: { type: 'string' },
      run: { type: 'string' },
      pattern: { type: 'string' },
      clustering: { type: 'string' },
      model: { type: 'string' },
      data: { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'heatmaps', 'results file', HELP);
  if (values.layer === undefined)
    throw new InputError('nap heatmaps needs --layer', {
      hint: 'name a convolutional layer of the run, e.g. --layer conv2 (nap summary lists them)',
    });
  const options: HeatmapOptions = { layer: values.layer };
  const run = runIdOption(values.run);
  if (run !== undefined) options.runId = run;
  const clustering = wholeNumberOption(values.clustering, '--clustering', { example: '3', min: 1 });
  if (clustering !== undefined) options.clusteringId = clustering;
  const patterns = wholeNumberListOption(values.pattern, '--pattern', { example: '0,2' });
  if (patterns !== undefined) options.patterns = patterns;
  if (values.model !== undefined) options.model = values.model;
  if (values.data !== undefined) options.data = values.data;
  const batchSize = wholeNumberOption(values['batch-size'], '--batch-size', { example: '32', min: 1 });
  if (batchSize !== undefined) options.batchSize = batchSize;
  const threads = wholeNumberOption(values.threads, '--threads', { example: '2', min: 1 });
  if (threads !== undefined) options.threads = threads;
  return { file, options, json: values.json ?? false, quiet: values.quiet ?? false };
}

/** The heatmap as rows of shade characters, downsampled (nearest) to at most MAX_PRINT_WIDTH columns. */
function shadeRows(values: Float32Array, height: number, width: number): string[] {
  const step = Math.max(1, Math.ceil(width / MAX_PRINT_WIDTH));
  const rows: string[] = [];
  for (let y = 0; y < height; y += step) {
    let line = '';
    for (let x = 0; x < width; x += step)
      line += SHADES[Math.min(SHADES.length - 1, Math.floor(values[y * width + x]! * SHADES.length))];
    rows.push(`    |${line}|`);
  }
  return rows;
}

function formatResult(result: HeatmapsResult): string {
  const lines = [
    `run ${result.runId}, layer ${result.layer} (clustering ${result.clusteringId}): heatmaps of ${result.height} x ${result.width} positions, shown over ${result.imageHeight} x ${result.imageWidth} images`,
    `mean heatmaps (0 '${SHADES[0]}' .. 1 '${SHADES[SHADES.length - 1]}'):`,
  ];
  for (const pattern of result.patterns) {
    const peak = pattern.mean.reduce((best, value, p) => (value > pattern.mean[best]! ? p : best), 0);
    lines.push(
      '',
      `  pattern ${pattern.patternId}: ${pattern.members} members, peak ${pattern.mean[peak]!.toFixed(2)} at row ${Math.floor(peak / result.width)}, column ${peak % result.width}`,
    );
    if (pattern.members > 0) lines.push(...shadeRows(pattern.mean, result.height, result.width));
  }
  if (result.skipped.length > 0) {
    const first = result.skipped[0]!;
    lines.push(
      '',
      `${result.skipped.length} members left out (e.g. input ${first.inputIndex}${first.path ? ` ${first.path}` : ''}: ${first.reason})`,
    );
  }
  return lines.join('\n');
}

function resultJson(result: HeatmapsResult): unknown {
  return { ...result, patterns: result.patterns.map((pattern) => ({ ...pattern, mean: Array.from(pattern.mean) })) };
}
