/**
 * Assigning new inputs to a stored clustering, as hdbscan 0.8.43's approximate_predict and
 * membership_vector do (src/compute/hdbscan/soft/predict.ts): each new row joins the stored tree at its
 * nearest mutual-reachability neighbour and gets a pattern (or noise), a membership probability and a
 * soft membership vector over the clustering's patterns. The stored patterns do not change.
 */
import {
  approximatePredict,
  buildSoftTree,
  createPredictor,
  membershipVectors,
  type ClusteringPredictor,
} from '../compute/hdbscan/soft/index.js';
import type { Matrix } from '../compute/matrix.js';
import { divideColumns } from '../compute/normalize.js';
import { InputError } from '../errors.js';
import type { NapStore } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import { storedParams } from './recluster.js';
import { onnxDotKernels } from '../io/onnx/dot-kernel.js';

export interface AssignOptions {
  /**
   * Whether the rows are the layer's aggregated activations as the model gives them (true: they are divided
   * by the layer's stored normalization divisors first, as analyze did) or already normalized (false).
   * Default true.
   */
  raw?: boolean;
  /** Threads of the neighbour search that prepares the stored rows; default 1. */
  threads?: number;
}

export interface Assignment {
  /** Pattern of each new row; -1 = noise. */
  patternId: Int32Array;
  /** Membership probability in [0, 1]; 0 for noise. */
  probability: Float64Array;
  /** Soft membership of each new row in every pattern, row-major rows x patterns (pattern-id columns). */
  membership: Float64Array;
  patternCount: number;
  /** The stored input each row joined the tree at. */
  neighborInput: Int32Array;
}

/** A stored layer clustering made ready to take new rows (reuse it for several batches). */
export interface StoredPredictor {
  predictor: ClusteringPredictor;
  inputIndex: Int32Array;
  divisors: Float32Array;
  patternCount: number;
}

/** Loads what assigning rows to `clusteringId` needs: the layer's rows, the tree, the labels, min samples. */
export async function loadPredictor(
  store: NapStore,
  clusteringId: number,
  options: AssignOptions = {},
  control?: TaskControl,
): Promise<StoredPredictor> {
  const record = await store.getClustering(clusteringId);
  if (record.unit !== null) {
    throw new InputError(`clustering ${clusteringId} holds unit patterns of layer '${record.layer}'`, {
      hint: 'assign new inputs to a layer clustering (unit patterns cluster spatial maps)',
    });
  }
  const { resolved, space } = storedParams(record);
  if (space !== 'raw') {
    throw new InputError(`clustering ${clusteringId} was clustered in ${space}, which new inputs cannot be placed in`, {
      hint: 'assign new inputs to a clustering of the raw activations (nap analyze --cluster-space raw)',
    });
  }
  const { matrix, inputIndex } = await store.readActivations(record.runId, record.layer);
  const memberships = await store.readMemberships(clusteringId);
  const tree = await store.readCondensedTree(clusteringId);
  if (memberships.inputIndex.length !== inputIndex.length) {
    throw new InputError(
      `clustering ${clusteringId} covers ${memberships.inputIndex.length} of the layer's ${inputIndex.length} inputs`,
      {
        hint: 'assign to a clustering of every input of the layer',
      },
    );
  }
  // The store orders the tree's rows by parent and child; the soft tree does not depend on row order.
  const condensed = { ...tree, lambda: Float64Array.from(tree.lambda) };
  const soft = buildSoftTree(condensed, memberships.patternId, record.patternCount);
  const predictor = await createPredictor(
    matrix,
    soft,
    {
      minSamples: resolved.minSamples,
      metric: resolved.metric,
      threads: options.threads ?? 1,
      kernels: onnxDotKernels,
    },
    control,
  );
  const divisors = await store.readLayerDivisors(record.runId, record.layer);
  return { predictor, inputIndex, divisors, patternCount: record.patternCount };
}

/** Assigns `rows` (one per new input, the layer's width) to a loaded clustering. */
export async function assignRows(
  loaded: StoredPredictor,
  rows: Matrix,
  options: AssignOptions = {},
  control?: TaskControl,
): Promise<Assignment> {
  const normalized = options.raw === false ? rows : normalizeRows(rows, loaded.divisors);
  const predicted = await approximatePredict(loaded.predictor, normalized, control);
  return {
    patternId: predicted.labels,
    probability: predicted.probabilities,
    membership: await membershipVectors(loaded.predictor, normalized, control),
    patternCount: loaded.patternCount,
    neighborInput: Int32Array.from(predicted.neighbors, (row) => (row < 0 ? -1 : loaded.inputIndex[row]!)),
  };
}

/** Loads the clustering and assigns `rows` to it in one call. */
export async function assignToClustering(
  store: NapStore,
  clusteringId: number,
  rows: Matrix,
  options: AssignOptions = {},
  control?: TaskControl,
): Promise<Assignment> {
  return assignRows(await loadPredictor(store, clusteringId, options, control), rows, options, control);
}

function normalizeRows(rows: Matrix, divisors: Float32Array): Matrix {
  if (divisors.length !== rows.dim) {
    throw new InputError(`new rows have ${rows.dim} values each, the layer's stored rows ${divisors.length}`, {
      hint: "give each new input's aggregated activations of the same layer and aggregation",
    });
  }
  const copy = { count: rows.count, dim: rows.dim, data: rows.data.slice() };
  divideColumns(copy, Float64Array.from(divisors));
  return copy;
}
