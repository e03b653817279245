import {
  computePatternHeatmaps,
  HEATMAP_OPTIONS,
  type HeatmapOptions,
  type HeatmapsResult,
} from '../../engine/heatmaps.js';
import { switchOption } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';
import { withProgress, withStore } from '../store-command.js';

const HEATMAPS_CLI = HEATMAP_OPTIONS.extend<{ json?: boolean; quiet?: boolean }>({
  json: switchOption({ flag: 'json', help: 'print the result as JSON (mean heatmaps included)' }),
  quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
});

const HELP = `Usage: nap heatmaps <results.duckdb> --layer LAYER [--run ID] [--pattern P[,P...]] [options]

Where each pattern of a convolutional layer lives in the image: re-runs the run's model over the members of
the layer's patterns and stores, for every member, a heatmap of how close each spatial position is to its
pattern's centroid (max(0, cos(v - b, c - b)) with v the position's normalized units, c the centroid, b the
layer's mean), and each pattern's mean heatmap. \`nap serve\` shows them as overlays. Heatmaps stored before
for the same patterns are replaced.

Options:
${HEATMAPS_CLI.help()}`;

/** Characters from low to high for printing a mean heatmap in the terminal. */
const SHADES = ' .:-=+*#%@';
/** Mean heatmaps wider than this are printed downsampled. */
const MAX_PRINT_WIDTH = 48;

export const runHeatmapsCommand = cliCommand(HEATMAPS_CLI, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(HEATMAPS_CLI, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'heatmaps', 'results file', HELP);
  const { json = false, quiet = false, ...heatmapOptions } = options;
  return withStore(file, { mustExist: true }, async (store) => {
    const result = await withProgress(quiet || json, signal, (control) =>
      computePatternHeatmaps(store, heatmapOptions as HeatmapOptions, control),
    );
    console.log(json ? JSON.stringify(resultJson(result), null, 2) : formatResult(result));
    return 0;
  });
});

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
