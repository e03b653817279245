import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, writeFile, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { InputError, option } from '../../errors.js';
import type { Progress } from '../../progress.js';
import { makeMatrix, type Matrix } from '../../compute/matrix.js';
import { hdbscan, type HdbscanOptions, type HdbscanResult } from '../../compute/hdbscan/index.js';
import { hdbscanFields, resolveParams } from '../../compute/hdbscan/options.js';
import {
  allPointsMembershipVectors,
  approximatePredict,
  buildSoftTree,
  createPredictor,
  membershipVectors,
} from '../../compute/hdbscan/soft/index.js';
import { list, OptionSchema, switchOption, text, valueOption, wholeNumber } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';
import { onnxDotKernels } from '../../io/onnx/dot-kernel.js';
import { TreeCheckpointFile } from '../../io/tree-checkpoint-file.js';

/** Bytes per read of a matrix file (one read may not pass 2 GiB). */
const READ_CHUNK = 64 * 2 ** 20;

interface ClusterCliOptions extends HdbscanOptions {
  shape: number[];
  out: string;
  soft?: boolean;
  predict?: string;
}

export const CLUSTER_OPTIONS = new OptionSchema<ClusterCliOptions>('cluster', {
  shape: valueOption(
    list(wholeNumber({ example: 1000, min: 1 }), { example: [1000, 64], length: 2, placeholder: 'N,D' }),
    {
      flag: 'shape',
      help: 'rows and columns of the matrix',
      required: true,
    },
  ),
  out: valueOption(text({ example: 'result.json', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'where to write the result JSON',
    required: true,
  }),
  ...hdbscanFields(),
  soft: switchOption({
    flag: 'soft',
    help: "also write membershipVectors: each row's strength in every cluster",
    default: false,
  }),
  predict: valueOption(text({ example: 'new-points.f32', placeholder: 'FILE.f32' }), {
    flag: 'predict',
    help: 'new points (float32, D values each): write their predictions',
  }),
});

const HELP = `Usage: nap cluster <file.f32> --shape N,D --out result.json [options]

Clusters the rows of a raw little-endian float32 matrix (N rows x D columns, row-major) with
HDBSCAN* (same results as Python hdbscan 0.8.43, algorithm 'generic').

Options:
${CLUSTER_OPTIONS.help()}

result.json holds labels (-1 = noise), probabilities, outlierScores, persistence and params
(params.spanningTree is 'approximate' where the approximate tree was used); with --soft,
membershipVectors (N rows of K values, column k = cluster k) as hdbscan's
all_points_membership_vectors; with --predict, predictions {labels, probabilities,
membershipVectors} as hdbscan's approximate_predict and membership_vector.

Resume: the spanning tree, the long stage, is kept in result.json.spanning-tree until
result.json is written; the same command run again after an interruption starts from it
(only for the same rows, --min-samples, --metric and tree path).`;

/** Runs `nap cluster`; returns the exit code (0 ok, 2 bad input, 130 cancelled). */
export const runClusterCommand = cliCommand(CLUSTER_OPTIONS, async (argv, signal) => {
  const { options, positionals, help } = parseOptions(CLUSTER_OPTIONS, argv);
  if (help) {
    console.log(HELP);
    return 0;
  }
  const file = onlyPositional(positionals, 'cluster', 'matrix file', HELP);
  const { shape, out, soft, predict, ...hdbscanOptions } = options as ClusterCliOptions;
  const [count, dim] = shape as [number, number];
  await checkWritableFolder(out);
  const content = createHash('sha256');
  const matrix = await readMatrix(file, count, dim, content);
  const queries = predict === undefined ? undefined : await readMatrix(predict, undefined, dim);
  const onProgress = process.stderr.isTTY ? reportProgress : undefined;
  const control = { signal, onProgress };
  const treeCheckpoint = new TreeCheckpointFile(
    `${out}.spanning-tree`,
    treeKey(content.digest('hex'), hdbscanOptions, matrix),
  );
  const result = await hdbscan(matrix, { ...hdbscanOptions, kernels: onnxDotKernels, treeCheckpoint }, control);
  if (treeCheckpoint.saveFailure !== undefined) {
    console.error(
      `nap cluster: could not keep the spanning tree in ${treeCheckpoint.file} (${treeCheckpoint.saveFailure}); an interrupted run would start over`,
    );
  }
  if (treeCheckpoint.resumed) {
    console.error(
      `nap cluster: resumed from the spanning tree kept in ${treeCheckpoint.file} (same rows and parameters)`,
    );
  }
  const json: Record<string, unknown> = {
    labels: Array.from(result.labels),
    probabilities: Array.from(result.probabilities),
    outlierScores: Array.from(result.outlierScores),
    persistence: Array.from(result.persistence),
    clusterCount: result.clusterCount,
    params: result.params,
  };
  if (soft || queries) Object.assign(json, await softOutputs(matrix, result, soft ?? false, queries, control));
  if (onProgress) process.stderr.write('\n');
  await writeOutput(out, JSON.stringify(json));
  await treeCheckpoint.remove();
  const noise = result.labels.reduce((sum, label) => sum + (label < 0 ? 1 : 0), 0);
  console.error(
    `nap cluster: ${result.clusterCount} clusters, ${noise} noise of ${matrix.count} rows (${result.params.spanningTree ?? 'exact'} spanning tree) -> ${out}`,
  );
  return 0;
});

/** What the spanning tree depends on: the rows (by content) and the parameters that shape the tree. */
function treeKey(contentHash: string, options: HdbscanOptions, matrix: Matrix): string {
  const { minSamples, metric, spanningTree = 'exact' } = resolveParams(options, matrix.count);
  return JSON.stringify({ contentHash, count: matrix.count, dim: matrix.dim, minSamples, metric, spanningTree });
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
    const vectors = await allPointsMembershipVectors(matrix, tree, { metric, kernels: onnxDotKernels }, control);
    out.membershipVectors = rowsOf(vectors, result.clusterCount);
  }
  if (queries) {
    const predictor = await createPredictor(matrix, tree, { minSamples, metric, kernels: onnxDotKernels }, control);
    const predicted = await approximatePredict(predictor, queries, control);
    out.predictions = {
      labels: Array.from(predicted.labels),
      probabilities: Array.from(predicted.probabilities),
      membershipVectors: rowsOf(await membershipVectors(predictor, queries, control), result.clusterCount),
    };
  }
  return out;
}

