/**
 * Pattern heatmaps ("where a pattern lives in the image"): the store keeps only aggregated activations, so
 * this re-runs the run's model over the members of a layer's patterns (one pass for all requested
 * patterns), compares each spatial position of the layer with its pattern's centroid (src/compute/heatmap.ts)
 * and stores every member's heatmap and each pattern's mean heatmap.
 */
import { createHash } from 'node:crypto';
import { aggregatedDim, AGGREGATIONS, type Aggregation } from '../compute/aggregate.js';
import {
  columnMeans,
  gridPositions,
  heatmapColumns,
  heatmapOf,
  heatmapTarget,
  meanHeatmap,
  patternCentroids,
  spatialGrid,
  type HeatmapTarget,
  type SpatialGrid,
} from '../compute/heatmap.js';
import { gatherRows } from '../compute/matrix.js';
import { InputError } from '../errors.js';
import { BATCH_SIZE_FIELD, THREADS_FIELD } from './config.js';
import { decodeModel, singleFloatInput, type DecodedModel } from '../io/onnx/graph.js';
import type { ChannelLayout } from '../io/onnx/layout.js';
import { openOnnxBytes } from '../io/onnx/runner.js';
import { readModelFile } from '../io/onnx/session.js';
import { tensorLayouts } from '../io/onnx/tensor-layout.js';
import type { LayerLayoutRecord } from '../io/store/tensor-records.js';
import {
  MEAN_HEATMAP,
  type ClusteringRecord,
  type LayerInfo,
  type RunRecord,
  type HeatmapWriter,
  type StoreReader,
} from '../io/store/index.js';
import { list, OptionSchema, text, valueOption, wholeNumber } from '../options/schema.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { runConfig } from './run-config.js';
import { openRunDataset, pickClustering, pickLayer, pickRun } from './run-selection.js';

export interface HeatmapOptions {
  /** Run; default the newest run of the store. */
  runId?: number;
  /** Layer (tensor name) whose patterns get heatmaps; must be convolutional (spatial positions > 1). */
  layer: string;
  /** Layer clustering; default the layer's newest layer clustering. */
  clusteringId?: number;
  /** Pattern ids; default every pattern of the clustering. */
  patterns?: number[];
  /** Model file; default the run's stored model path. Must be the very model analysed (same SHA-256). */
  model?: string;
  /** Dataset spec; default the run's (a relative path is also tried from the store's folder). */
  data?: string;
  /** Inputs per forward pass; default 32. */
  batchSize?: number;
  /** onnxruntime threads; default 0 = all cores. */
  threads?: number;
}

export interface PatternHeatmapSummary {
  patternId: number;
  /** Members with a heatmap (members whose image could not be read have none). */
  members: number;
  /** The mean heatmap, height x width row-major. */
  mean: Float32Array;
}

export interface HeatmapsResult {
  runId: number;
  clusteringId: number;
  layer: string;
  /** Layer grid of every heatmap. */
  height: number;
  width: number;
  /** The model's input size, which the images are rendered at. */
  imageHeight: number;
  imageWidth: number;
  patterns: PatternHeatmapSummary[];
  /** Members left out: their image could not be read, or is no longer in the dataset. */
  skipped: { inputIndex: number; path: string | null; reason: string }[];
}

/** What analyze stores in a run's config that heatmaps need. */
/** The options of `computePatternHeatmaps` and `nap heatmaps` (see src/options/schema.ts). */
export const HEATMAP_OPTIONS = new OptionSchema<HeatmapOptions>('heatmaps', {
  layer: valueOption(text({ example: 'conv2', placeholder: 'LAYER' }), {
    flag: 'layer',
    help: 'the layer (it must have spatial positions)',
    required: true,
  }),
  runId: valueOption(wholeNumber({ example: 1, min: 1, placeholder: 'ID' }), {
    flag: 'run',
    help: 'run (default: the newest)',
  }),
  patterns: valueOption(list(wholeNumber({ example: 0 }), { example: [0, 2], placeholder: 'P[,P...]' }), {
    flag: 'pattern',
    help: 'patterns (default: every pattern of the layer; noise, -1, has no centroid and no heatmap)',
  }),
  clusteringId: valueOption(wholeNumber({ example: 3, min: 1, placeholder: 'ID' }), {
    flag: 'clustering',
    help: "layer clustering (default: the layer's newest)",
  }),
  model: valueOption(text({ example: 'model.onnx', placeholder: 'PATH' }), {
    flag: 'model',
    help: 'the analysed model file, when it moved (checked by SHA-256)',
  }),
  data: valueOption(text({ example: 'images/', placeholder: 'SPEC' }), {
    flag: 'data',
    help: 'the analysed dataset, when it moved',
  }),
  batchSize: BATCH_SIZE_FIELD,
  threads: THREADS_FIELD,
});

