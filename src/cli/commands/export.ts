import path from 'node:path';
import { exportStaticSite } from '../../engine/export-static.js';
import { EXPORT_OPTIONS, type StaticExportOptions } from '../../engine/export-options.js';
import { InputError } from '../../errors.js';
import { switchOption } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseCommandArgs, parseOptions } from '../args.js';
import { createReporter } from '../progress-reporter.js';

const EXPORT_CLI = EXPORT_OPTIONS.extend<{ noThumbnails?: boolean }>({
  noThumbnails: switchOption({ flag: 'no-thumbnails', help: 'no thumbnails (the dataset need not be available)' }),
});

const HELP = `Usage: nap export --static <dir> <results.duckdb> [--run ID] [--thumbnail-size N | --no-thumbnails]

Writes one run as a self-contained static web site into <dir>: the Magnifying Glass app with the run's
tables (inputs, patterns, memberships, statistics, max activations, maps, flows) as Arrow files, over
which the browser answers every view as nap serve does, and thumbnails, average images and every stored
heatmap as PNG files. Open it from any static file host (GitHub Pages, S3, python -m
http.server): no server logic is needed, and links to views and patterns work. Comparing runs needs
nap serve and is left out. <dir> must be new, empty, or an earlier export (recognised by the .nap-export
file every export writes), which is replaced once the new site is complete; a failed export changes nothing.

Options:
${EXPORT_CLI.help()}`;

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** `nap export --static DIR STORE`: see HELP. */
export const runExportCommand = cliCommand(EXPORT_CLI, async (argv, signal) => {
  const { values } = parseCommandArgs('export', {
    args: argv,
    allowPositionals: true,
    options: EXPORT_CLI.parseArgsOptions(),
  });
  if (values.help === true) {
    console.log(HELP);
    return 0;
  }
  if (values.static === undefined)
    throw new InputError('nap export needs --static <dir>: the only export is a static site', { hint: HELP });
  const { options, positionals } = parseOptions(EXPORT_CLI, argv);
  const store = onlyPositional(positionals, 'export', 'results file', HELP);
  const { noThumbnails, ...exportOptions } = options;
  if (noThumbnails && exportOptions.thumbnails !== undefined) {
    throw new InputError('--thumbnail-size and --no-thumbnails contradict each other', { hint: 'pass one of them' });
  }
  const reporter = createReporter();
  const result = await exportStaticSite(
    { ...(exportOptions as StaticExportOptions), store, ...(noThumbnails ? { thumbnails: false } : {}) },
    { onProgress: reporter.progress, ...(signal ? { signal } : {}) },
  );
  reporter.done();
  const relative = path.relative(process.cwd(), result.out);
  const where = relative === '' ? '.' : relative.startsWith('..') ? result.out : relative;
  console.log(
    `Exported run ${result.runId} to ${where}/: ${result.files} files, ${megabytes(result.bytes)} (${result.thumbnails} thumbnails, ${result.averageImages} average images, ${result.heatmaps} heatmaps, ${result.featureImages} feature visualizations).`,
  );
  console.log(`Open ${where}/index.html through any static file host, e.g. python3 -m http.server -d ${where}`);
  return 0;
});
