import { resumeCommand } from '../../engine/run-config.js';
import { summarizeRun, formatRunSummary } from '../../engine/summary.js';
import { OptionSchema, switchOption } from '../../options/schema.js';
import { withStore } from '../store-command.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';
import { pickRun } from './flow.js';

const SUMMARY_OPTIONS = new OptionSchema<{ run?: number; json?: boolean }>('summary', {
  run: runOption,
  json: switchOption({ flag: 'json', help: 'print JSON' }),
});

const HELP = `Usage: nap summary <results.duckdb> [--run ID] [--json]

Prints every layer's patterns (size, persistence, top labels) and noise share for a run (default: the newest).

Options:
${SUMMARY_OPTIONS.help()}`;

export const runSummaryCommand = cliCommand(SUMMARY_OPTIONS, async (argv) => {
  const { options, positionals, help } = parseOptions(SUMMARY_OPTIONS, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'summary', 'results file', HELP);
  return withStore(file, { readOnly: true }, async (store) => {
    const run = await pickRun(store, options.run, file);
    const layers = await summarizeRun(store, run.runId);
    const resume = run.status === 'interrupted' || run.status === 'failed' ? resumeCommand(run, store.path) : null;
    const resumeLine = resume === null ? '' : `\nresume it with: ${resume}`;
    console.log(
      options.json
        ? JSON.stringify({ run, resumeCommand: resume, layers }, null, 2)
        : `run ${run.runId}: ${run.name} (${run.status})${resumeLine}\n\n${formatRunSummary(layers)}`,
    );
    return 0;
  });
});