/**
 * Reads a float32 matrix of `dim` columns; `count` undefined takes as many rows as the file holds. The
 * file is read straight into the matrix (no second copy of a matrix that may be gigabytes); `content`
 * receives its bytes as they come.
 */
async function readMatrix(file: string, count: number | undefined, dim: number, content?: Hash): Promise<Matrix> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new InputError(`cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check the path of the .f32 matrix file',
      cause: error,
    });
  }
  try {
    const size = (await handle.stat()).size;
    if (count === undefined) {
      if (size === 0 || size % (dim * 4) !== 0) {
        throw new InputError(`'${file}' has ${size} bytes, not a whole number of rows of ${dim} float32 values`, {
          hint: `new points need the ${dim} columns of the clustered matrix (raw float32, no header)`,
        });
      }
      count = size / (dim * 4);
    }
    const expected = count * dim * 4;
    if (size !== expected) {
      throw new InputError(
        `'${file}' has ${size} bytes, but ${option('shape', `${count},${dim}`)} needs ${count} x ${dim} x 4 = ${expected}`,
        {
          hint: `check ${option('shape')} against the file (raw float32, no header)`,
        },
      );
    }
    const data = new Float32Array(count * dim);
    const bytes = new Uint8Array(data.buffer);
    for (let at = 0; at < bytes.length;) {
      const { bytesRead } = await handle.read(bytes, at, Math.min(READ_CHUNK, bytes.length - at), at);
      if (bytesRead === 0)
        throw new InputError(`'${file}' ended after ${at} bytes`, { hint: 'the file changed while it was read' });
      content?.update(bytes.subarray(at, at + bytesRead));
      at += bytesRead;
    }
    if (endianness() === 'BE') {
      const view = new DataView(data.buffer);
      for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
    }
    return makeMatrix(count, dim, data);
  } finally {
    await handle.close();
  }
}

/** Fails before the long work, not after it, when the result could not be written. */
async function checkWritableFolder(file: string): Promise<void> {
  try {
    await access(path.dirname(path.resolve(file)), constants.W_OK);
  } catch (error) {
    throw new InputError(`cannot write '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: `check that the folder of ${option('out')} exists and is writable`,
      cause: error,
    });
  }
}

async function writeOutput(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new InputError(`cannot write '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: `check that the folder of ${option('out')} exists and is writable`,
      cause: error,
    });
  }
}

function reportProgress({ stage, done, total }: Progress): void {
  const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
  process.stderr.write(`\r${stage}: ${percent}%   `);
}
