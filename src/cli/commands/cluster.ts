import { readFile, writeFile } from 'node:fs/promises';
import { CancelledError, InputError, NapError } from '../../errors.js';
import type { Progress } from '../../progress.js';
import { makeMatrix, type Matrix } from '../../compute/matrix.js';
import { METRICS } from '../../compute/hdbscan/distance.js';
import {
  AUTO_APPROXIMATE_ROWS,
  hdbscan,
  type HdbscanOptions,
  type HdbscanResult,
} from '../../compute/hdbscan/index.js';
import {
  allPointsMembershipVectors,
  approximatePredict,
  buildSoftTree,
  createPredictor,
  membershipVectors,
} from '../../compute/hdbscan/soft/index.js';
import {
  choiceOption,
  numberOption,
  onlyPositional,
  parseCommandArgs,
  spanningTreeOption,
  wholeNumberListOption,
  wholeNumberOption,
} from '../args.js';

const HELP = `Usage: nap cluster <file.f32> --shape N,D --out result.json [options]

Clusters the rows of a raw little-endian float32 matrix (N rows x D columns, row-major) with
HDBSCAN* (same results as Python hdbscan 0.8.43, algorithm 'generic').

Options:
  --shape N,D               rows and columns of the matrix (required)
  --out FILE                where to write the result JSON (required)
  --min-cluster-size K      smallest cluster (default 5)
  --min-samples K           neighbours for the core distance (default: min cluster size)
  --selection leaf|eom      cluster selection method (default leaf)
  --epsilon E               cluster selection epsilon (default 0)
  --metric NAME             euclidean, cosine or manhattan (default euclidean)
  --allow-single-cluster    allow the whole data set as one cluster
  --approximate             approximate spanning tree (euclidean, cosine); default from ${AUTO_APPROXIMATE_ROWS} rows
  --exact                   exact spanning tree at any size (the default below ${AUTO_APPROXIMATE_ROWS} rows)
  --soft                    also write membershipVectors: each row's strength in every cluster
  --predict FILE.f32        new points (float32, D values each): write their predictions

result.json holds labels (-1 = noise), probabilities, outlierScores, persistence and params
(params.spanningTree is 'approximate' where the approximate tree was used); with --soft,
membershipVectors (N rows of K values, column k = cluster k) as hdbscan's
all_points_membership_vectors; with --predict, predictions {labels, probabilities,
membershipVectors} as hdbscan's approximate_predict and membership_vector.`;

const SELECTION_METHODS: readonly NonNullable<HdbscanOptions['clusterSelectionMethod']>[] = ['leaf', 'eom'];

interface ClusterArgs {
  file: string;
  count: number;
  dim: number;
  out: string;
  options: HdbscanOptions;
  soft: boolean;
  predict: string | undefined;
}

