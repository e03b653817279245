import { visualizeLayer, type VisualizeOptions, type VisualizeResult } from '../../engine/visualize.js';
import { InputError } from '../../errors.js';
import { TFJS_BACKENDS } from '../../io/onnx-to-tfjs/backend.js';
import {
  choiceOption,
  numberOption,
  onlyPositional,
  parseCommandArgs,
  runIdOption,
  wholeNumberOption,
} from '../args.js';
import { withProgress, withStore } from '../store-command.js';

const HELP = `Usage: nap visualize <results.duckdb> --layer LAYER [--units 0-7] [--patterns all|P,P...] [options]

Feature visualization: images that maximise a unit's mean activation or a pattern's direction (the cosine
between the layer's normalized aggregated activation and the pattern's centroid), optimised through the
run's model translated to tf.js (decorrelated Fourier parametrisation, random jitter, scale and rotation).
The images are stored in the results file with the value each reaches and the best value over the run's
inputs. Objectives stored with the same settings are skipped, so an interrupted run resumes.

Options:
  --layer LAYER         the layer (required)
  --run ID              run (default: the newest)
  --units LIST          units, e.g. 0-7 or 0,3,5 (default 0-7 when --patterns is not given)
  --patterns LIST       patterns of the layer: all, or ids like 0,2
  --clustering ID       layer clustering of the patterns (default: the layer's newest)
  --position P|ROW,COL  maximise the units at one spatial position (row-major index, or row,column of a
                        2-D map) instead of their mean over the positions
  --contrast            a pattern's objective minus the nearest other pattern's
  --images N            diverse images per objective (default 1)
  --steps N             optimisation steps (default 256)
  --learning-rate X     Adam's initial learning rate, cosine-decayed to a tenth (default 0.3)
  --restarts N          random starts per objective, optimised together, the best kept (default 4)
  --polish X            share of the last steps without transforms (default 0.25)
  --batch N             objectives optimised together in one batch (default 8)
  --seed N              seed of the images and transforms (default 0)
  --total-variation X   weight of a total variation penalty (default 0)
  --diversity X         weight of the diversity penalty between images (default 1 with --images > 1)
  --no-transforms       no random jitter, scale and rotation
  --backend NAME        tf.js backend: ${TFJS_BACKENDS.join(', ')} (default wasm)
  --model PATH          the analysed model file, when it moved (checked by SHA-256)
  --force               make the images again even when stored with the same settings
  --json                print the result as JSON
  --quiet               no progress output`;

export async function runVisualizeCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const args = parseVisualizeArgs(argv);
  if (args === undefined) {
    console.log(HELP);
    return 0;
  }
  return withStore(args.file, { mustExist: true }, async (store) => {
    const result = await withProgress(args.quiet || args.json, signal, (control) =>
      visualizeLayer(store, args.options, control),
    );
    console.log(args.json ? JSON.stringify(resultJson(result), null, 2) : formatResult(result));
    return 0;
  });
}

interface VisualizeArgs {
  file: string;
  options: VisualizeOptions;
  json: boolean;
  quiet: boolean;
}

/** "0-7,10" -> [0..7, 10]. */
export function parseIdList(text: string | undefined, option: string): number[] | undefined {
  if (text === undefined) return undefined;
  const ids: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const from = range ? Number(range[1]) : NaN;
    const to = range?.[2] === undefined ? from : Number(range[2]);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
      throw new InputError(`${option} '${text}' is not a list of whole numbers and ranges`, {
        hint: `write it like ${option} 0-7 or ${option} 0,3,5`,
      });
    }
    for (let id = from; id <= to; id++) ids.push(id);
  }
  return ids;
}

