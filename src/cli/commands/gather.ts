import { gather } from '../../distributed/gather.js';
import { InputError } from '../../errors.js';
import { parseCommandArgs, wholeNumberOption } from '../args.js';
import { withProgress } from '../store-command.js';
import { formatSummary } from './analyze.js';

const HELP = `Usage: nap gather --shared DIR --out results.duckdb [--threads N] [--json] [--quiet]

Builds the results file of a run whose shards were written by 'nap worker --shard i/N' (or JOB_COMPLETION_INDEX):
every shard is checked (its record, each file's size and SHA-256), then normalized, clustered, mapped and stored
exactly as 'nap analyze' does in one process. A missing or damaged shard is named, and nothing is written.
The model and dataset of the run must be at the paths the workers used. Run it again to resume.`;

export async function runGatherCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('gather', {
    args: argv,
    allowPositionals: true,
    options: {
      shared: { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}'`, { hint: HELP });
  if (!values.shared || !values.out) {
    throw new InputError(`--${values.shared ? 'out' : 'shared'} is required`, { hint: HELP });
  }
  const threads = wholeNumberOption(values.threads, '--threads', { example: '2', min: 1, max: 1024 });
  const json = values.json ?? false;
  const result = await withProgress(json || (values.quiet ?? false), signal, (control) =>
    gather({ folder: values.shared!, out: values.out!, ...(threads !== undefined ? { threads } : {}) }, control),
  );
  console.log(json ? JSON.stringify({ ...result, run: result.run.key }, null, 2) : formatSummary(result));
  return 0;
}
