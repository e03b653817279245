import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { NapStore, type RunRecord } from '../../io/store/index.js';
import { compareRuns, type LayerComparison, type RunComparison } from '../../results/compare.js';
import { numberOption, parseCommandArgs, runIdOption } from '../args.js';
import { storeResults } from '../../results/node/duckdb-reader.js';
import { pickRun } from './flow.js';

const HELP = `Usage: nap compare <a.duckdb> [--run A] <b.duckdb | same> [--run B] [--layers A:B,...] [--json]
       nap compare <results.duckdb> --run A --run B [...]

Compares the patterns of two runs (other models, checkpoints, aggregations or datasets) on the inputs
both hold, matched by input path. Each --run applies to the file before it (default: its newest run);
'same' (or one file with two --run) compares two runs of one file. For every pair of layers: the
adjusted Rand index and normalized mutual information of the two partitions (noise as one label, and
without the inputs either run calls noise), and a one-to-one matching of the patterns by shared members
(Hungarian algorithm on the Jaccard index), with the patterns left unmatched.

Options:
  --layers A:B,...     layer pairs (layer of run A : layer of run B); a name alone pairs it with the same
                       name (default: every layer with patterns in both runs under the same name)
  --min-jaccard J      report matched pairs below this Jaccard index as unmatched (default 0)
  --json               print JSON instead of tables`;

interface CompareArgs {
  fileA: string;
  fileB: string;
  runA: number | undefined;
  runB: number | undefined;
  layers: string[] | undefined;
  minJaccard: number | undefined;
  json: boolean;
}

export async function runCompareCommand(argv: string[]): Promise<number> {
  const args = parseCompareArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  const sameFile = resolve(args.fileA) === resolve(args.fileB);
  const storeA = await NapStore.open(args.fileA, { readOnly: true });
  try {
    const storeB = sameFile ? storeA : await NapStore.open(args.fileB, { readOnly: true });
    try {
      const runA = await pickRun(storeA, args.runA, args.fileA);
      const runB = await pickRun(storeB, args.runB, args.fileB);
      const tablesA = storeResults(storeA).tables;
      const tablesB = sameFile ? tablesA : storeResults(storeB).tables;
      const layers =
        args.layers === undefined
          ? undefined
          : resolveLayerPairs(
              args.layers,
              (await tablesA.layerClusterings(runA.runId)).map((l) => l.layer),
              (await tablesB.layerClusterings(runB.runId)).map((l) => l.layer),
            );
      const comparison = await compareRuns(
        { tables: tablesA, runId: runA.runId },
        { tables: tablesB, runId: runB.runId },
        { layers, minJaccard: args.minJaccard },
      );
      console.log(
        args.json
          ? JSON.stringify({ fileA: args.fileA, fileB: args.fileB, ...comparison }, null, 2)
          : formatComparison(args, runA, runB, comparison),
      );
      return 0;
    } finally {
      if (storeB !== storeA) await storeB.close();
    }
  } finally {
    await storeA.close();
  }
}

