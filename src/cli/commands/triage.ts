import { writeFile } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { TRIAGE_REASONS, type TriageReasonFilter } from '../../results/api-types.js';
import { triageCsv, triageJson, triageRecords } from '../../results/triage-records.js';
import { storeResults } from '../../results/node/duckdb-reader.js';
import { withStore } from '../store-command.js';
import { choiceOption, onlyPositional, parseCommandArgs, runIdOption, wholeNumberOption } from '../args.js';
import { pickRun } from './flow.js';

const HELP = `Usage: nap triage <results.duckdb> [--run ID] [--layer L] [--pattern P] [--reason R] [--format csv|json] [--out FILE]

Inputs worth a second look: members of a pattern whose label differs from the pattern's majority label
(likely label errors or ambiguous inputs) or from the model's prediction, most outlying (GLOSH outlier
score) first. One row per layer and input, with file, label, prediction, pattern and scores.

Options:
  --run ID         run to examine (default: the newest)
  --layer L        only this layer (default: every layer with patterns)
  --pattern P      only pattern P of --layer
  --reason R       any (default: either disagreement), majority or prediction
  --limit N        only the N highest-ranked rows
  --format F       csv (default) or json
  --out FILE       write to FILE instead of standard output`;

const TRIAGE_FORMATS = ['csv', 'json'] as const;

interface TriageArgs {
  file: string;
  run: number | undefined;
  layer: string | undefined;
  pattern: number | undefined;
  reason: TriageReasonFilter;
  limit: number | undefined;
  format: (typeof TRIAGE_FORMATS)[number];
  out: string | undefined;
}

function parseTriageArgs(argv: string[]): TriageArgs | undefined {
  const { values, positionals } = parseCommandArgs('triage', {
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      layer: { type: 'string' },
      pattern: { type: 'string' },
      reason: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'triage', 'results file', HELP);
  if (values.pattern !== undefined && values.layer === undefined) {
    throw new InputError(`--pattern ${values.pattern} needs --layer: pattern ids are per layer`, {
      hint: 'add --layer <layer name>',
    });
  }
  return {
    file,
    run: runIdOption(values.run),
    layer: values.layer,
    pattern: wholeNumberOption(values.pattern, '--pattern', { example: '0' }),
    reason: choiceOption(values.reason, '--reason', TRIAGE_REASONS) ?? 'any',
    limit: wholeNumberOption(values.limit, '--limit', { example: '100', min: 1 }),
    format: choiceOption(values.format, '--format', TRIAGE_FORMATS) ?? 'csv',
    out: values.out,
  };
}

/** `nap triage`: the triage candidates of a run as CSV or JSON (stdout or --out); a summary goes to stderr. */
export async function runTriageCommand(argv: string[]): Promise<number> {
  const args = parseTriageArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  const { text, summary } = await withStore(args.file, { readOnly: true }, async (store) => {
    const run = await pickRun(store, args.run, args.file);
    const response = await storeResults(store).triage({
      runId: run.runId,
      layer: args.layer,
      pattern: args.pattern,
      reason: args.reason,
      limit: args.limit,
    });
    const records = triageRecords(response);
    const shown = records.length < response.total ? `${records.length} of ${response.total}` : `${response.total}`;
    return {
      text: args.format === 'csv' ? triageCsv(records) : triageJson(run.runId, args.reason, records),
      summary: `nap triage: ${shown} candidates in ${response.layers.map((l) => l.layer).join(', ') || 'no layer'} of run ${run.runId} (${run.name})`,
    };
  });
  if (args.out !== undefined) {
    await writeFile(args.out, text);
    console.error(`${summary}; wrote ${args.out}`);
  } else {
    process.stdout.write(text);
    console.error(summary);
  }
  return 0;
}