/**
 * Computes and stores the heatmaps of every member of the requested patterns and each pattern's mean
 * heatmap, replacing heatmaps stored before for those patterns. The store must be open writable.
 */
export async function computePatternHeatmaps(
  store: StoreReader & HeatmapWriter,
  options: HeatmapOptions,
  control: TaskControl = {},
): Promise<HeatmapsResult> {
  const { batchSize, threads: threadCount } = HEATMAP_OPTIONS.resolve(options) as Required<
    Pick<HeatmapOptions, 'batchSize' | 'threads'>
  >;
  const threads = threadCount || undefined;
  const run = await pickRun(store, options.runId);
  const layerInfo = await pickLayer(store, run.runId, options.layer);
  const clustering = await pickClustering(store, run.runId, layerInfo.layer, options.clusteringId);
  const patternIds = pickPatterns(clustering, options.patterns);
  const config = runConfig(run);
  const preprocessing = config.preprocessing;
  if (preprocessing === null) {
    throw new InputError(`run ${run.runId} has no stored preprocessing`, {
      hint: 'analyze the model again with this nap; heatmaps re-run the model as the analysis did',
    });
  }

  const modelPath = options.model ?? run.modelPath;
  const modelBytes = await readModelFile(modelPath);
  if (createHash('sha256').update(modelBytes).digest('hex') !== run.modelSha256) {
    throw new InputError(`model ${modelPath} is not the model run ${run.runId} analysed (its SHA-256 differs)`, {
      hint: 'restore the analysed model file, or pass its current path with --model',
    });
  }
  // Decoded once: the layer's grid (older runs) and the runner's model both come from it.
  const model = decodeModel(modelBytes, modelPath);
  const stored = (await store.readLayerLayouts(run.runId)).find((layout) => layout.layer === layerInfo.layer);
  const { grid, skip } = stored ? storedGrid(stored) : { grid: layerGrid(model, modelPath, run, layerInfo), skip: 0 };
  const aggregation = layerInfo.aggregation as Aggregation;
  if (
    !AGGREGATIONS.includes(aggregation) ||
    aggregatedDim(aggregation, { units: grid.units, positions: gridPositions(grid), order: grid.order }) !==
      layerInfo.dim
  ) {
    throw new InputError(
      `layer ${JSON.stringify(layerInfo.layer)} stores ${layerInfo.dim} columns, which ${layerInfo.aggregation} aggregation of [${layerInfo.rawDims.join(', ')}] does not give`,
      {
        hint: 'the stored layer does not match the model; analyze it again',
      },
    );
  }

  const targets = await patternTargets(store, run.runId, layerInfo, clustering, patternIds, grid, aggregation);
  const memberships = await store.readMemberships(clustering.clusteringId);
  const wanted = new Set(patternIds);
  const memberRows = Int32Array.from(memberships.inputIndex.keys()).filter((row) =>
    wanted.has(memberships.patternId[row]!),
  );
  const members = memberRows.map((row) => memberships.inputIndex[row]!).sort();
  const patternOf = new Map(
    Array.from(memberRows, (row) => [memberships.inputIndex[row]!, memberships.patternId[row]!]),
  );
  const paths = (await store.readInputs(run.runId, members)).path;

  const { dataset, itemOfPath } = await openRunDataset(
    options.data ?? run.datasetSpec,
    config.options.split,
    store.path,
  );
  const skipped: HeatmapsResult['skipped'] = [];
  const readable: number[] = [];
  const readablePaths: string[] = [];
  const items: number[] = [];
  members.forEach((inputIndex, i) => {
    const item = paths[i] === null ? undefined : itemOfPath.get(paths[i]!);
    if (item === undefined)
      skipped.push({
        inputIndex,
        path: paths[i] ?? null,
        reason: `not in the dataset at ${options.data ?? run.datasetSpec}`,
      });
    else {
      readable.push(inputIndex);
      readablePaths.push(paths[i]!);
      items.push(item);
    }
  });

  const size = grid.height * grid.width;
  const heatmaps = new Float32Array(readable.length * size);
  const computed = new Uint8Array(readable.length);
  const runner = await openOnnxBytes(model, modelPath, {
    layers: [layerInfo.layer],
    ...(threads ? { threads } : {}),
  });
  try {
    for (let start = 0; start < readable.length; start += batchSize) {
      throwIfCancelled(control.signal, 'heatmaps');
      control.onProgress?.({ stage: `${layerInfo.layer}: heatmaps`, done: start, total: readable.length });
      const count = Math.min(batchSize, readable.length - start);
      const batch = await dataset.load(
        items.slice(start, start + count),
        preprocessing,
        control.signal ? { signal: control.signal } : {},
      );
      const failed = new Map(batch.failed.map((failure) => [failure.index, failure.reason]));
      const { layers } = await runner.run(batch.data, batch.dims);
      const tensor = layers[0]!;
      const itemSize = tensor.data.length / count;
      for (let i = 0; i < count; i++) {
        const inputIndex = readable[start + i]!;
        const reason = failed.get(items[start + i]!);
        if (reason !== undefined) {
          skipped.push({ inputIndex, path: readablePaths[start + i]!, reason });
          continue;
        }
        heatmapOf(
          // A token layer's prefix tokens (CLS, distillation, registers) are not patches: the rest is the grid.
          tensor.data.subarray(i * itemSize + skip, (i + 1) * itemSize),
          targets.get(patternOf.get(inputIndex)!)!,
          heatmaps,
          (start + i) * size,
        );
        computed[start + i] = 1;
      }
    }
  } finally {
    await runner.close();
  }
  control.onProgress?.({ stage: `${layerInfo.layer}: heatmaps`, done: readable.length, total: readable.length });

  const summaries = patternIds.map((patternId): PatternHeatmapSummary & { rows: number[] } => {
    const rows = readable.flatMap((inputIndex, row) =>
      computed[row] && patternOf.get(inputIndex) === patternId ? [row] : [],
    );
    const values = gatherRows(heatmaps, size, rows);
    return { patternId, members: rows.length, mean: meanHeatmap(values, rows.length, size), rows };
  });
  await saveHeatmaps(store, clustering.clusteringId, grid, summaries, readable, heatmaps);
  skipped.sort((a, b) => a.inputIndex - b.inputIndex);
  return {
    runId: run.runId,
    clusteringId: clustering.clusteringId,
    layer: layerInfo.layer,
    height: grid.height,
    width: grid.width,
    imageHeight: preprocessing.height,
    imageWidth: preprocessing.width,
    patterns: summaries.map(({ patternId, members: count, mean }) => ({ patternId, members: count, mean })),
    skipped,
  };
}