function parseCompareArgs(argv: string[]): CompareArgs | undefined {
  const { values, tokens } = parseCommandArgs('compare', {
    args: argv,
    allowPositionals: true,
    tokens: true,
    options: {
      run: { type: 'string', multiple: true },
      layers: { type: 'string' },
      'min-jaccard': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  // Each --run belongs to the file named before it, so the order of the tokens matters.
  const files: string[] = [];
  const runs: { value: string; afterFiles: number }[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') files.push(token.value);
    else if (token.kind === 'option' && token.name === 'run')
      runs.push({ value: token.value ?? '', afterFiles: files.length });
  }
  if (files.length === 0 || files.length > 2) {
    throw new InputError(`nap compare takes one or two results files, got ${files.length}`, { hint: HELP });
  }
  if (runs.some((r) => r.afterFiles === 0)) {
    throw new InputError('--run comes before the first results file', {
      hint: 'write each --run after the file it belongs to: nap compare a.duckdb --run 1 b.duckdb --run 2',
    });
  }
  let runA: number | undefined;
  let runB: number | undefined;
  if (files.length === 1) {
    if (runs.length !== 2) {
      throw new InputError(`with one results file, nap compare needs two --run options, got ${runs.length}`, {
        hint: "name the second file (or 'same'), or pass --run A --run B",
      });
    }
    [runA, runB] = [runIdOption(runs[0]!.value), runIdOption(runs[1]!.value)];
  } else {
    const ofA = runs.filter((r) => r.afterFiles === 1);
    const ofB = runs.filter((r) => r.afterFiles === 2);
    if (ofA.length > 1 || ofB.length > 1) {
      throw new InputError('more than one --run for one results file', {
        hint: 'pass at most one --run after each file',
      });
    }
    [runA, runB] = [runIdOption(ofA[0]?.value), runIdOption(ofB[0]?.value)];
  }
  const fileA = files[0]!;
  const second = files[1] ?? 'same';
  return {
    fileA,
    fileB: second === 'same' ? fileA : second,
    runA,
    runB,
    layers: values.layers
      ?.split(',')
      .map((pair) => pair.trim())
      .filter((pair) => pair !== ''),
    minJaccard: numberOption(values['min-jaccard'], '--min-jaccard', { example: '0.1', min: 0, max: 1 }),
    json: values.json ?? false,
  };
}

/**
 * Splits each "A:B" at the colon that leaves a layer of run A on the left and one of run B on the right,
 * since layer names may hold colons themselves ('dense/BiasAdd:0'). A name alone pairs it with itself.
 */
export function resolveLayerPairs(
  pairs: readonly string[],
  layersA: readonly string[],
  layersB: readonly string[],
): [string, string][] {
  return pairs.map((text) => {
    if (layersA.includes(text) && layersB.includes(text)) return [text, text];
    const splits: [string, string][] = [];
    for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1))
      splits.push([text.slice(0, i), text.slice(i + 1)]);
    if (splits.length === 0) return [text, text];
    const valid = splits.filter(([a, b]) => layersA.includes(a) && layersB.includes(b));
    if (valid.length === 1) return valid[0]!;
    if (valid.length > 1) {
      throw new InputError(`layer pair '${text}' can be split in ${valid.length} ways`, {
        hint: `pick one of: ${valid.map(([a, b]) => `${a} with ${b}`).join('; ')}`,
      });
    }
    // No split names two known layers: let the comparison report the unknown name(s) of the first split.
    return splits.length === 1 ? splits[0]! : [text, text];
  });
}

function fixed(value: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(3);
}

function formatLayer(layer: LayerComparison): string {
  const { withNoise, withoutNoise } = layer.agreement;
  const name = layer.layerA === layer.layerB ? layer.layerA : `${layer.layerA} ~ ${layer.layerB}`;
  const { pairs, unmatchedA, unmatchedB } = layer.matching;
  const withLabel = 'noise as a label:';
  const withoutLabel = `without noise (${withoutNoise.inputs} inputs):`;
  const width = Math.max(withLabel.length, withoutLabel.length);
  const lines = [
    `${name}: ${layer.inputs} inputs, ${layer.patternsA} vs ${layer.patternsB} patterns`,
    `  ${withLabel.padEnd(width)}  ARI ${fixed(withNoise.adjustedRandIndex)}  NMI ${fixed(withNoise.normalizedMutualInformation)}`,
    `  ${withoutLabel.padEnd(width)}  ARI ${fixed(withoutNoise.adjustedRandIndex)}  NMI ${fixed(withoutNoise.normalizedMutualInformation)}`,
    `  ${pairs.length} matched pattern pairs (A <-> B, Jaccard, shared members):`,
    ...pairs.map((p) => `    #${p.patternA} <-> #${p.patternB}  J ${p.jaccard.toFixed(3)}  ${p.shared}`),
  ];
  const list = (ids: number[]) => (ids.length > 0 ? ids.map((id) => `#${id}`).join(' ') : 'none');
  lines.push(`  unmatched in A: ${list(unmatchedA)}`, `  unmatched in B: ${list(unmatchedB)}`);
  return lines.join('\n');
}

function formatComparison(args: CompareArgs, runA: RunRecord, runB: RunRecord, comparison: RunComparison): string {
  const header = [
    `A: run ${runA.runId} of ${args.fileA}: ${runA.name}`,
    `B: run ${runB.runId} of ${args.fileB}: ${runB.name}`,
    `${comparison.sharedInputs} shared inputs (matched by path); ${comparison.unmatchedA} of A and ${comparison.unmatchedB} of B left out`,
  ];
  return [header.join('\n'), ...comparison.layers.map(formatLayer)].join('\n\n');
}