/** Runs `nap cluster`; returns the exit code (0 ok, 2 bad input, 130 cancelled). */
export async function runClusterCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  try {
    const args = parseClusterArgs(argv);
    if (!args) {
      console.log(HELP);
      return 0;
    }
    const matrix = await readMatrix(args.file, args.count, args.dim);
    const queries = args.predict === undefined ? undefined : await readMatrix(args.predict, undefined, args.dim);
    const onProgress = process.stderr.isTTY ? reportProgress : undefined;
    const control = { signal, onProgress };
    const result = await hdbscan(matrix, args.options, control);
    const json: Record<string, unknown> = {
      labels: Array.from(result.labels),
      probabilities: Array.from(result.probabilities),
      outlierScores: Array.from(result.outlierScores),
      persistence: Array.from(result.persistence),
      clusterCount: result.clusterCount,
      params: result.params,
    };
    if (args.soft || queries) Object.assign(json, await softOutputs(matrix, result, args.soft, queries, control));
    if (onProgress) process.stderr.write('\n');
    await writeOutput(args.out, JSON.stringify(json));
    const noise = result.labels.reduce((sum, label) => sum + (label < 0 ? 1 : 0), 0);
    console.error(
      `nap cluster: ${result.clusterCount} clusters, ${noise} noise of ${matrix.count} rows (${result.params.spanningTree ?? 'exact'} spanning tree) -> ${args.out}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CancelledError) {
      console.error(`nap cluster: ${error.message}`);
      return 130;
    }
    if (error instanceof NapError) {
      console.error(`nap cluster: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

function parseClusterArgs(argv: string[]): ClusterArgs | undefined {
  const { values, positionals } = parseCommandArgs('cluster', {
    args: argv,
    allowPositionals: true,
    options: {
      shape: { type: 'string' },
      out: { type: 'string' },
      'min-cluster-size': { type: 'string' },
      'min-samples': { type: 'string' },
      selection: { type: 'string' },
      epsilon: { type: 'string' },
      metric: { type: 'string' },
      'allow-single-cluster': { type: 'boolean' },
      soft: { type: 'boolean' },
      predict: { type: 'string' },
      approximate: { type: 'boolean' },
      exact: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const file = onlyPositional(positionals, 'cluster', 'matrix file', HELP);
  if (!values.shape) throw new InputError('--shape is missing', { hint: 'give the matrix shape as --shape N,D' });
  if (!values.out) throw new InputError('--out is missing', { hint: 'name the result file with --out result.json' });
  const [count, dim] = wholeNumberListOption(values.shape, '--shape', { example: '1000,64', min: 1, length: 2 })!;
  const spanningTree = spanningTreeOption(values.approximate, values.exact);
  const options: HdbscanOptions = {
    ...(spanningTree ? { spanningTree } : {}),
    minClusterSize: wholeNumberOption(values['min-cluster-size'], '--min-cluster-size', { example: '5', min: 1 }),
    minSamples: wholeNumberOption(values['min-samples'], '--min-samples', { example: '5', min: 1 }),
    clusterSelectionEpsilon: numberOption(values.epsilon, '--epsilon', { example: '0.5' }),
    clusterSelectionMethod: choiceOption(values.selection, '--selection', SELECTION_METHODS),
    metric: choiceOption(values.metric, '--metric', METRICS),
    allowSingleCluster: values['allow-single-cluster'] ?? false,
  };
  return {
    file,
    count: count!,
    dim: dim!,
    out: values.out,
    options,
    soft: values.soft ?? false,
    predict: values.predict,
  };
}

/** Rows of K values, as nested arrays for the JSON. */
function rowsOf(values: Float64Array, width: number): number[][] {
  return Array.from({ length: width === 0 ? 0 : values.length / width }, (_, i) =>
    Array.from(values.subarray(i * width, (i + 1) * width)),
  );
}

async function softOutputs(
  matrix: Matrix,
  result: HdbscanResult,
  soft: boolean,
  queries: Matrix | undefined,
  control: { signal: AbortSignal | undefined; onProgress: ((progress: Progress) => void) | undefined },
): Promise<Record<string, unknown>> {
  const tree = buildSoftTree(result.condensedTree, result.labels, result.clusterCount);
  const { metric, minSamples } = result.params;
  const out: Record<string, unknown> = {};
  if (soft) {
    const vectors = await allPointsMembershipVectors(matrix, tree, { metric }, control);
    out.membershipVectors = rowsOf(vectors, result.clusterCount);
  }
  if (queries) {
    const predictor = await createPredictor(matrix, tree, { minSamples, metric }, control);
    const predicted = await approximatePredict(predictor, queries, control);
    out.predictions = {
      labels: Array.from(predicted.labels),
      probabilities: Array.from(predicted.probabilities),
      membershipVectors: rowsOf(await membershipVectors(predictor, queries, control), result.clusterCount),
    };
  }
  return out;
}

/** Reads a float32 matrix of `dim` columns; `count` undefined takes as many rows as the file holds. */
async function readMatrix(file: string, count: number | undefined, dim: number): Promise<Matrix> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new InputError(`cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check the path of the .f32 matrix file',
      cause: error,
    });
  }
  if (count === undefined) {
    if (bytes.length === 0 || bytes.length % (dim * 4) !== 0) {
      throw new InputError(`'${file}' has ${bytes.length} bytes, not a whole number of rows of ${dim} float32 values`, {
        hint: `new points need the ${dim} columns of the clustered matrix (raw float32, no header)`,
      });
    }
    count = bytes.length / (dim * 4);
  }
  const expected = count * dim * 4;
  if (bytes.length !== expected) {
    throw new InputError(
      `'${file}' has ${bytes.length} bytes, but --shape ${count},${dim} needs ${count} x ${dim} x 4 = ${expected}`,
      {
        hint: 'check --shape against the file (raw float32, no header)',
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(count * dim);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  return makeMatrix(count, dim, data);
}

async function writeOutput(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new InputError(`cannot write '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check that the folder of --out exists and is writable',
      cause: error,
    });
  }
}

function reportProgress({ stage, done, total }: Progress): void {
  const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
  process.stderr.write(`\r${stage}: ${percent}%   `);
}