/** One transaction: each pattern's mean (when it has members with heatmaps) and its members' heatmaps. */
async function saveHeatmaps(
  store: HeatmapWriter,
  clusteringId: number,
  grid: SpatialGrid,
  summaries: (PatternHeatmapSummary & { rows: number[] })[],
  readable: number[],
  heatmaps: Float32Array,
): Promise<void> {
  const size = grid.height * grid.width;
  const kept = summaries.filter((summary) => summary.members > 0);
  const total = kept.reduce((n, summary) => n + 1 + summary.members, 0);
  const patternId = new Int32Array(total);
  const inputIndex = new Int32Array(total);
  const values = new Float32Array(total * size);
  let at = 0;
  for (const summary of kept) {
    patternId[at] = summary.patternId;
    inputIndex[at] = MEAN_HEATMAP;
    values.set(summary.mean, at++ * size);
    for (const row of summary.rows) {
      patternId[at] = summary.patternId;
      inputIndex[at] = readable[row]!;
      values.set(heatmaps.subarray(row * size, (row + 1) * size), at++ * size);
    }
  }
  if (total > 0)
    await store.savePatternHeatmaps(clusteringId, {
      patternId,
      inputIndex,
      height: grid.height,
      width: grid.width,
      values,
    });
}

function pickPatterns(clustering: ClusteringRecord, requested: number[] | undefined): number[] {
  const { patternCount, clusteringId } = clustering;
  if (patternCount === 0) {
    throw new InputError(
      `clustering ${clusteringId} of layer ${JSON.stringify(clustering.layer)} found no patterns (every input is noise)`,
      { hint: 'noise has no centroid to compare with; cluster with other parameters' },
    );
  }
  if (requested === undefined) return Array.from({ length: patternCount }, (_, p) => p);
  if (requested.length === 0)
    throw new InputError('no patterns were asked for', { hint: 'leave patterns out for all of them, or name some' });
  for (const patternId of requested) {
    if (!Number.isInteger(patternId) || patternId < 0 || patternId >= patternCount) {
      throw new InputError(`pattern ${patternId} does not exist in clustering ${clusteringId}`, {
        hint: `its patterns are 0..${patternCount - 1}`,
      });
    }
  }
  return [...new Set(requested)].sort((a, b) => a - b);
}

