import { parseArgs } from 'node:util';
import { summarizeRun, formatRunSummary } from '../../engine/summary.js';
import { InputError, NotFoundError } from '../../errors.js';
import { NapStore } from '../../io/store/index.js';

const HELP = `Usage: nap summary <results.duckdb> [--run ID] [--json]

Prints every layer's patterns (size, persistence, top labels) and noise share for a run (default: the newest).`;

export async function runSummaryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { run: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError('nap summary takes exactly one results file', { hint: HELP });
  const store = await NapStore.open(positionals[0]!, { readOnly: true });
  try {
    const runs = await store.listRuns();
    const runId = values.run !== undefined ? Number(values.run) : runs[runs.length - 1]?.runId;
    const run = runs.find((r) => r.runId === runId);
    if (!run) throw new NotFoundError(`run ${values.run ?? ''} is not in ${positionals[0]}`.trim(), { hint: `runs there: ${runs.map((r) => r.runId).join(', ') || 'none'}` });
    const layers = await summarizeRun(store, run.runId);
    console.log(values.json ? JSON.stringify({ run, layers }, null, 2) : `run ${run.runId}: ${run.name} (${run.status})\n\n${formatRunSummary(layers)}`);
    return 0;
  } finally {
    await store.close();
  }
}
