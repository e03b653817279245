import { labelOfRow } from '../../compute/contingency.js';
import { LINEAGE_FIELDS, patternLineage, type LineageOptions, type LineageStep } from '../../compute/flow.js';
import { InputError, NotFoundError, option } from '../../errors.js';
import { OptionSchema, switchOption, text, valueOption, type OptionField } from '../../options/schema.js';
import type { RunRecord, ResultsReader } from '../../io/store/index.js';
import { withStore } from '../store-command.js';
import {
  layerClusterings,
  readLayerFlow,
  readPatternLineage,
  readRunFlowGraph,
  storeRunFlows,
  type LayerFlow,
  type PatternLineage,
} from '../../engine/flow.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';

interface FlowCliOptions extends LineageOptions {
  run?: number;
  from?: string;
  to?: string;
  pattern?: { layer: string; patternId: number };
  noStore?: boolean;
  json?: boolean;
}

/** `--pattern LAYER:ID` (ID -1 or noise: the layer's noise). */
const patternField: OptionField<{ layer: string; patternId: number }> = {
  ...valueOption(text({ example: 'relu_out:3', placeholder: 'LAYER:ID' }), {
    flag: 'pattern',
    help: "the pattern's lineage: in every other layer, the patterns that hold most of its members (ID -1: noise)",
  }),
  default: undefined,
  fromCli: (raw, key) => (raw === undefined ? undefined : parsePattern(String(raw), key)),
  check: (value, key) => {
    const { layer, patternId } = (value ?? {}) as { layer?: unknown; patternId?: unknown };
    if (typeof layer !== 'string' || layer === '' || !Number.isInteger(patternId) || (patternId as number) < -1) {
      throw new InputError(`${option(key)} ${JSON.stringify(value)} is not a layer and pattern id`, {
        hint: `write it like ${option(key, 'relu_out:3')}`,
      });
    }
    return value as { layer: string; patternId: number };
  },
  toCli: (value) => ['--pattern', `${value.layer}:${value.patternId}`],
};

const FLOW_OPTIONS = new OptionSchema<FlowCliOptions>('flow', {
  run: { ...runOption, help: 'run to show (default: the newest)' },
  from: valueOption(text({ example: 'conv1', placeholder: 'A' }), {
    flag: 'from',
    help: "with --to: the table of A's patterns by B's; alone: A with the next layer",
  }),
  to: valueOption(text({ example: 'conv2', placeholder: 'B' }), {
    flag: 'to',
    help: 'with --from: see --from; alone: B with the previous layer',
  }),
  pattern: patternField,
  ...LINEAGE_FIELDS,
  noStore: switchOption({ flag: 'no-store', help: 'compute without writing the flows into the results file' }),
  json: switchOption({ flag: 'json', help: 'print JSON instead of tables' }),
});

const HELP = `Usage: nap flow <results.duckdb> [--run ID] [--from LAYER] [--to LAYER] [--pattern LAYER:ID] [--json]

Concept flow across the layers of a run (default: the newest): where the inputs of each pattern of one
layer go among the patterns of another. The flows are computed once and stored in the results file,
where the app reads them. Without layer options: every pair of consecutive layers, each pattern with the
patterns holding most of it.

Options:
${FLOW_OPTIONS.help()}`;

/** Largest table printed as a grid; wider ones are printed as lists. */
const MAX_GRID_COLUMNS = 24;

export const runFlowCommand = cliCommand(FLOW_OPTIONS, async (argv) => {
  const { options, positionals, help } = parseOptions(FLOW_OPTIONS, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'flow', 'results file', HELP);
  const { run: runId, from, to, pattern, noStore = false, json = false, minShare, limit } = options;
  if (pattern !== undefined && (from !== undefined || to !== undefined)) {
    throw new InputError('--pattern cannot be combined with --from or --to', {
      hint: 'a lineage already spans every layer; drop --from/--to',
    });
  }
  return withStore(file, { readOnly: noStore, mustExist: true }, async (store) => {
    const run = await pickRun(store, runId, file);
    if (!noStore) await storeRunFlows(store, run.runId);
    const lineageOptions: LineageOptions = {
      ...(minShare !== undefined ? { minShare } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    if (pattern) {
      const lineage = await readPatternLineage(store, run.runId, pattern.layer, pattern.patternId, lineageOptions);
      console.log(json ? JSON.stringify({ run: run.runId, lineage }, null, 2) : formatLineage(run, lineage));
    } else if (from !== undefined || to !== undefined) {
      const flow = await readLayerFlow(store, run.runId, { from, to });
      console.log(json ? JSON.stringify(flowJson(flow), null, 2) : formatLayerFlow(run, flow, lineageOptions));
    } else if (json) {
      console.log(JSON.stringify({ run: run.runId, graph: await readRunFlowGraph(store, run.runId) }, null, 2));
    } else {
      const layers = await layerClusterings(store, run.runId);
      const sections: string[] = [];
      for (let l = 0; l + 1 < layers.length; l++) {
        const flow = await readLayerFlow(store, run.runId, { from: layers[l]!.layer, to: layers[l + 1]!.layer });
        sections.push(formatDestinations(flow, lineageOptions));
      }
      const body =
        sections.length > 0 ? sections.join('\n\n') : 'fewer than two layers have patterns; there is no flow to show';
      console.log(`${runHeader(run)}\n\n${body}`);
    }
    return 0;
  });
});

/** LAYER:ID, split at the last colon because layer names may hold colons ('dense/BiasAdd:0'). */
function parsePattern(text: string, key: string): { layer: string; patternId: number } {
  const colon = text.lastIndexOf(':');
  const id = colon < 0 ? '' : text.slice(colon + 1).trim();
  const patternId = id === 'noise' ? -1 : Number(id);
  if (colon <= 0 || id === '' || !Number.isInteger(patternId)) {
    throw new InputError(`${option(key)} '${text}' is not LAYER:ID`, {
      hint: `write it like ${option(key, 'relu_out:3')} (or relu_out:-1 for noise)`,
    });
  }
  return { layer: text.slice(0, colon), patternId };
}

/** The run `runId` (see runOption; default: the newest run) of an open store. */
export async function pickRun(store: ResultsReader, runId: number | undefined, file: string): Promise<RunRecord> {
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