/**
 * The grid of a layer from its stored layout: a spatial map's own, or the patch grid a token layer's patch
 * tokens came from, with `skip` values (its prefix tokens) in front of every input's grid.
 */
function storedGrid(layout: LayerLayoutRecord): { grid: SpatialGrid; skip: number } {
  if (layout.grid === null || layout.grid.height * layout.grid.width < 2) {
    throw new InputError(
      `layer ${JSON.stringify(layout.layer)} has no spatial map (${layout.layout === 'tokens' ? 'its tokens come from no patch grid' : `it is ${layout.layout}`}), so its patterns have no heatmap`,
      {
        hint: 'heatmaps are for convolutional layers and for the token layers of image transformers (tokens from a patch grid)',
      },
    );
  }
  const grid: SpatialGrid = { units: layout.units, ...layout.grid, order: layout.order };
  return { grid, skip: layout.layout === 'tokens' ? layout.prefixTokens * layout.units : 0 };
}

/** The layer's spatial grid, with its channel order from the model graph as analyze determined it. */
function layerGrid(model: DecodedModel, modelPath: string, run: RunRecord, layer: LayerInfo): SpatialGrid {
  const { graph } = model;
  const input = singleFloatInput(graph, modelPath);
  const inputLayout = run.modelLayout as ChannelLayout;
  const layout = tensorLayouts(graph, input.name, inputLayout).get(layer.layer) ?? inputLayout;
  const grid = spatialGrid(layer.rawDims, layout === 'NCHW' ? 'channels-first' : 'channels-last');
  if (grid === null) {
    throw new InputError(
      `layer ${JSON.stringify(layer.layer)} has no spatial map (dims [${layer.rawDims.join(', ')}] per input), so its patterns have no heatmap`,
      {
        hint: 'heatmaps are for convolutional layers (a grid of positions); pick such a layer',
      },
    );
  }
  return grid;
}

/** The comparison target of each requested pattern: its centroid and the layer's mean over the stored normalized activations. */
async function patternTargets(
  store: StoreReader,
  runId: number,
  layer: LayerInfo,
  clustering: ClusteringRecord,
  patternIds: number[],
  grid: SpatialGrid,
  aggregation: Aggregation,
): Promise<Map<number, HeatmapTarget>> {
  const [divisors, activations, memberships] = await Promise.all([
    store.readLayerDivisors(runId, layer.layer),
    store.readActivations(runId, layer.layer),
    store.readMemberships(clustering.clusteringId),
  ]);
  if (divisors.length !== layer.dim) {
    throw new InputError(
      `layer ${JSON.stringify(layer.layer)} stores ${divisors.length} divisors for ${layer.dim} columns`,
      { hint: 'analyze the model again into a new store' },
    );
  }
  const patternOfInput = new Map(
    Array.from(memberships.inputIndex, (index, row) => [index, memberships.patternId[row]!]),
  );
  const patternOfRow = Int32Array.from(activations.inputIndex, (index) => patternOfInput.get(index) ?? -1);
  const { centroids } = patternCentroids(activations.matrix, patternOfRow, clustering.patternCount);
  const columns = heatmapColumns(grid, aggregation);
  const dim = layer.dim;
  const baseline = columnMeans(activations.matrix);
  return new Map(
    patternIds.map((p) => [
      p,
      heatmapTarget(grid, columns, divisors, centroids.subarray(p * dim, (p + 1) * dim), baseline),
    ]),
  );
}
