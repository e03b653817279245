/**
 * Re-selecting a layer's patterns from its stored single-linkage tree (`nap recluster`): another min
 * cluster size, leaf or eom, another epsilon, with no distance work. The result is stored as a new
 * clustering of the layer with everything analyze stores for one (patterns, memberships, GLOSH,
 * persistence, soft memberships, statistics, average images, flow) and equals what `nap analyze` gives
 * with those parameters and the tree's min samples. Min samples itself shapes the tree (every core
 * distance), so changing it needs the distances again: `nap analyze --min-samples`.
 */
import { hdbscan, linkageFromMerges, selectFromLinkage, selectionParamsProblem } from '../compute/hdbscan/index.js';
import { resolveStoredParams, type ResolvedHdbscanParams } from '../compute/hdbscan/options.js';
import type { SelectionMethod } from '../compute/hdbscan/selection.js';
import type { Matrix } from '../compute/matrix.js';
import { InputError } from '../errors.js';
import { choice, OptionSchema, realNumber, switchOption, text, valueOption, wholeNumber } from '../options/schema.js';
import type { Preprocessing } from '../io/datasets/types.js';
import type { FashionMnistSplit } from '../io/datasets/open.js';
import type { AverageImages, ClusteringRecord, ClusteringWriter, StoreReader } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import { showsContents } from '../results/input-content.js';
import { averageImageFormat, averageImagesOf, type LabelledInputs } from './average-images.js';
import {
  clusteringDetails,
  saveLayerClustering,
  softMembershipsOf,
  type LayerSummary,
  type StoreStepTimings,
} from './cluster-layer.js';
import { spanningTreeOf } from './summary.js';
import { parseClusterSpace, storedRowsInSpace, type ClusterSpace } from './cluster-space.js';
import { clusteringCoverage } from './coverage.js';
import { flowsOfNewClustering } from './flow.js';
import { openRunDataset, pickClustering, pickLayer, pickRun } from './run-selection.js';
import { onnxDotKernels } from '../io/onnx/dot-kernel.js';

/** A clustering's stored params: hdbscan's resolved parameters, plus the cluster space when it is not raw. */
export type ClusteringParams = ResolvedHdbscanParams & { clusterSpace?: ClusterSpace };

export function clusteringParams(resolved: ResolvedHdbscanParams, space: ClusterSpace): ClusteringParams {
  return space === 'raw' ? resolved : { ...resolved, clusterSpace: space };
}

/** The params of a stored layer clustering, checked, with its cluster space ('raw' when none is recorded). */
export function storedParams(record: ClusteringRecord): { resolved: ResolvedHdbscanParams; space: ClusterSpace } {
  const { clusterSpace, ...rest } = (record.params ?? {}) as Partial<ClusteringParams>;
  return { resolved: resolveStoredParams(rest), space: parseClusterSpace(clusterSpace ?? 'raw', 'clusterSpace') };
}

export interface ReclusterTimings extends StoreStepTimings {
  selection: number;
  /** Reading the activations (and the cluster space's rows). */
  read: number;
  averageImages: number;
  flow: number;
}

export interface ReclusterOptions {
  /** Run; default the newest run of the store. */
  runId?: number;
  /** The layer whose patterns are re-selected. */
  layer: string;
  /** The clustering whose tree is used; default the layer's newest layer-wide clustering. */
  clusteringId?: number;
  /** Smallest pattern; integer in [2, inputs]. */
  minClusterSize: number;
  /** Default 'leaf' (as nap analyze). */
  selection?: SelectionMethod;
  /** Cluster selection epsilon; finite, >= 0. Default 0. */
  epsilon?: number;
  /**
   * When the clustering has no stored tree (a results file of an older nap): compute it from the stored
   * activations first (distance work, as long as analyze's clustering of the layer). Default false.
   */
  rebuildTree?: boolean;
  /** Dataset folder or file for the average images when the run's is elsewhere now; default the run's. */
  data?: string;
  /** Threads for a rebuilt tree or a cluster space computed again; default all cores. */
  threads?: number;
}

