import { writeFile } from 'node:fs/promises';
import { csvText } from '../../results/csv.js';
import { TRIAGE_LISTS, triageTable, type TriageTable } from '../../engine/triage-listing.js';
import { triageToSave } from '../../engine/triage-save.js';
import { scoreRun, type ProbabilitySource, type RunTriage } from '../../engine/triage-scores.js';
import { InputError } from '../../errors.js';
import { writeParquet } from '../../io/parquet.js';
import { withProgress, withStore } from '../store-command.js';
import {
  choiceOption,
  numberOption,
  onlyPositional,
  parseCommandArgs,
  runIdOption,
  wholeNumberOption,
} from '../args.js';
import { pickRun } from './flow.js';

const HELP = `Usage: nap triage <results.duckdb> [options]

Label errors and model errors. Every labelled input, noise included, best lead first: its file, given
label, suggested label (its neighbours' majority), the combined score and each score it comes from
(the model's probability of the label, the margin to the next class, the share of its k nearest
neighbours in every layer with its label, the share of its pattern's members with its label), the
layer where its neighbours disagree most, and a one-line reason.

Options:
  --run ID               run to examine (default: the newest)
  --list L               labels (default), outliers (kNN distance and GLOSH, needs no label) or
                         duplicates (same input, same activations, near-duplicates)
  --format F             csv (default), json or parquet (parquet needs --out)
  --limit N              only the first N rows
  --min-score S          only rows whose score is at least S
  --out FILE             write to FILE instead of standard output
  --k K                  neighbours per input (default 10)
  --metric M             euclidean, cosine or manhattan (default: the run's clustering metric)
  --knn M                auto (default: exact up to 20,000 inputs), exact or nn-descent
  --probabilities P      model (default: the model's output), none (kNN and patterns only), or
                         layer:NAME (softmax of that analyzed layer, e.g. layer:logits)
  --layers a,b           layers whose neighbours enter the combined score (default: those whose
                         kNN probe accuracy is within 0.02 of the best layer's)
  --exclude-layers a,b   never use these layers for the combined score (e.g. the classifier head)
  --in-sample            the model was trained on these inputs: its probabilities weigh less
                         (default: the run's setting, nap analyze --in-sample)
  --near-duplicates F    near-duplicate cut as a fraction of the median nearest-neighbour distance (0.1)
  --save                 also store the scores in the results file, for the app's triage and
                         model-errors views (replaces the run's saved triage)
  --quiet                no progress output`;

const TRIAGE_FORMATS = ['csv', 'json', 'parquet'] as const;

interface TriageArgs {
  file: string;
  run: number | undefined;
  list: (typeof TRIAGE_LISTS)[number];
  format: (typeof TRIAGE_FORMATS)[number];
  limit: number | undefined;
  minScore: number | undefined;
  out: string | undefined;
  k: number | undefined;
  metric: 'euclidean' | 'cosine' | 'manhattan' | undefined;
  knn: 'auto' | 'exact' | 'nn-descent' | undefined;
  probabilities: ProbabilitySource | undefined;
  layers: string[] | undefined;
  excludeLayers: string[] | undefined;
  inSample: boolean | undefined;
  nearDuplicates: number | undefined;
  save: boolean;
  quiet: boolean;
}

function listOption(text: string | undefined): string[] | undefined {
  return text === undefined
    ? undefined
    : text
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
}

function probabilityOption(text: string | undefined): ProbabilitySource | undefined {
  if (text === undefined) return undefined;
  if (text === 'model' || text === 'none') return { kind: text };
  if (text.startsWith('layer:') && text.length > 'layer:'.length) return { kind: 'layer', layer: text.slice(6) };
  throw new InputError(`--probabilities '${text}' is not model, none or layer:NAME`, {
    hint: 'write it like --probabilities layer:logits',
  });
}

function parseTriageArgs(argv: string[]): TriageArgs | undefined {
  const { values, positionals } = parseCommandArgs('triage', {
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      list: { type: 'string' },
      format: { type: 'string' },
      limit: { type: 'string' },
      'min-score': { type: 'string' },
      out: { type: 'string' },
      k: { type: 'string' },
      metric: { type: 'string' },
      knn: { type: 'string' },
      probabilities: { type: 'string' },
      layers: { type: 'string' },
      'exclude-layers': { type: 'string' },
      'in-sample': { type: 'boolean' },
      'near-duplicates': { type: 'string' },
      save: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'triage', 'results file', HELP);
  const format = choiceOption(values.format, '--format', TRIAGE_FORMATS) ?? 'csv';
  if (format === 'parquet' && values.out === undefined) {
    throw new InputError('--format parquet needs --out: Parquet is a binary file', {
      hint: 'add --out leads.parquet',
    });
  }
  return {
    file,
    run: runIdOption(values.run),
    list: choiceOption(values.list, '--list', TRIAGE_LISTS) ?? 'labels',
    format,
    limit: wholeNumberOption(values.limit, '--limit', { example: '100', min: 1 }),
    minScore: numberOption(values['min-score'], '--min-score', { example: '0.5' }),
    out: values.out,
    k: wholeNumberOption(values.k, '--k', { example: '10', min: 1, max: 1000 }),
    metric: choiceOption(values.metric, '--metric', ['euclidean', 'cosine', 'manhattan'] as const),
    knn: choiceOption(values.knn, '--knn', ['auto', 'exact', 'nn-descent'] as const),
    probabilities: probabilityOption(values.probabilities),
    layers: listOption(values.layers),
    excludeLayers: listOption(values['exclude-layers']),
    inSample: values['in-sample'] ? true : undefined,
    nearDuplicates: numberOption(values['near-duplicates'], '--near-duplicates', { example: '0.1', min: 0, max: 1 }),
    save: values.save ?? false,
    quiet: values.quiet ?? false,
  };
}

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
export async function runTriageCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const args = parseTriageArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  const { triage, table } = await withStore(args.file, { readOnly: !args.save }, async (store) => {
    const run = await pickRun(store, args.run, args.file);
    const triage = await withProgress(args.quiet, signal, (control) =>
      scoreRun(
        store,
        run.runId,
        {
          k: args.k,
          metric: args.metric,
          knn: args.knn,
          probabilities: args.probabilities,
          layers: args.layers,
          excludeLayers: args.excludeLayers,
          inSample: args.inSample,
          nearDuplicateFraction: args.nearDuplicates,
        },
        control,
      ),
    );
    if (args.save) await store.saveTriage(triageToSave(triage));
    return { triage, table: triageTable(triage, args.list, { limit: args.limit, minScore: args.minScore }) };
  });
  const combinedLayers = triage.layers.filter((l) => l.combined).map((l) => l.layer);
  const summary =
    `nap triage: ${table.rows.length} ${args.list} rows of run ${triage.runId}; probabilities: ${triage.probabilitySource}` +
    `${triage.inSample ? ' (in-sample)' : ''}; kNN k=${triage.settings.k} ${triage.settings.metric} ${triage.settings.knn}` +
    `; combined layers: ${combinedLayers.join(', ') || 'none'}${args.save ? '; saved to the results file' : ''}`;
  if (args.format === 'parquet') {
    await writeParquet(args.out!, table.columns, table.rows);
    console.error(`${summary}; wrote ${args.out}`);
    return 0;
  }
  const text = args.format === 'csv' ? csvText(table.columns, table.rows) : triageJson(triage, args.list, table);
  if (args.out !== undefined) {
    await writeFile(args.out, text);
    console.error(`${summary}; wrote ${args.out}`);
  } else {
    process.stdout.write(text);
    if (!args.quiet) console.error(summary);
  }
  return 0;
}
