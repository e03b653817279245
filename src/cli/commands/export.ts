import path from 'node:path';
import { DEFAULT_THUMBNAIL_SIZE, exportStaticSite } from '../../engine/export-static.js';
import { InputError } from '../../errors.js';
import { onlyPositional, parseCommandArgs, runIdOption, wholeNumberOption } from '../args.js';
import { createReporter } from '../progress-reporter.js';

const HELP = `Usage: nap export --static <dir> <results.duckdb> [--run ID] [--thumbnail-size N | --no-thumbnails]

Writes one run as a self-contained static web site into <dir>: the Magnifying Glass app with the run's
tables (inputs, patterns, memberships, statistics, max activations, maps, flows) as Arrow files, over
which the browser answers every view as nap serve does, and thumbnails, average images and every stored
heatmap as PNG files. Open it from any static file host (GitHub Pages, S3, python -m
http.server): no server logic is needed, and links to views and patterns work. Comparing runs needs
nap serve and is left out. <dir> must be new, empty, or an earlier export (which is replaced).

Options:
  --static DIR         folder to write the site into
  --run ID             run to export (default: the newest)
  --thumbnail-size N   side of the input thumbnails in pixels (default ${DEFAULT_THUMBNAIL_SIZE})
  --no-thumbnails      no thumbnails (the dataset need not be available)
  --app-dir DIR        folder of the built app (default: build/app of nap-lens)`;

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** `nap export --static DIR STORE`: see HELP. */
export async function runExportCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('export', {
    args: argv,
    allowPositionals: true,
    options: {
      static: { type: 'string' },
      run: { type: 'string' },
      'thumbnail-size': { type: 'string' },
      'no-thumbnails': { type: 'boolean' },
      'app-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.static === undefined)
    throw new InputError('nap export needs --static <dir>: the only export is a static site', { hint: HELP });
  const store = onlyPositional(positionals, 'export', 'results file', HELP);
  if (values['no-thumbnails'] && values['thumbnail-size'] !== undefined) {
    throw new InputError('--thumbnail-size and --no-thumbnails contradict each other', { hint: 'pass one of them' });
  }
  const runId = runIdOption(values.run);
  const thumbnailSize = wholeNumberOption(values['thumbnail-size'], '--thumbnail-size', {
    example: String(DEFAULT_THUMBNAIL_SIZE),
    min: 1,
  });
  const reporter = createReporter();
  const result = await exportStaticSite(
    {
      store,
      out: values.static,
      runId,
      appDir: values['app-dir'],
      thumbnails: values['no-thumbnails'] ? false : thumbnailSize,
    },
    { onProgress: reporter.progress, signal },
  );
  reporter.done();
  const relative = path.relative(process.cwd(), result.out);
  const where = relative === '' ? '.' : relative.startsWith('..') ? result.out : relative;
  console.log(
    `Exported run ${result.runId} to ${where}/: ${result.files} files, ${megabytes(result.bytes)} (${result.thumbnails} thumbnails, ${result.averageImages} average images, ${result.heatmaps} heatmaps).`,
  );
  console.log(`Open ${where}/index.html through any static file host, e.g. python3 -m http.server -d ${where}`);
  return 0;
}
