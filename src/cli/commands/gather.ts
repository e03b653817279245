import { gather, GATHER_OPTIONS } from '../../distributed/gather.js';
import { InputError } from '../../errors.js';
import { cliCommand, parseOptions } from '../args.js';
import { withProgress } from '../store-command.js';
import { formatSummary, OUTPUT_FIELDS } from './analyze.js';

const GATHER_CLI = GATHER_OPTIONS.extend<{ json?: boolean; quiet?: boolean }>(OUTPUT_FIELDS);

const HELP = `Usage: nap gather --shared DIR --out results.duckdb [--threads N] [--json] [--quiet]

Builds the results file of a run whose shards were written by 'nap worker --shard i/N' (or JOB_COMPLETION_INDEX):
every shard is checked (its record, each file's size and SHA-256), then normalized, clustered, mapped and stored
exactly as 'nap analyze' does in one process. A missing or damaged shard is named, and nothing is written.
The model and dataset of the run must be at the paths the workers used. Run it again to resume.

Options:
${GATHER_CLI.help()}`;

export const runGatherCommand = cliCommand(GATHER_CLI, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(GATHER_CLI, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}'`, { hint: HELP });
  const { json = false, quiet = false, folder, out, threads } = options;
  const result = await withProgress(json || quiet, signal, (control) =>
    gather({ folder: folder!, out: out!, ...(threads !== undefined ? { threads } : {}) }, control),
  );
  console.log(json ? JSON.stringify({ ...result, run: result.run.key }, null, 2) : formatSummary(result));
  return 0;
});
