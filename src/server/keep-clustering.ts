/**
 * POST /api/clusterings/C/keep {minClusterSize, selection, epsilon}: stores the app's re-cut of clustering
 * C's layer as a new clustering of the layer, with the code of `nap recluster` (engine/keep-recut.ts, which
 * the server's caller hands over: the server layer does not import the engine). Fields are checked here
 * first and named in a 400; only the writer writes.
 */
import { selectionParamsProblem } from '../compute/hdbscan/index.js';
import { InputError, NotFoundError } from '../errors.js';
import type { NapStore } from '../io/store/index.js';
import type { KeptClustering } from '../results/api-types.js';
import type { SelectionMethod } from '../compute/hdbscan/selection.js';

export const KEEP_PATH = /^\/api\/clusterings\/(\d+)\/keep$/;

export interface KeepRequest {
  minClusterSize: number;
  selection: SelectionMethod;
  epsilon: number;
}

const FIELDS = { minClusterSize: 'minClusterSize', clusterSelectionEpsilon: 'epsilon' };

/** The request's parameters, checked against clustering `clusteringId` of `store`; InputError names the field. */
export async function keepRequestOf(
  store: NapStore,
  clusteringId: number,
  body: Record<string, unknown>,
): Promise<KeepRequest> {
  const unknown = Object.keys(body).filter((key) => !['minClusterSize', 'selection', 'epsilon'].includes(key));
  if (unknown.length > 0) {
    throw new InputError(`field ${unknown[0]} is not a parameter of a re-cut`, {
      hint: 'send minClusterSize, selection (leaf | eom) and epsilon',
    });
  }
  const selection = body.selection ?? 'leaf';
  if (selection !== 'leaf' && selection !== 'eom') {
    throw new InputError(`selection ${JSON.stringify(selection)} is not leaf or eom`, {
      hint: 'leaf: the finest patterns (the paper); eom: the most persistent ones',
    });
  }
  const clustering = await store.getClustering(clusteringId).catch((error: unknown) => {
    throw new NotFoundError(`no clustering ${clusteringId} in this store`, {
      hint: 'keep a re-cut of a clustering the app shows',
      cause: error,
    });
  });
  if (clustering.unit !== null) {
    throw new InputError(`clustering ${clusteringId} is a unit clustering`, {
      hint: 'keep re-cuts of layer clusterings (unit clusterings have no stored tree)',
    });
  }
  const patterns = await store.readPatterns(clusteringId);
  const inputs = patterns.size.reduce((n, size) => n + size, 0) + clustering.noiseCount;
  const params = {
    minClusterSize: body.minClusterSize as number,
    clusterSelectionEpsilon: (body.epsilon ?? 0) as number,
  };
  const problem =
    typeof body.minClusterSize !== 'number'
      ? {
          message: `minClusterSize ${JSON.stringify(body.minClusterSize ?? null)} is not a number`,
          hint: 'send a whole number from 2 to the inputs clustered',
        }
      : selectionParamsProblem(params, inputs, FIELDS);
  if (problem) throw new InputError(problem.message, { hint: problem.hint });
  return { minClusterSize: params.minClusterSize, selection, epsilon: params.clusterSelectionEpsilon };
}

/** Stores the re-cut as a new clustering: nap recluster's code, handed to the server by its caller. */
export type KeepWriter = (store: NapStore, clusteringId: number, request: KeepRequest) => Promise<KeptClustering>;
