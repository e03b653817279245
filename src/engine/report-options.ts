/** The options of `writeReport` and `nap report` (see src/options/schema.ts). */
import { libraryOption, OptionSchema, text, valueOption, wholeNumber } from '../options/schema.js';
import { REPORT_DEFAULTS } from '../results/report.js';

export interface ReportFileOptions {
  /** The results file; opened read-only. */
  store: string;
  /** The HTML file to write (replaced when it exists; its folder must exist). */
  out: string;
  /** Run to report; default the newest. */
  runId?: number;
  /** Patterns shown per layer, by persistence; default 20. */
  topPatterns?: number;
}

export const REPORT_OPTIONS = new OptionSchema<ReportFileOptions>('report', {
  out: valueOption(text({ example: 'report.html', placeholder: 'FILE' }), {
    flag: 'output',
    short: 'o',
    help: 'the HTML file to write (replaced when it exists)',
    required: true,
  }),
  store: libraryOption(text({ example: 'results.duckdb' }), { help: 'the results file', required: true }),
  runId: valueOption(wholeNumber({ example: 1, min: 1, placeholder: 'ID' }), {
    flag: 'run',
    help: 'run to report (default: the newest)',
  }),
  topPatterns: valueOption(wholeNumber({ example: REPORT_DEFAULTS.topPatterns, min: 1 }), {
    flag: 'top',
    help: 'patterns shown per layer, by persistence',
    default: REPORT_DEFAULTS.topPatterns,
  }),
});
