import { writeFile } from 'node:fs/promises';
import { TRIAGE_OPTIONS, triageRun } from '../../engine/triage.js';
import { triageCsv, triageJson, triageRecords } from '../../engine/static/triage-records.js';
import { choice, text, valueOption, wholeNumber } from '../../options/schema.js';
import { withStore } from '../store-command.js';
import { triageResponse } from '../../server/insight-routes.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';
import { pickRun } from './flow.js';

const TRIAGE_FORMATS = ['csv', 'json'] as const;

const TRIAGE_CLI = TRIAGE_OPTIONS.extend<{
  run?: number;
  limit?: number;
  format?: (typeof TRIAGE_FORMATS)[number];
  out?: string;
}>({
  run: { ...runOption, help: 'run to examine (default: the newest)' },
  limit: valueOption(wholeNumber({ example: 100, min: 1 }), { flag: 'limit', help: 'only the N highest-ranked rows' }),
  format: valueOption(choice(TRIAGE_FORMATS), { flag: 'format', help: 'csv or json', default: 'csv' }),
  out: valueOption(text({ example: 'triage.csv', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'write to FILE instead of standard output',
  }),
});

const HELP = `Usage: nap triage <results.duckdb> [--run ID] [--layer L] [--pattern P] [--reason R] [--format csv|json] [--out FILE]

Inputs worth a second look: members of a pattern whose label differs from the pattern's majority label
(likely label errors or ambiguous inputs) or from the model's prediction, most outlying (GLOSH outlier
score) first. One row per layer and input, with file, label, prediction, pattern and scores.

Options:
${TRIAGE_CLI.help()}`;

/** `nap triage`: the triage candidates of a run as CSV or JSON (stdout or --out); a summary goes to stderr. */
export const runTriageCommand = cliCommand(TRIAGE_CLI, async (argv) => {
  const { options, positionals, help } = parseOptions(TRIAGE_CLI, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'triage', 'results file', HELP);
  const { run: runId, limit, format = 'csv', out, ...triage } = options;
  const { text: written, summary } = await withStore(file, { readOnly: true }, async (store) => {
    const run = await pickRun(store, runId, file);
    const result = await triageRun(store, run.runId, triage);
    const reason = triage.reason ?? 'any';
    const response = triageResponse(result, reason, limit ?? Number.MAX_SAFE_INTEGER);
    const records = triageRecords(response);
    const shown = records.length < response.total ? `${records.length} of ${response.total}` : `${response.total}`;
    return {
      text: format === 'csv' ? triageCsv(records) : triageJson(run.runId, reason, records),
      summary: `nap triage: ${shown} candidates in ${result.layers.map((l) => l.layer).join(', ') || 'no layer'} of run ${run.runId} (${run.name})`,
    };
  });
  if (out !== undefined) {
    await writeFile(out, written);
    console.error(`${summary}; wrote ${out}`);
  } else {
    process.stdout.write(written);
    console.error(summary);
  }
  return 0;
});
