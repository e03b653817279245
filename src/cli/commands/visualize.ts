import { visualizeLayer, type VisualizeOptions, type VisualizeResult } from '../../engine/visualize.js';
import { InputError } from '../../errors.js';
import { TFJS_BACKENDS } from '../../io/onnx-to-tfjs/backend.js';
import {
  choice,
  OptionSchema,
  realNumber,
  seedNumber,
  switchOption,
  text,
  valueOption,
  type ValueRule,
  wholeNumber,
} from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions, runOption } from '../args.js';
import { withProgress, withStore } from '../store-command.js';

/** "0-7,10" on the CLI, [0, ..., 7, 10] in the library. */
const ID_LIST: ValueRule<number[]> = {
  parse: (value) => {
    try {
      return parseIdList(value, '');
    } catch {
      return undefined;
    }
  },
  valid: (value): value is number[] =>
    Array.isArray(value) && value.length > 0 && value.every((id) => Number.isSafeInteger(id) && id >= 0),
  what: { one: 'a list of whole numbers and ranges', many: 'lists of whole numbers and ranges' },
  format: (value) => value.join(','),
  example: [0, 3, 5],
  placeholder: 'LIST',
};

/** `all` or an id list. */
const PATTERN_IDS: ValueRule<number[] | 'all'> = {
  ...ID_LIST,
  parse: (value) => (value.trim() === 'all' ? 'all' : ID_LIST.parse(value)),
  valid: (value): value is number[] | 'all' => value === 'all' || ID_LIST.valid(value),
  what: { one: 'all or a list of whole numbers and ranges', many: 'lists of pattern ids' },
  format: (value) => (value === 'all' ? 'all' : ID_LIST.format(value)),
};

/** "5" (a row-major index) or "2,3" (row, column) on the CLI; 5 or [2, 3] in the library. */
const POSITION: ValueRule<number | [number, number]> = {
  parse: (value) => {
    try {
      return parsePosition(value);
    } catch {
      return undefined;
    }
  },
  valid: (value): value is number | [number, number] =>
    (Number.isSafeInteger(value) && (value as number) >= 0) ||
    (Array.isArray(value) && value.length === 2 && value.every((at) => Number.isSafeInteger(at) && at >= 0)),
  what: { one: 'an index or row,column', many: 'positions' },
  format: (value) => (Array.isArray(value) ? value.join(',') : String(value)),
  example: 12,
  placeholder: 'P|ROW,COL',
};

type VisualizeCli = Omit<VisualizeOptions, 'transforms'> & { noTransforms?: boolean; json?: boolean; quiet?: boolean };

const VISUALIZE_CLI = new OptionSchema<VisualizeCli>('visualize', {
  layer: valueOption(text({ example: 'conv2', placeholder: 'LAYER' }), {
    flag: 'layer',
    help: 'the layer (nap summary lists them)',
    required: true,
  }),
  runId: runOption,
  units: valueOption(ID_LIST, {
    flag: 'units',
    help: 'units, e.g. 0-7 or 0,3,5 (default 0-7 when --patterns is not given)',
  }),
  patterns: valueOption(PATTERN_IDS, { flag: 'patterns', help: 'patterns of the layer: all, or ids like 0,2' }),
  clusteringId: valueOption(wholeNumber({ example: 3, min: 1, placeholder: 'ID' }), {
    flag: 'clustering',
    help: "layer clustering of the patterns (default: the layer's newest)",
  }),
  position: valueOption(POSITION, {
    flag: 'position',
    help: 'maximise the units at one spatial position (row-major index, or row,column of a 2-D map) instead of their mean over the positions',
  }),
  contrast: switchOption({ flag: 'contrast', help: "a pattern's objective minus the nearest other pattern's" }),
  images: valueOption(wholeNumber({ example: 4, min: 1 }), {
    flag: 'images',
    help: 'diverse images per objective',
    default: 1,
  }),
  steps: valueOption(wholeNumber({ example: 256, min: 1 }), {
    flag: 'steps',
    help: 'optimisation steps',
    default: 256,
  }),
  learningRate: valueOption(realNumber({ example: 0.3, min: 1e-9 }), {
    flag: 'learning-rate',
    help: "Adam's initial learning rate, cosine-decayed to a tenth",
    default: 0.3,
  }),
  restarts: valueOption(wholeNumber({ example: 4, min: 1 }), {
    flag: 'restarts',
    help: 'random starts per objective, optimised together, the best kept',
    defaultText: '4; 1 above 128x128 pixels',
  }),
  polish: valueOption(realNumber({ example: 0.25, min: 0 }), {
    flag: 'polish',
    help: 'share of the last steps without transforms',
    default: 0.25,
  }),
  refine: valueOption(wholeNumber({ example: 64, min: 0 }), {
    flag: 'refine',
    help: "Adam steps on the best restart's pixels after the Fourier steps, untransformed (0: none)",
    default: 64,
  }),
  refineRate: valueOption(realNumber({ example: 0.05, min: 1e-9 }), {
    flag: 'refine-rate',
    help: 'initial learning rate of the refine steps (pixel values 0..1), cosine-decayed to 0',
    default: 0.05,
  }),
  batch: valueOption(wholeNumber({ example: 8, min: 1 }), {
    flag: 'batch',
    help: 'objectives optimised together in one batch',
    default: 8,
  }),
  seed: valueOption(seedNumber(0), {
    flag: 'seed',
    help: 'seed of the images and transforms',
    default: 0,
  }),
  totalVariation: valueOption(realNumber({ example: 0.1, min: 0 }), {
    flag: 'total-variation',
    help: 'weight of a total variation penalty',
    default: 0,
  }),
  diversity: valueOption(realNumber({ example: 1, min: 0 }), {
    flag: 'diversity',
    help: 'weight of the diversity penalty between images (default 1 with --images > 1)',
  }),
  noTransforms: switchOption({ flag: 'no-transforms', help: 'no random jitter, scale and rotation' }),
  backend: valueOption(choice(TFJS_BACKENDS), { flag: 'backend', help: 'tf.js backend', defaultText: 'wasm' }),
  model: valueOption(text({ example: 'model.onnx', placeholder: 'PATH' }), {
    flag: 'model',
    help: 'the analysed model file, when it moved (checked by SHA-256)',
  }),
  force: switchOption({ flag: 'force', help: 'make the images again even when stored with the same settings' }),
  json: switchOption({ flag: 'json', help: 'print the result as JSON' }),
  quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
});

const HELP = `Usage: nap visualize <results.duckdb> --layer LAYER [--units 0-7] [--patterns all|P,P...] [options]

Feature visualization: images that maximise a unit's mean activation or a pattern's direction (the cosine
between the layer's normalized aggregated activation and the pattern's centroid), optimised through the
run's model translated to tf.js (decorrelated Fourier parametrisation, random jitter, scale and rotation).
The images are stored in the results file with the value each reaches and the best value over the run's
inputs. Objectives stored with the same settings are skipped, so an interrupted run resumes.

Options:
${VISUALIZE_CLI.help()}`;

export const runVisualizeCommand = cliCommand(VISUALIZE_CLI, async (argv, signal) => {
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
});

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
  const { options, positionals, help } = parseOptions(VISUALIZE_CLI, argv);
  if (help) return undefined;
  const file = onlyPositional(positionals, 'visualize', 'results file', HELP);
  const { json = false, quiet = false, noTransforms, ...visualize } = options;
  return {
    file,
    options: { ...(visualize as VisualizeOptions), ...(noTransforms ? { transforms: false } : {}) },
    json,
    quiet,
  };
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