function parseVisualizeArgs(argv: string[]): VisualizeArgs | undefined {
  const { values, positionals } = parseCommandArgs('visualize', {
    args: argv,
    allowPositionals: true,
    options: {
      layer: { type: 'string' },
      run: { type: 'string' },
      units: { type: 'string' },
      patterns: { type: 'string' },
      clustering: { type: 'string' },
      position: { type: 'string' },
      contrast: { type: 'boolean' },
      restarts: { type: 'string' },
      polish: { type: 'string' },
      batch: { type: 'string' },
      images: { type: 'string' },
      steps: { type: 'string' },
      'learning-rate': { type: 'string' },
      seed: { type: 'string' },
      'total-variation': { type: 'string' },
      diversity: { type: 'string' },
      'no-transforms': { type: 'boolean' },
      backend: { type: 'string' },
      model: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'visualize', 'results file', HELP);
  if (values.layer === undefined) {
    throw new InputError('nap visualize needs --layer', {
      hint: 'name a layer of the run, e.g. --layer conv2 (nap summary lists them)',
    });
  }
  const options: VisualizeOptions = { layer: values.layer };
  const set = <K extends keyof VisualizeOptions>(key: K, value: VisualizeOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('runId', runIdOption(values.run));
  set('units', parseIdList(values.units, '--units'));
  if (values.patterns !== undefined)
    set('patterns', values.patterns.trim() === 'all' ? 'all' : parseIdList(values.patterns, '--patterns'));
  set('clusteringId', wholeNumberOption(values.clustering, '--clustering', { example: '3', min: 1 }));
  set('position', parsePosition(values.position));
  if (values.contrast) options.contrast = true;
  set('restarts', wholeNumberOption(values.restarts, '--restarts', { example: '4', min: 1 }));
  set('polish', numberOption(values.polish, '--polish', { example: '0.25', min: 0 }));
  set('batch', wholeNumberOption(values.batch, '--batch', { example: '8', min: 1 }));
  set('images', wholeNumberOption(values.images, '--images', { example: '4', min: 1 }));
  set('steps', wholeNumberOption(values.steps, '--steps', { example: '256', min: 1 }));
  set('learningRate', numberOption(values['learning-rate'], '--learning-rate', { example: '0.3', min: 1e-9 }));
  set('seed', wholeNumberOption(values.seed, '--seed', { example: '0' }));
  set('totalVariation', numberOption(values['total-variation'], '--total-variation', { example: '0.1', min: 0 }));
  set('diversity', numberOption(values.diversity, '--diversity', { example: '1', min: 0 }));
  if (values['no-transforms']) options.transforms = false;
  set('backend', choiceOption(values.backend, '--backend', TFJS_BACKENDS));
  set('model', values.model);
  if (values.force) options.force = true;
  return { file, options, json: values.json ?? false, quiet: values.quiet ?? false };
}

/** "5" -> 5 (row-major index); "2,3" -> [2, 3] (row, column). */
export function parsePosition(text: string | undefined): number | [number, number] | undefined {
  if (text === undefined) return undefined;
  const match = /^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$/.exec(text);
  if (match === null) {
    throw new InputError(`--position '${text}' is neither an index nor row,column`, {
      hint: 'write it like --position 12 (row-major) or --position 3,4 (row 3, column 4)',
    });
  }
  return match[2] === undefined ? Number(match[1]) : [Number(match[1]), Number(match[2])];
}

function best(values: number[]): number {
  return Math.max(...values);
}

function formatResult(result: VisualizeResult): string {
  const lines = [
    `run ${result.runId}, layer ${result.layer}: ${result.width} x ${result.height} x ${result.channels} images${result.clusteringId === null ? '' : ` (patterns of clustering ${result.clusteringId})`}`,
  ];
  for (const o of result.objectives) {
    const what = `${o.objective.replace('_', ' ')} ${o.target}${o.position < 0 ? '' : ` at ${o.position}`}${o.contrastPattern === null ? '' : ` minus ${o.contrastPattern}`}`;
    const max = o.datasetMax === null ? 'dataset best unknown' : `dataset best ${o.datasetMax.toFixed(4)}`;
    const source = o.reused ? 'stored before' : `${o.seconds.toFixed(1)} s`;
    lines.push(`  ${what.padEnd(24)} image ${best(o.values).toFixed(4)}  ${max}  (${source})`);
  }
  return lines.join('\n');
}

function resultJson(result: VisualizeResult): unknown {
  return {
    ...result,
    objectives: result.objectives.map((o) => ({
      ...o,
      value: best(o.values),
      reachesDatasetMax: o.datasetMax === null ? null : best(o.values) >= o.datasetMax,
    })),
  };
}
