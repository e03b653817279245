import { analyze, type AnalyzeResult } from '../../engine/analyze.js';
import { ANALYZE_OPTIONS, type AnalyzeOptions } from '../../engine/config.js';
import { formatCoverage, percent } from '../../engine/coverage.js';
import { CancelledError, InputError } from '../../errors.js';
import { switchOption } from '../../options/schema.js';
import { cliCommand, parseOptions } from '../args.js';
import { createReporter } from '../progress-reporter.js';

const ANALYZE_CLI = ANALYZE_OPTIONS.extend<{ json?: boolean; quiet?: boolean }>({
  json: switchOption({ flag: 'json', help: 'print the result as JSON on stdout' }),
  quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
});

const HELP = `Usage: nap analyze --model m.onnx --data <dir|manifest|idx|mnist|fashion-mnist> --out results.duckdb [options]

Runs the model over the dataset, aggregates and normalizes every layer, finds its patterns (HDBSCAN*) and
stores everything in the results file. Interrupted, the same command resumes where it stopped.

Options:
${ANALYZE_CLI.help()}`;

export function parseAnalyzeArgs(argv: string[]): { options: AnalyzeOptions; json: boolean; quiet: boolean } | 'help' {
  const { options, positionals, help } = parseOptions(ANALYZE_CLI, argv);
  if (help) return 'help';
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}'`, { hint: HELP });
  const { json, quiet, ...analyzeOptions } = options;
  return { options: analyzeOptions as AnalyzeOptions, json: json ?? false, quiet: quiet ?? false };
}

export function formatSummary(result: AnalyzeResult): string {
  const lines = result.layers.map(
    (l) =>
      `  ${l.layer}: ${l.patterns} patterns, ${percent(l.noise, l.inputs)} noise (${l.inputs} inputs); ${formatCoverage(l.coverage)}`,
  );
  const skipped =
    result.skipped.length > 0
      ? `\n${result.skipped.length} unreadable images were skipped, e.g. ${result.skipped[0]!.path}: ${result.skipped[0]!.reason}`
      : '';
  return `run ${result.runId}${result.reusedActivations ? ' (stored activations reused)' : ''}\n${lines.join('\n')}${skipped}`;
}

export const runAnalyzeCommand = cliCommand(ANALYZE_CLI, async (argv, signal) => {
  const parsed = parseAnalyzeArgs(argv);
  if (parsed === 'help') {
    console.log(HELP);
    return 0;
  }
  const reporter = createReporter(process.stderr, { quiet: parsed.quiet || parsed.json });
  try {
    const result = await analyze(parsed.options, { onProgress: reporter.progress, ...(signal ? { signal } : {}) });
    reporter.done();
    console.log(parsed.json ? JSON.stringify(result, null, 2) : formatSummary(result));
    return 0;
  } catch (error) {
    reporter.done();
    if (error instanceof CancelledError) {
      console.error(`Stopped. Finished work is stored in ${parsed.options.out}: run the same command again to resume.`);
      return 130;
    }
    throw error;
  }
});
