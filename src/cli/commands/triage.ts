import { writeFile } from 'node:fs/promises';
import { csvText } from '../../results/csv.js';
import { TRIAGE_LISTS, triageTable, type TriageTable } from '../../engine/triage-listing.js';
import { triageToSave } from '../../engine/triage-save.js';
import { scoreRun, TRIAGE_SCORE_OPTIONS, type RunTriage } from '../../engine/triage-scores.js';
import { InputError } from '../../errors.js';
import { writeParquet } from '../../io/parquet.js';
import { choice, realNumber, switchOption, text, valueOption, wholeNumber } from '../../options/schema.js';
import { withProgress, withStore } from '../store-command.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';
import { pickRun } from './flow.js';

const TRIAGE_FORMATS = ['csv', 'json', 'parquet'] as const;

const TRIAGE_CLI = TRIAGE_SCORE_OPTIONS.extend<{
  run?: number;
  list?: (typeof TRIAGE_LISTS)[number];
  format?: (typeof TRIAGE_FORMATS)[number];
  limit?: number;
  minScore?: number;
  out?: string;
  save?: boolean;
  quiet?: boolean;
}>({
  run: { ...runOption, help: 'run to examine (default: the newest)' },
  list: valueOption(choice(TRIAGE_LISTS), {
    flag: 'list',
    help: 'labels, outliers (kNN distance and GLOSH, needs no label) or duplicates (same input, same activations, near-duplicates)',
    default: 'labels',
  }),
  format: valueOption(choice(TRIAGE_FORMATS), {
    flag: 'format',
    help: 'parquet needs --out',
    default: 'csv',
  }),
  limit: valueOption(wholeNumber({ example: 100, min: 1 }), { flag: 'limit', help: 'only the first N rows' }),
  minScore: valueOption(realNumber({ example: 0.5, placeholder: 'S' }), {
    flag: 'min-score',
    help: 'only rows whose score is at least S',
  }),
  out: valueOption(text({ example: 'leads.csv', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'write to FILE instead of standard output',
  }),
  save: switchOption({
    flag: 'save',
    help: "also store the scores, outliers and duplicates in the results file, for the app's triage and model-errors views (replaces the run's saved triage)",
  }),
  quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
});

const HELP = `Usage: nap triage <results.duckdb> [options]

Label errors and model errors. Every labelled input, noise included, best lead first: its file, given
label, suggested label (its neighbours' majority), the combined score and each score it comes from
(the model's probability of the label, the margin to the next class, the share of its k nearest
neighbours in every layer with its label, the share of its pattern's members with its label), the
layer where its neighbours disagree most, and a one-line reason.

Options:
${TRIAGE_CLI.help()}`;

/** The JSON document: run, how the scores were made, per-layer probe accuracy, and the rows as objects. */
function triageJson(triage: RunTriage, list: string, table: TriageTable): string {
  return `${JSON.stringify(
    {
      runId: triage.runId,
      list,
      probabilities: triage.probabilitySource,
      inSample: triage.inSample,
      settings: triage.settings,
      layers: triage.layers.map((l) => ({
        layer: l.layer,
        probeAccuracy: Number.isNaN(l.probe.accuracy) ? null : l.probe.accuracy,
        combined: l.combined,
      })),
      count: table.rows.length,
      rows: table.rows.map((row) => Object.fromEntries(table.columns.map((name, c) => [name, row[c]]))),
    },
    null,
    2,
  )}\n`;
}

/** `nap triage`: a run's label leads, outliers or duplicates as CSV, JSON or Parquet; a summary goes to stderr. */
export const runTriageCommand = cliCommand(TRIAGE_CLI, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(TRIAGE_CLI, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'triage', 'results file', HELP);
  const {
    run: runId,
    list = 'labels',
    format = 'csv',
    limit,
    minScore,
    out,
    save = false,
    quiet = false,
    ...scoreOptions
  } = options;
  if (format === 'parquet' && out === undefined) {
    throw new InputError('--format parquet needs --out: Parquet is a binary file', { hint: 'add --out leads.parquet' });
  }
  const { triage, table } = await withStore(file, { readOnly: !save }, async (store) => {
    const run = await pickRun(store, runId, file);
    const triage = await withProgress(quiet, signal, (control) => scoreRun(store, run.runId, scoreOptions, control));
    if (save) await store.saveTriage(triageToSave(triage));
    return { triage, table: triageTable(triage, list, { limit, minScore }) };
  });
  const combinedLayers = triage.layers.filter((l) => l.combined).map((l) => l.layer);
  const { earlyLayer, earlyLayerWeight } = triage.settings;
  if (earlyLayer !== null) combinedLayers.push(`${earlyLayer} (early layer, weight ${earlyLayerWeight})`);
  const summary =
    `nap triage: ${table.rows.length} ${list} rows of run ${triage.runId}; probabilities: ${triage.probabilitySource}` +
    `${triage.inSample ? ' (in-sample)' : ''}; kNN k=${triage.settings.k} ${triage.settings.metric} ${triage.settings.knn}` +
    `; combined layers: ${combinedLayers.join(', ') || 'none'}${save ? '; saved to the results file' : ''}`;
  if (format === 'parquet') {
    await writeParquet(out!, table.columns, table.rows);
    console.error(`${summary}; wrote ${out}`);
    return 0;
  }
  const written = format === 'csv' ? csvText(table.columns, table.rows) : triageJson(triage, list, table);
  if (out !== undefined) {
    await writeFile(out, written);
    console.error(`${summary}; wrote ${out}`);
  } else {
    process.stdout.write(written);
    if (!quiet) console.error(summary);
  }
  return 0;
});
