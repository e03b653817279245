import { labelOfRow } from '../../compute/contingency.js';
import { patternLineage, type LineageOptions, type LineageStep } from '../../compute/flow.js';
import { InputError, NotFoundError } from '../../errors.js';
import type { NapStore, RunRecord } from '../../io/store/index.js';
import { storeRunFlows } from '../../engine/flow.js';
import type { LayerFlow, PatternLineage } from '../../results/flow.js';
import { storeResults } from '../../results/node/duckdb-reader.js';
import { withStore } from '../store-command.js';
import { numberOption, onlyPositional, parseCommandArgs, runIdOption, wholeNumberOption } from '../args.js';

const HELP = `Usage: nap flow <results.duckdb> [--run ID] [--from LAYER] [--to LAYER] [--pattern LAYER:ID] [--json]

Concept flow across the layers of a run (default: the newest): where the inputs of each pattern of one
layer go among the patterns of another. The flows are computed once and stored in the results file,
where the app reads them.

  (no layer options)   every pair of consecutive layers: each pattern with the patterns holding most of it
  --from A --to B      the table of A's patterns (rows) by B's (columns), noise last, and each row's
                       most similar pattern of B by Jaccard index; one of the two alone pairs it with
                       the next (or previous) layer
  --pattern LAYER:ID   the pattern's lineage: in every other layer, the patterns that hold most of its
                       members (ID -1: the layer's noise)

Options:
  --run ID             run to show (default: the newest)
  --min-share S        leave out destinations holding less than this share of a pattern (default 0.05)
  --limit K            list at most K destinations per pattern (default 5)
  --no-store           compute without writing the flows into the results file
  --json               print JSON instead of tables`;

/** Largest table printed as a grid; wider ones are printed as lists. */
const MAX_GRID_COLUMNS = 24;

export async function runFlowCommand(argv: string[]): Promise<number> {
  const args = parseFlowArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  return withStore(args.file, { readOnly: args.noStore, mustExist: true }, async (store) => {
    const run = await pickRun(store, args.run, args.file);
    if (!args.noStore) await storeRunFlows(store, run.runId);
    const { flows, tables } = storeResults(store);
    const lineageOptions: LineageOptions = { minShare: args.minShare, limit: args.limit };
    if (args.pattern) {
      const lineage = await flows.lineage(run.runId, args.pattern.layer, args.pattern.patternId, lineageOptions);
      console.log(args.json ? JSON.stringify({ run: run.runId, lineage }, null, 2) : formatLineage(run, lineage));
    } else if (args.from !== undefined || args.to !== undefined) {
      const flow = await flows.layerFlow(run.runId, { from: args.from, to: args.to });
      console.log(args.json ? JSON.stringify(flowJson(flow), null, 2) : formatLayerFlow(run, flow, lineageOptions));
    } else if (args.json) {
      console.log(JSON.stringify({ run: run.runId, graph: await flows.graph(run.runId) }, null, 2));
    } else {
      const layers = await tables.layerClusterings(run.runId);
      const sections: string[] = [];
      for (let l = 0; l + 1 < layers.length; l++) {
        const flow = await flows.layerFlow(run.runId, { from: layers[l]!.layer, to: layers[l + 1]!.layer });
        sections.push(formatDestinations(flow, lineageOptions));
      }
      const body =
        sections.length > 0 ? sections.join('\n\n') : 'fewer than two layers have patterns; there is no flow to show';
      console.log(`${runHeader(run)}\n\n${body}`);
    }
    return 0;
  });
}

interface FlowArgs {
  file: string;
  run: number | undefined;
  from: string | undefined;
  to: string | undefined;
  pattern: { layer: string; patternId: number } | undefined;
  minShare: number | undefined;
  limit: number | undefined;
  noStore: boolean;
  json: boolean;
}

