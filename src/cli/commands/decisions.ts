import { writeFile } from 'node:fs/promises';
import { OptionSchema, text, valueOption } from '../../options/schema.js';
import { NotesFile, notesPathOf } from '../../results/node/notes-file.js';
import { decisionsOf } from '../../results/notes.js';
import { relabellingCsv } from '../../results/relabel-csv.js';
import { withStore } from '../store-command.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';
import { pickRun } from './flow.js';

const DECISIONS_OPTIONS = new OptionSchema<{ run?: number; out?: string }>('decisions', {
  run: { ...runOption, help: 'run whose decisions to write (default: the newest)' },
  out: valueOption(text({ example: 'relabel.csv', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'write to FILE instead of standard output',
  }),
});

const HELP = `Usage: nap decisions <results.duckdb> [--run ID] [--out relabel.csv]

The relabelling file of the decisions made in the app's Label errors view ("label error", "fine",
"unsure"; kept beside the results in <results.duckdb>.nap-notes.json): one CSV row per decided input,
by input index, with columns input, file, given_label, decided_label (the chosen label for a label
error, the given one for fine, empty for unsure) and decision. Cells are safe to open in a spreadsheet.

Options:
${DECISIONS_OPTIONS.help()}`;

/** `nap decisions`: a run's label decisions from the notes sidecar as the relabelling CSV. */
export const runDecisionsCommand = cliCommand(DECISIONS_OPTIONS, async (argv) => {
  const { options, positionals, help } = parseOptions(DECISIONS_OPTIONS, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'decisions', 'results file', HELP);
  const notesFile = notesPathOf(file);
  const { runId, csv, count } = await withStore(file, { readOnly: true }, async (store) => {
    const run = await pickRun(store, options.run, file);
    const decisions = [...decisionsOf(await new NotesFile(notesFile).read(), run.runId).values()];
    const inputs = await store.readInputs(
      run.runId,
      Int32Array.from(decisions, (d) => d.input),
    );
    const rowOf = new Map(Array.from(inputs.index, (input, row) => [input, row]));
    const csv = relabellingCsv(decisions, (input) => {
      const row = rowOf.get(input);
      return row === undefined ? undefined : { path: inputs.path[row] ?? null, label: inputs.label[row] ?? null };
    });
    return { runId: run.runId, csv, count: decisions.length };
  });
  if (options.out === undefined) process.stdout.write(csv);
  else await writeFile(options.out, csv);
  console.error(
    `nap decisions: ${count} decided inputs of run ${runId} from ${notesFile}${options.out ? ` written to ${options.out}` : ''}`,
  );
  return 0;
});