export interface ReclusterResult extends LayerSummary {
  runId: number;
  /** The clustering whose tree was re-selected. */
  sourceClusteringId: number;
  /** The clustering's params (min samples and metric from the tree). */
  params: ClusteringParams;
  /** True when a clustering with these params was stored already (nothing new was computed). */
  existing: boolean;
  /** True when the tree was computed from the activations first (--rebuild-tree). */
  rebuiltTree: boolean;
  /**
   * Milliseconds per step. The clustering work is selection + softMemberships + statistics (no distances
   * but those to the patterns' exemplars); reading and writing the store, average images (one pass over
   * the images) and flow come on top.
   */
  timings: ReclusterTimings;
  /** Why average images were not made, when they could not be (the dataset is not where the run found it). */
  averageImagesSkipped?: string;
}

const FLAGS = { minClusterSize: '--min-cluster-size', clusterSelectionEpsilon: '--epsilon' };

/**
 * The options of `recluster` and `nap recluster` (see src/options/schema.ts). The min cluster size's range
 * (2 to the inputs clustered) is checked by `recluster`, which knows the tree's size.
 */
export const RECLUSTER_OPTIONS = new OptionSchema<ReclusterOptions>('recluster', {
  layer: valueOption(text({ example: 'conv2', placeholder: 'LAYER' }), {
    flag: 'layer',
    help: 'the layer',
    required: true,
  }),
  minClusterSize: valueOption(wholeNumber({ example: 50, placeholder: 'M' }), {
    flag: 'min-cluster-size',
    help: 'smallest pattern, 2..inputs; larger gives fewer, larger patterns',
    required: true,
  }),
  selection: valueOption(choice(['leaf', 'eom'] as const), {
    flag: 'selection',
    help: 'leaf (the paper): the finest patterns; eom: the most persistent ones',
    default: 'leaf',
  }),
  epsilon: valueOption(realNumber({ example: 0.5, min: 0, placeholder: 'E' }), {
    flag: 'epsilon',
    help: 'patterns born closer than distance E merge upwards; 0: off',
    default: 0,
  }),
  runId: valueOption(wholeNumber({ example: 1, min: 1, placeholder: 'ID' }), {
    flag: 'run',
    help: 'run (default: the newest)',
  }),
  clusteringId: valueOption(wholeNumber({ example: 3, min: 1, placeholder: 'ID' }), {
    flag: 'clustering',
    help: "the clustering whose tree is used (default: the layer's newest)",
  }),
  rebuildTree: switchOption({
    flag: 'rebuild-tree',
    help: 'a clustering of an older nap has no tree: compute it from the stored activations',
    default: false,
  }),
  data: valueOption(text({ example: 'images/', placeholder: 'PATH' }), {
    flag: 'data',
    help: "the dataset's current location, for the average images (default: the run's)",
  }),
  threads: valueOption(wholeNumber({ example: 2, min: 1, max: 1024 }), {
    flag: 'threads',
    help: 'threads for a rebuilt tree (default: all cores)',
  }),
});