function parseFlowArgs(argv: string[]): FlowArgs | undefined {
  const { values, positionals } = parseCommandArgs('flow', {
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      pattern: { type: 'string' },
      'min-share': { type: 'string' },
      limit: { type: 'string' },
      'no-store': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'flow', 'results file', HELP);
  if (values.pattern !== undefined && (values.from !== undefined || values.to !== undefined)) {
    throw new InputError('--pattern cannot be combined with --from or --to', {
      hint: 'a lineage already spans every layer; drop --from/--to',
    });
  }
  return {
    file,
    run: runIdOption(values.run),
    from: values.from,
    to: values.to,
    pattern: values.pattern === undefined ? undefined : parsePattern(values.pattern),
    minShare: numberOption(values['min-share'], '--min-share', { example: '0.05', min: 0, max: 1 }),
    limit: wholeNumberOption(values.limit, '--limit', { example: '5', min: 1 }),
    noStore: values['no-store'] ?? false,
    json: values.json ?? false,
  };
}

/** LAYER:ID, split at the last colon because layer names may hold colons ('dense/BiasAdd:0'). */
function parsePattern(text: string): { layer: string; patternId: number } {
  const colon = text.lastIndexOf(':');
  const id = colon < 0 ? '' : text.slice(colon + 1).trim();
  const patternId = id === 'noise' ? -1 : Number(id);
  if (colon <= 0 || id === '' || !Number.isInteger(patternId)) {
    throw new InputError(`--pattern '${text}' is not LAYER:ID`, {
      hint: 'write it like --pattern relu_out:3 (or relu_out:-1 for noise)',
    });
  }
  return { layer: text.slice(0, colon), patternId };
}

/** The run `runId` (see runIdOption; default: the newest run) of an open store. */
export async function pickRun(store: NapStore, runId: number | undefined, file: string): Promise<RunRecord> {
  const runs = await store.listRuns();
  const run = runId === undefined ? runs[runs.length - 1] : runs.find((r) => r.runId === runId);
  if (!run) {
    const which = runId === undefined ? 'no run' : `run ${runId}`;
    throw new NotFoundError(`${which} in ${file}`, {
      hint: runs.length > 0 ? `runs there: ${runs.map((r) => r.runId).join(', ')}` : 'analyze a model into it first',
    });
  }
  return run;
}

function runHeader(run: RunRecord): string {
  return `run ${run.runId}: ${run.name} (${run.status})`;
}

function patternName(patternId: number): string {
  return patternId < 0 ? 'noise' : `#${patternId}`;
}

function percent(share: number): string {
  return `${(100 * share).toFixed(0)}%`;
}

/** The pattern's main destinations, e.g. "#3 78%, #1 13%, noise 9%". */
function formatShares(step: LineageStep, jaccardOf?: (patternId: number) => number): string {
  const listed = step.shares.map(({ patternId, share }) => {
    const jaccard = jaccardOf ? ` (J ${jaccardOf(patternId).toFixed(2)})` : '';
    return `${patternName(patternId)} ${percent(share)}${jaccard}`;
  });
  if (step.otherShare > 0) listed.push(`other ${percent(step.otherShare)}`);
  return listed.join(', ') || 'none';
}

/** Names of the rows (or columns) of a side with `patterns` patterns: #0.. then noise. */
function sideLabels(patterns: number): string[] {
  return Array.from({ length: patterns + 1 }, (_, row) => patternName(labelOfRow(row, patterns)));
}

function flowTitle(flow: LayerFlow): string {
  return `${flow.from.layer} (${flow.from.patternCount} patterns) -> ${flow.to.layer} (${flow.to.patternCount} patterns), ${flow.table.total} inputs`;
}

/** Each pattern of `from` with the patterns of `to` that hold most of it. */
function formatDestinations(flow: LayerFlow, options: LineageOptions): string {
  const { table, jaccard } = flow;
  const cols = table.patternsB + 1;
  const labels = sideLabels(table.patternsA);
  const width = Math.max(...labels.map((label, row) => `${label} (${table.rowSums[row]})`.length));
  const lines = labels.map((label, row) => {
    const patternId = labelOfRow(row, table.patternsA);
    const [step] = patternLineage(patternId, [{ layer: flow.to.layer, table }], options);
    const jaccardOf = (to: number) => jaccard[row * cols + (to < 0 ? table.patternsB : to)]!;
    return `  ${`${label} (${table.rowSums[row]})`.padEnd(width)}  -> ${formatShares(step!, jaccardOf)}`;
  });
  return [flowTitle(flow), ...lines].join('\n');
}

/** The contingency table as a grid (narrow tables) or as lists, then each pattern's best match by Jaccard. */
function formatLayerFlow(run: RunRecord, flow: LayerFlow, options: LineageOptions): string {
  const { table, jaccard } = flow;
  const rows = table.patternsA + 1;
  const cols = table.patternsB + 1;
  if (cols > MAX_GRID_COLUMNS) return `${runHeader(run)}\n\n${formatDestinations(flow, options)}`;
  const header = [...sideLabels(table.patternsB), 'total'];
  const body: string[][] = [];
  for (let i = 0; i < rows; i++) {
    body.push([
      ...Array.from({ length: cols }, (_, j) => String(table.counts[i * cols + j])),
      String(table.rowSums[i]),
    ]);
  }
  body.push([...Array.from(table.colSums, String), String(table.total)]);
  const names = [...sideLabels(table.patternsA), 'total'];
  const nameWidth = Math.max(flow.from.layer.length, ...names.map((n) => n.length));
  const cellWidth = Math.max(...header.map((h) => h.length), ...body.flat().map((c) => c.length));
  const line = (name: string, cells: string[]) =>
    `  ${name.padEnd(nameWidth)} ${cells.map((c) => c.padStart(cellWidth)).join(' ')}`;
  const grid = [line(flow.from.layer, header), ...body.map((cells, i) => line(names[i]!, cells))];
  const best: string[] = [];
  for (let i = 0; i < table.patternsA; i++) {
    let bestJ = -1;
    let bestCol = -1;
    for (let j = 0; j < table.patternsB; j++) {
      if (jaccard[i * cols + j]! > bestJ) [bestJ, bestCol] = [jaccard[i * cols + j]!, j];
    }
    if (bestCol >= 0 && bestJ > 0) best.push(`  #${i} -> #${bestCol} (J ${bestJ.toFixed(2)})`);
    else best.push(`  #${i} -> none`);
  }
  const source = flow.stored ? 'stored' : 'computed, not stored';
  return [
    runHeader(run),
    '',
    `${flowTitle(flow)} (${source}); rows: ${flow.from.layer}, columns: ${flow.to.layer}`,
    ...grid,
    '',
    `most similar pattern of ${flow.to.layer} (Jaccard index):`,
    ...best,
  ].join('\n');
}

function formatLineage(run: RunRecord, lineage: PatternLineage): string {
  const title = `lineage of ${lineage.layer} ${patternName(lineage.patternId)} (${lineage.size} members)`;
  const width = Math.max(0, ...lineage.steps.map((s) => s.layer.length));
  const lines = lineage.steps.map((step) => `  ${step.layer.padEnd(width)}  ${formatShares(step)}`);
  return [runHeader(run), '', title, ...(lines.length > 0 ? lines : ['  (no other layer has patterns)'])].join('\n');
}

function flowJson(flow: LayerFlow): unknown {
  const { table, jaccard } = flow;
  const cols = table.patternsB + 1;
  const rowsOf = <T extends ArrayLike<number>>(values: T) =>
    Array.from({ length: table.patternsA + 1 }, (_, i) =>
      Array.from({ length: cols }, (_, j) => values[i * cols + j]!),
    );
  return {
    run: flow.runId,
    from: flow.from,
    to: flow.to,
    stored: flow.stored,
    rowPatterns: Array.from(table.rowSums, (_, row) => labelOfRow(row, table.patternsA)),
    columnPatterns: Array.from(table.colSums, (_, col) => labelOfRow(col, table.patternsB)),
    counts: rowsOf(table.counts),
    jaccard: rowsOf(jaccard),
    rowSums: Array.from(table.rowSums),
    columnSums: Array.from(table.colSums),
    total: table.total,
  };
}
