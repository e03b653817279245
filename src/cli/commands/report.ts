import path from 'node:path';
import { writeReport } from '../../engine/report.js';
import { REPORT_OPTIONS, type ReportFileOptions } from '../../engine/report-options.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';
import { createReporter } from '../progress-reporter.js';

const HELP = `Usage: nap report <results.duckdb> -o <report.html> [--run ID] [--top N]

Writes one run as a single self-contained HTML file to send to a colleague: each layer's coverage, its
top patterns with their average images and label mix, the flow between consecutive layers, and the
triage top list (the saved triage of nap triage --save, else the members whose label disagrees with
their pattern), with thumbnails when the run's dataset is at hand. Images are embedded; the page makes
no request to anywhere.

Options:
${REPORT_OPTIONS.help()}`;

/** `nap report STORE -o FILE`: see HELP. */
export const runReportCommand = cliCommand(REPORT_OPTIONS, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(REPORT_OPTIONS, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const store = onlyPositional(positionals, 'report', 'results file', HELP);
  const reporter = createReporter();
  const result = await writeReport(
    { ...(options as Omit<ReportFileOptions, 'store'>), store },
    {
      onProgress: reporter.progress,
      ...(signal ? { signal } : {}),
    },
  );
  reporter.done();
  const relative = path.relative(process.cwd(), result.out);
  const patterns = result.data.layers.reduce((sum, layer) => sum + layer.patterns.length, 0);
  console.log(
    `Wrote the report of run ${result.runId} to ${relative.startsWith('..') ? result.out : relative}: ${(result.bytes / (1024 * 1024)).toFixed(2)} MB, ${result.data.layers.length} layers, ${patterns} patterns (${result.images} average images), ${result.thumbnails} triage thumbnails, ${result.data.flows.length} layer flows, triage ${result.data.triage?.source ?? 'none'}.`,
  );
  return 0;
});