/** Re-selects a layer's patterns from its stored tree and stores them as a new clustering; see the module comment. */
export async function recluster(
  store: StoreReader & ClusteringWriter,
  options: ReclusterOptions,
  control: TaskControl = {},
): Promise<ReclusterResult> {
  const run = await pickRun(store, options.runId);
  const { runId } = run;
  const layer = (await pickLayer(store, runId, options.layer)).layer;
  const source = await pickClustering(store, runId, layer, options.clusteringId);
  const { resolved: sourceParams, space } = storedParams(source);
  const selection = options.selection ?? 'leaf';
  if (selection !== 'leaf' && selection !== 'eom') {
    throw new InputError(`--selection '${String(selection)}' is not leaf or eom`, {
      hint: 'leaf: the finest patterns (the paper); eom: the most persistent ones, usually fewer and larger',
    });
  }
  const wanted = { minClusterSize: options.minClusterSize, clusterSelectionEpsilon: options.epsilon ?? 0 };

  let rebuiltTree = false;
  let stored = await store.readLinkageTree(source.clusteringId);
  if (stored === null) {
    if (!options.rebuildTree) {
      throw new InputError(
        `layer '${layer}' of run ${runId} has no stored single-linkage tree (clustering ${source.clusteringId} was made by an older nap)`,
        {
          hint: `add --rebuild-tree to compute it from the stored activations (as long as analyze's clustering of the layer), or run the nap analyze command of this run again: it adds the tree to the stored clustering`,
        },
      );
    }
    const activations = await store.readActivations(runId, layer);
    const spaceRows = () => storedRowsInSpace(store, runId, layer, activations, space, threadsOf(options), control);
    const added = await completeStoredClustering(store, source, activations, spaceRows, control);
    if (added === 'different') {
      throw new InputError(
        `the patterns stored for layer '${layer}' (clustering ${source.clusteringId}) differ from what this nap computes with their parameters`,
        {
          hint: `run nap analyze on this model and data again (a new results file) to re-select from a consistent tree`,
        },
      );
    }
    rebuiltTree = true;
    stored = await store.readLinkageTree(source.clusteringId);
    if (stored === null) throw new Error(`the rebuilt tree of clustering ${source.clusteringId} was not stored`);
  }

  const problem = selectionParamsProblem(wanted, stored.pointCount, FLAGS);
  if (problem) throw new InputError(problem.message, { hint: problem.hint });
  const resolved = resolveStoredParams({
    ...sourceParams,
    minClusterSize: wanted.minClusterSize,
    clusterSelectionMethod: selection,
    clusterSelectionEpsilon: wanted.clusterSelectionEpsilon,
  });
  const params = clusteringParams(resolved, space);
  const summaryOf = async (record: ClusteringRecord, existing: boolean): Promise<ReclusterResult> => ({
    runId,
    layer,
    clusteringId: record.clusteringId,
    inputs: stored.pointCount,
    patterns: record.patternCount,
    noise: record.noiseCount,
    spanningTree: spanningTreeOf(params),
    coverage: await clusteringCoverage(store, record.clusteringId),
    sourceClusteringId: source.clusteringId,
    params,
    existing,
    rebuiltTree,
    timings: { selection: 0, read: 0, softMemberships: 0, statistics: 0, store: 0, averageImages: 0, flow: 0 },
  });
  const same = (await store.listClusterings(runId, layer)).find(
    (c) => c.unit === null && JSON.stringify(c.params) === JSON.stringify(params),
  );
  if (same) return summaryOf(same, true);

  let clock = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const elapsed = now - clock;
    clock = now;
    return elapsed;
  };
  const linkageTree = linkageFromMerges(stored);
  const picked = selectFromLinkage(linkageTree, resolved);
  const selectionMs = lap();

  const activations = await store.readActivations(runId, layer);
  const rows = await storedRowsInSpace(store, runId, layer, activations, space, threadsOf(options), control);
  const readMs = lap();
  const steps: StoreStepTimings = { softMemberships: 0, statistics: 0, store: 0 };
  const details = await clusteringDetails(
    { activations: activations.matrix, space: rows },
    picked,
    resolved.metric,
    control,
    steps,
  );
  lap();
  const labelled = { patternCount: picked.clusterCount, inputIndex: activations.inputIndex, labels: picked.labels };
  const images = await averageImagesOfRun(store, run, options.data, labelled, control);
  const averageImagesMs = lap();
  const flows = await flowsOfNewClustering(
    store,
    runId,
    layer,
    {
      memberships: { inputIndex: activations.inputIndex, patternId: picked.labels },
      patternCount: picked.clusterCount,
    },
    control,
  );
  const flowMs = lap();
  // One transaction: a crash or a failure leaves no half clustering behind (no images, no flow).
  const summary = await saveLayerClustering(
    store,
    { runId, layer, unit: null },
    activations.inputIndex,
    {
      clustering: { selection: picked, linkageTree, minSamples: stored.minSamples, metric: resolved.metric, params },
      ...details,
    },
    { ...(images.averageImages ? { averageImages: images.averageImages } : {}), flows },
  );
  steps.store = lap();
  return {
    ...summary,
    runId,
    sourceClusteringId: source.clusteringId,
    params,
    existing: false,
    rebuiltTree,
    timings: { selection: selectionMs, read: readMs, ...steps, averageImages: averageImagesMs, flow: flowMs },
    ...(images.skipped ? { averageImagesSkipped: images.skipped } : {}),
  };
}

