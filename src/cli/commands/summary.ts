import { summarizeRun, formatRunSummary } from '../../engine/summary.js';
import { withStore } from '../store-command.js';
import { onlyPositional, parseCommandArgs, runIdOption } from '../args.js';
import { pickRun } from './flow.js';

const HELP = `Usage: nap summary <results.duckdb> [--run ID] [--json]

Prints every layer's patterns (size, persistence, top labels) and noise share for a run (default: the newest).`;

export async function runSummaryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('summary', {
    args: argv,
    allowPositionals: true,
    options: { run: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'summary', 'results file', HELP);
  const runId = runIdOption(values.run);
  return withStore(file, { readOnly: true }, async (store) => {
    const run = await pickRun(store, runId, file);
    const layers = await summarizeRun(store, run.runId);
    console.log(
      values.json
        ? JSON.stringify({ run, layers }, null, 2)
        : `run ${run.runId}: ${run.name} (${run.status})\n\n${formatRunSummary(layers)}`,
    );
    return 0;
  });
}
