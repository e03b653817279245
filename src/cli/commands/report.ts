import path from 'node:path';
import { writeReport } from '../../engine/report.js';
import { InputError } from '../../errors.js';
import { REPORT_DEFAULTS } from '../../results/report.js';
import { onlyPositional, parseCommandArgs, runIdOption, wholeNumberOption } from '../args.js';
import { createReporter } from '../progress-reporter.js';

const HELP = `Usage: nap report <results.duckdb> -o <report.html> [--run ID] [--top N]

Writes one run as a single self-contained HTML file to send to a colleague: each layer's coverage, its
top patterns with their average images and label mix, the flow between consecutive layers, and the
triage top list (the saved triage of nap triage --save, else the members whose label disagrees with
their pattern). Images are embedded; the page makes no request to anywhere.

Options:
  -o, --output FILE   the HTML file to write (replaced when it exists)
  --run ID            run to report (default: the newest)
  --top N             patterns shown per layer, by persistence (default ${REPORT_DEFAULTS.topPatterns})`;

/** `nap report STORE -o FILE`: see HELP. */
export async function runReportCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', {
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      run: { type: 'string' },
      top: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const store = onlyPositional(positionals, 'report', 'results file', HELP);
  if (values.output === undefined) {
    throw new InputError('nap report needs -o <report.html>: the file to write', { hint: HELP });
  }
  const topPatterns = wholeNumberOption(values.top, '--top', { example: '20', min: 1 });
  const reporter = createReporter();
  const result = await writeReport(
    { store, out: values.output, runId: runIdOption(values.run), ...(topPatterns ? { topPatterns } : {}) },
    { onProgress: reporter.progress, signal },
  );
  reporter.done();
  const relative = path.relative(process.cwd(), result.out);
  const patterns = result.data.layers.reduce((sum, layer) => sum + layer.patterns.length, 0);
  console.log(
    `Wrote the report of run ${result.runId} to ${relative.startsWith('..') ? result.out : relative}: ${(result.bytes / (1024 * 1024)).toFixed(2)} MB, ${result.data.layers.length} layers, ${patterns} patterns (${result.images} average images), ${result.thumbnails} triage thumbnails, ${result.data.flows.length} layer flows, triage ${result.data.triage?.source ?? 'none'}.`,
  );
  return 0;
}