function threadsOf(options: { threads?: number }): { threads?: number } {
  return options.threads ? { threads: options.threads } : {};
}

/** Average images of a new clustering of the run, from the run's dataset; the reason when it cannot be read. */
async function averageImagesOfRun(
  store: StoreReader,
  run: Awaited<ReturnType<typeof pickRun>>,
  data: string | undefined,
  clustering: LabelledInputs,
  control: TaskControl,
): Promise<{ averageImages?: AverageImages; skipped?: string }> {
  if (clustering.patternCount === 0) return {};
  const config = (run.config ?? {}) as {
    split?: FashionMnistSplit;
    preprocessing?: Preprocessing;
    averageImageSide?: number;
  };
  // Inputs that are not images have averages drawn from their stored contents when shown (input-pictures.ts).
  if (showsContents(run)) return {};
  if (config.preprocessing === undefined) return { skipped: `run ${run.runId} stores no preprocessing` };
  let opened;
  try {
    opened = await openRunDataset(data ?? run.datasetSpec, config.split, store.path);
  } catch (error) {
    return {
      skipped: `the dataset ${data ?? run.datasetSpec} cannot be opened (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); pass --data with its current location`,
    };
  }
  const { dataset, itemOfPath } = opened;
  const inputs = await store.readInputs(run.runId);
  const itemOfInput = new Map<number, number>();
  inputs.index.forEach((inputIndex, i) => {
    const item = inputs.path[i] === null ? undefined : itemOfPath.get(inputs.path[i]!);
    if (item !== undefined) itemOfInput.set(inputIndex, item);
  });
  const format = averageImageFormat(config.preprocessing, config.averageImageSide ?? 96);
  const itemOf = (input: number) => itemOfInput.get(input);
  const [averageImages] = await averageImagesOf(store, run.runId, dataset, itemOf, format, [clustering], control);
  return { averageImages: averageImages! };
}

/**
 * Adds the linkage tree and soft memberships a stored layer clustering lacks (one written by an older
 * nap): clusters its rows again with its params and keeps the tree when the patterns come out as stored.
 * 'present': nothing was missing; 'added'; 'different': this nap's patterns differ, nothing was added.
 */
export async function completeStoredClustering(
  store: StoreReader & ClusteringWriter,
  record: ClusteringRecord,
  activations: { matrix: Matrix; inputIndex: Int32Array },
  spaceRows: () => Promise<Matrix>,
  control: TaskControl,
): Promise<'present' | 'added' | 'different'> {
  if ((await store.readLinkageTree(record.clusteringId)) !== null) return 'present';
  const { resolved } = storedParams(record);
  const memberships = await store.readMemberships(record.clusteringId);
  if (!sameInputs(memberships.inputIndex, activations.inputIndex)) return 'different';
  const rows = await spaceRows();
  const fit = await hdbscan(rows, { ...resolved, kernels: onnxDotKernels }, control);
  if (!fit.labels.every((label, i) => label === memberships.patternId[i])) return 'different';
  const soft = await softMembershipsOf(rows, fit, resolved.metric, control);
  await store.saveClusteringHierarchy(record.clusteringId, activations.inputIndex, {
    linkageTree: {
      minSamples: resolved.minSamples,
      left: fit.singleLinkageTree.left,
      right: fit.singleLinkageTree.right,
      distance: fit.singleLinkageTree.distance,
    },
    softMemberships: { width: soft.width, patternId: soft.labels, strength: soft.strengths },
  });
  return 'added';
}

function sameInputs(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
