import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Aggregation } from '../compute/aggregate.js';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import { resolveParams } from '../compute/hdbscan/options.js';
import type { Matrix } from '../compute/matrix.js';
import { MaxActivationRanking } from '../compute/max-activations.js';
import { CancelledError, InputError, option } from '../errors.js';
import { openDataset } from '../io/datasets/open.js';
import { isTensorSpec, openTensorDataset } from '../io/datasets/open-tensors.js';
import { sampleIndices } from '../io/datasets/sample.js';
import type { Dataset, DatasetBase, TensorDataset } from '../io/datasets/types.js';
import { listLayersOfBytes } from '../io/onnx/inspect.js';
import { decodeModel, resolveLayers, type DecodedModel } from '../io/onnx/graph.js';
import { resolveDevice, type Device } from '../io/onnx/device.js';
import { modelInputs } from '../io/onnx/model-inputs.js';
import { openOnnxBytes, type ModelRunner } from '../io/onnx/runner.js';
import { readModelFile } from '../io/onnx/session.js';
import {
  closeAfter,
  NapStore,
  type LayerLayoutRecord,
  type RunRecord,
  type ClusteringWriter,
  type ExtractionWriter,
  type StoreReader,
} from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { averageImageFormat, saveMissingAverageImages } from './average-images.js';
import {
  clusterRows,
  layerStatisticsColumns,
  saveLayerClustering,
  storeLayerClustering,
  type ComputedLayerClustering,
  type LayerSummary,
} from './cluster-layer.js';
import { spanningTreeOf } from './summary.js';
import { storedRowsInSpace, type ClusterSpace } from './cluster-space.js';
import { clusteringCoverage } from './coverage.js';
import { clusteringParams, completeStoredClustering } from './recluster.js';
import {
  ANALYZE_OPTIONS,
  resolveRunOptions,
  type AnalyzeOptions,
  type ResolvedRunOptions,
  type RunOptions,
} from './config.js';
import {
  describeLayer,
  extractActivations,
  pendingBatches,
  type ExtractedBatch,
  type ExtractedLayer,
  type ExtractionPlan,
} from './extract.js';
import { imageFeeding, tensorFeeding, type Feeding } from './feeding.js';
import { normalizeLayer } from './normalize-layer.js';
import { BatchBuffer } from './batch-buffer.js';
import { storeRunFlows } from './flow.js';
import { storeRunProjections, type ProjectMatrix } from './project-layer.js';
import { projectionThread } from './project-on-thread.js';
import { sideBySide } from './side-by-side.js';
import { shiftableLayout, storeShiftedProbabilities } from './test-time-shifts.js';

export type { LayerSummary } from './cluster-layer.js';

export interface AnalyzeResult {
  runId: number;
  /** True when activations came from an earlier identical run in the store instead of the model. */
  reusedActivations: boolean;
  layers: LayerSummary[];
  /** Images that could not be read and were left out. */
  skipped: { path: string; reason: string }[];
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/**
 * Everything an analysis settles before the model runs: the resolved options, the rows (dataset items), the
 * layers with their geometry, and the run's identity (model, dataset and extraction hashes). The single-process
 * analysis and every process of a distributed one (src/distributed/) prepare the same options alike.
 */
export interface PreparedAnalysis {
  /** `out` is left out by a worker of an indexed job, which stores no results (see RunOptions). */
  config: ResolvedRunOptions;
  /** The model, decoded once: the layer probe and every runner derive their models from it. */
  model: DecodedModel;
  modelSha256: string;
  dataset: Dataset | TensorDataset;
  /** Dataset item index of each row of the analysis. */
  items: Int32Array;
  /** How the dataset feeds the model's inputs (images or named arrays), with its image preprocessing. */
  feeding: Feeding;
  /** The execution provider the model runs on. */
  device: Device;
  layers: ExtractedLayer[];
  /** Each layer's layout as traced from the graph (token, spatial or flat), stored with the run. */
  layerLayouts: LayerLayoutRecord[];
  unitMaps: UnitMap[];
  /** Layers pooled inside the model (see pooledLayers). */
  pooled: string[];
  threads: number | undefined;
  extractionConfigHash: string;
}

/**
 * Where the raw aggregated activations of the rows not yet staged come from: the model in this process
 * (analyze), or shard files written by workers (src/distributed/). `staged` lists the row ranges already
 * committed; every batch given to `commit` must be one the model would have produced.
 */
export type BatchSource = (
  staged: { start: number; count: number }[],
  commit: (batch: ExtractedBatch) => Promise<void>,
) => Promise<void>;

/** Where a layer's patterns and map are computed: in this process unless a hook sends them elsewhere. */
export interface LayerCompute {
  /** A layer's clustering in its cluster space, with its soft memberships and pattern statistics. */
  patterns?: (
    layer: string,
    activations: { matrix: Matrix; inputIndex: Int32Array },
    clustering: { options: Omit<HdbscanOptions, 'mst'>; space: ClusterSpace },
    control: TaskControl,
  ) => Promise<ComputedLayerClustering>;
  project?: ProjectMatrix;
}

/**
 * The whole NAP analysis: model over dataset (one forward pass per batch for all layers), aggregation and
 * normalization, HDBSCAN* patterns per layer, statistics, max activations and average images, all stored in
 * one DuckDB file. An identical earlier run in the same store is reused: only clusterings with new
 * parameters are computed.
 */
export async function analyze(options: AnalyzeOptions, control: TaskControl = {}): Promise<AnalyzeResult> {
  // Refused before the dataset and model are read: the results file is the one option preparation does without.
  ANALYZE_OPTIONS.requirePresent(options);
  const prepared = await prepareAnalysis(options);
  return analyzePrepared(prepared, modelSource(prepared, control), control);
}

/** Resolves the options, opens the dataset, picks the rows and probes the model's layers; runs no batch. */
export async function prepareAnalysis(options: RunOptions): Promise<PreparedAnalysis> {
  const config = resolveRunOptions(options);
  // A device that cannot start is reported before any data is read.
  const device = await resolveDevice(config.device);
  const modelBytes = await readModelFile(config.model);
  const modelSha256 = sha256(modelBytes);
  // One labels file option: an IDX images file's labels, or one label per row of data that is not images.
  const tensorOptions = {
    ...config.tensorData,
    ...(config.labelsPath !== undefined ? { labels: config.labelsPath } : {}),
  };
  const dataset: Dataset | TensorDataset = (await isTensorSpec(config.data, tensorOptions))
    ? await openTensorDataset(config.data, tensorOptions)
    : await openDataset(config.data, {
        split: config.split,
        onBadImage: config.onBadImage,
        ...(config.labelsPath !== undefined ? { labelsPath: config.labelsPath } : {}),
      });
  if (dataset.items.length === 0) {
    throw new InputError(`dataset ${config.data} has no inputs`, {
      hint: 'point --data at a folder, manifest or IDX file that holds images',
    });
  }
  const pool = config.indices ? selectItems(dataset, config.indices) : dataset.items;
  const items = Int32Array.from(
    config.limit
      ? sampleIndices(pool, { limit: config.limit, seed: config.seed, stratified: config.stratified })
      : pool.map((item) => item.index),
  );
  // Checked before the model runs: bad clustering options or too few inputs would otherwise surface only
  // after the whole extraction.
  requireEnoughInputs(items.length, config.clustering, `${config.data} gives`);

  // Decoded once: the layer probe and the extraction runners derive their models from it.
  const model = decodeModel(modelBytes, config.model);
  const { graph } = model;
  const inputs = modelInputs(graph, config.model);
  const feeding =
    dataset.kind === 'tensors'
      ? tensorFeeding(dataset, inputs, config.layout)
      : imageFeeding(dataset, inputs, config.model, config);
  // Refused before the model runs: the shifts would otherwise fail only after the whole extraction.
  if (config.testTimeShifts > 0) shiftableLayout(feeding, config.testTimeShifts, config.data);
  const threads = config.threads || undefined;
  const probe = await listLayersOfBytes(model, config.model, {
    threads,
    probeInputs: feeding.probeInputs,
    maxProbeValues: config.maxProbeValues,
    probeShapeOption: dataset.kind === 'tensors' ? 'data' : 'imageSize',
    inputLayout: config.layout,
    ...(config.layerLayouts ? { layouts: config.layerLayouts } : {}),
    ...(config.prefixTokens !== undefined ? { prefixTokens: config.prefixTokens } : {}),
  });
  const layerNames = [...new Set(config.layers ?? probe.filter((layer) => layer.isDefault).map((layer) => layer.name))];
  resolveLayers(graph, layerNames);
  const infoOf = (name: string) => probe.find((layer) => layer.name === name)!;
  // Checked before the model runs: a wrong aggregation for a layer would otherwise surface after extraction.
  const layers = layerNames.map((name) => {
    const info = infoOf(name);
    return describeLayer(name, info.opType, info.dims, info, config.aggregation);
  });
  const unitMaps = resolveUnitMaps(config.unitPatterns ?? {}, layers);
  const pooled = pooledLayers(layers, config.aggregation, unitMaps);
  const unitMapNames = unitMaps.map((map) => map.name);
  const extractionConfigHash = sha256(
    JSON.stringify({
      items: sha256(new Uint8Array(items.buffer)),
      layers: layers.map((layer) => [layer.name, layer.layout, layer.geometry]),
      aggregation: config.aggregation,
      feeding: feeding.identity,
      unitMaps: unitMapNames,
    }),
  );
  const layerLayouts = layers.map((layer): LayerLayoutRecord => {
    const info = infoOf(layer.name);
    return {
      layer: layer.name,
      layout: info.layout,
      order: info.order,
      units: info.units,
      positions: info.positions,
      prefixTokens: info.prefixTokens,
      grid: info.grid,
    };
  });
  return {
    config,
    model,
    modelSha256,
    dataset,
    items,
    feeding,
    device,
    layers,
    layerLayouts,
    unitMaps,
    pooled,
    threads,
    extractionConfigHash,
  };
}

/** Opens the model with every analyzed layer as an output, on `threads` onnxruntime threads. */
export function openExtractionRunner(prepared: PreparedAnalysis): Promise<ModelRunner> {
  const { config, layers, pooled, threads, device } = prepared;
  return openOnnxBytes(prepared.model, config.model, {
    layers: layers.map((l) => l.name),
    pooled,
    threads,
    device,
  });
}

/** What extractActivations needs to run `runner` over the prepared rows. */
export function extractionPlan(prepared: PreparedAnalysis, runner: ModelRunner): ExtractionPlan {
  const { config } = prepared;
  return {
    runner,
    dataset: prepared.dataset,
    items: prepared.items,
    load: prepared.feeding.load,
    layers: prepared.layers,
    aggregation: config.aggregation,
    unitMaps: prepared.unitMaps,
    batchSize: config.batchSize,
    skipBadImages: config.onBadImage === 'skip',
  };
}

/** Batches from the model in this process; it is opened only when rows are left to extract, and closed after. */
function modelSource(prepared: PreparedAnalysis, control: TaskControl): BatchSource {
  return async (staged, commit) => {
    const runner = await openExtractionRunner(prepared);
    try {
      const batches = pendingBatches(prepared.items.length, staged, prepared.config.batchSize);
      await extractActivations(extractionPlan(prepared, runner), batches, commit, control);
    } finally {
      // Released before clustering, to free its memory.
      await runner.close();
    }
  };
}

/**
 * The analysis of prepared options with activations from `source`: finds or creates the run in the store,
 * stages what is missing, then normalizes, clusters (through `compute` where given), maps and stores.
 */
export async function analyzePrepared(
  prepared: PreparedAnalysis,
  source: BatchSource,
  control: TaskControl = {},
  compute: LayerCompute = {},
): Promise<AnalyzeResult> {
  const { config, modelSha256, dataset, items, threads, extractionConfigHash } = prepared;
  const store = await NapStore.open(resultsFile(config));
  return closeAfter(store, async () => {
    const complete = await store.findCompleteRun(modelSha256, dataset.fingerprint, extractionConfigHash);
    let runId: number;
    let skipped: AnalyzeResult['skipped'] = [];
    if (complete) {
      runId = complete.runId;
    } else {
      const unfinished = await store.findUnfinishedRun(modelSha256, dataset.fingerprint, extractionConfigHash);
      const classNames = config.classNames ?? (await classNamesFor(config.model, dataset));
      runId = unfinished
        ? unfinished.runId
        : await store.createRun({
            name: config.name ?? `${path.basename(config.model)} on ${config.data}`,
            modelPath: path.resolve(config.model),
            modelSha256,
            modelLayout: prepared.feeding.modelLayout,
            datasetSpec: config.data,
            datasetFingerprint: dataset.fingerprint,
            extractionConfigHash,
            config: {
              ...config,
              layers: prepared.layers.map((layer) => layer.name),
              preprocessing: prepared.feeding.preprocessing,
            },
            predictionLabels: classNames,
          });
      await store.saveLayerLayouts(runId, prepared.layerLayouts);
      if (unfinished) {
        await store.setRunStatus(runId, 'running');
        control.onProgress?.({ stage: `resuming run ${runId}`, done: 0, total: 0 });
      }
      try {
        skipped = await extractIntoStore(store, runId, prepared, source, classNames, control);
      } catch (error) {
        // Marking the run failed is a courtesy: when the store cannot be written (a full disk), the run
        // stays 'running', which reads as interrupted, and the error that stopped it is the one to report.
        if (!(error instanceof CancelledError)) await store.setRunStatus(runId, 'failed').catch(() => undefined);
        throw error;
      }
    }

    // A stage of its own after the extraction, so that a run analyzed without shifts gains them when analyzed
    // again with them (the extraction is reused).
    await storeShiftedProbabilities(store, runId, prepared, config.testTimeShifts, control);

    const patternsAndMore = async (taskControl: TaskControl): Promise<LayerSummary[]> => {
      const summaries: LayerSummary[] = [];
      for (const layer of prepared.layers) {
        const activations = await store.readActivations(runId, layer.name);
        requireEnoughInputs(activations.matrix.count, config.clustering, `layer '${layer.name}' has`);
        const clustering = { options: config.clustering, space: config.clusterSpace, threads };
        summaries.push(
          await clusterLayer(store, runId, layer.name, activations, clustering, taskControl, compute.patterns),
        );
      }
      for (const map of prepared.unitMaps) {
        const staged = await store.readStagedLayer(runId, map.name, map.positions, 1);
        const { matrix } = normalizeLayer(
          staged.values,
          staged.inputIndex.length,
          map.positions,
          { units: 1, positions: map.positions, order: 'channels-first' },
          'none',
        );
        await clusterUnit(store, runId, map, matrix, staged.inputIndex, config.clustering, taskControl);
      }
      const { preprocessing } = prepared.feeding;
      if (dataset.kind !== 'tensors' && preprocessing) {
        const rows = (await store.readInputs(runId)).index;
        const itemOfInput = new Map(Array.from(rows, (row) => [row, items[row]!]));
        await saveMissingAverageImages(
          store,
          runId,
          dataset,
          (inputIndex) => itemOfInput.get(inputIndex),
          averageImageFormat(preprocessing, config.averageImageSide),
          taskControl,
        );
      }
      await storeRunFlows(store, runId, { pairs: 'all' }, taskControl);
      return summaries;
    };
    const maps = (taskControl: TaskControl, project = compute.project, joining?: Promise<ProjectMatrix | undefined>) =>
      storeRunProjections(
        store,
        runId,
        { method: config.projection, ...(threads ? { threads } : {}) },
        taskControl,
        project,
        joining,
      );
    let summaries: LayerSummary[];
    if (mapsAlongside(items.length, compute)) {
      // Beside the clustering, the maps are made on a thread of their own (see projectionThread); when the
      // clustering is done, a second thread takes the maps not yet begun (60,000 inputs: the last 40 s of
      // the run were maps alone, one at a time, on 1.7 cores).
      const thread = compute.project ? undefined : projectionThread();
      const second = compute.project ? undefined : projectionThread();
      let handOver: (project: ProjectMatrix | undefined) => void = () => {};
      const joining = new Promise<ProjectMatrix | undefined>((resolve) => (handOver = resolve));
      const clusterThenHandOver = async (taskControl: TaskControl): Promise<LayerSummary[]> => {
        try {
          const done = await patternsAndMore(taskControl);
          handOver(second?.project);
          return done;
        } finally {
          handOver(undefined);
        }
      };
      try {
        const alongside = (taskControl: TaskControl) => maps(taskControl, compute.project ?? thread?.project, joining);
        [summaries] = await sideBySide(control, clusterThenHandOver, alongside);
      } finally {
        await Promise.all([thread?.close(), second?.close()]);
      }
    } else {
      summaries = await patternsAndMore(control);
      await maps(control);
    }
    await store.setRunStatus(runId, 'complete');
    const unlisted = (dataset.unlisted ?? []).map(({ path: file, reason }) => ({ path: file, reason }));
    return { runId, reusedActivations: Boolean(complete), layers: summaries, skipped: [...unlisted, ...skipped] };
  });
}

/**
 * Below this many inputs the maps are made while the layers are clustered; from here on one stage at a time
 * keeps the peak memory down (a 1M-input map alone needs about 1.8 GiB), unless workers make the maps elsewhere.
 */
const MAPS_ALONGSIDE_BELOW_ROWS = 200_000;

/**
 * Whether the maps are made while the layers are clustered. The clustering keeps one core busy for much of
 * a layer (condensing, soft memberships and statistics run on one thread), and the maps keep both busy: side
 * by side they fill each other's idle core (60,000 inputs, 7 layers: 159 s one after the other).
 */
function mapsAlongside(rows: number, compute: LayerCompute): boolean {
  return compute.project !== undefined || rows < MAPS_ALONGSIDE_BELOW_ROWS;
}

/** The results file of an analysis that stores its results; prepared without one, it is refused. */
function resultsFile(config: ResolvedRunOptions): string {
  if (config.out === undefined) {
    throw new InputError(`${option('out')} is required to store the analysis`, {
      hint: `give the results file, e.g. ${option('out', 'results.duckdb')}`,
    });
  }
  return config.out;
}

/**
 * Stages every batch not yet committed for this run (all of them for a new run) from `source`, committing
 * each batch to the store as it completes, then normalizes each layer that is not yet final. Returns the
 * images that could not be read in this session.
 */
async function extractIntoStore(
  store: StoreReader & ExtractionWriter,
  runId: number,
  plan: PreparedAnalysis,
  source: BatchSource,
  classNames: string[] | null,
  control: TaskControl,
): Promise<AnalyzeResult['skipped']> {
  const { config } = plan;
  const finalized = new Set((await store.listLayers(runId)).map((layer) => layer.layer));
  const toFinalize = plan.layers.filter((layer) => !finalized.has(layer.name));
  if (toFinalize.length === 0) return [];
  const skipped: AnalyzeResult['skipped'] = [];
  if (finalized.size === 0) {
    const buffer = new BatchBuffer(
      async (batch) => {
        skipped.push(...batch.skipped.map(({ path: file, reason }) => ({ path: file, reason })));
        await store.appendStagedBatch(runId, {
          start: batch.start,
          count: batch.count,
          inputs: {
            index: batch.rows,
            path: Array.from(batch.rows, (row) => plan.dataset.items[plan.items[row]!]!.path),
            label: Array.from(batch.rows, (row) => plan.dataset.items[plan.items[row]!]!.label),
            prediction: batch.prediction,
            predictionLabel: Array.from(batch.prediction, (p) => (p < 0 ? null : (classNames?.[p] ?? String(p)))),
            probability: batch.probability,
          },
          details: { classes: batch.classes, probabilities: batch.probabilities, digest: batch.digest },
          layers: [
            ...batch.layers.map((values, l) => ({
              layer: plan.layers[l]!.name,
              values: values.values,
              dim: plan.layers[l]!.dim,
              unitMax: values.unitMax,
              units: plan.layers[l]!.geometry.units,
            })),
            ...batch.unitMaps.map((values, m) => {
              const map = plan.unitMaps[m]!;
              return {
                layer: unitMapName(plan.layers[map.layer]!.name, map.unit),
                values: values.values,
                dim: plan.layers[map.layer]!.geometry.positions,
                unitMax: values.unitMax,
                units: 1,
              };
            }),
          ],
        });
        const { dataset } = plan;
        if (isTensorDataset(dataset)) {
          await store.saveInputContents(
            runId,
            Array.from(batch.rows, (row) => {
              const content = dataset.content(plan.items[row]!);
              return {
                inputIndex: row,
                text: content.text ?? null,
                series: content.series ?? null,
                imagePath: content.image ?? null,
              };
            }),
          );
        }
      },
      { rows: config.commitRows, seconds: 5 },
    );
    try {
      await source(await store.stagedBatches(runId), (batch) => buffer.add(batch));
    } catch (error) {
      await buffer.settle();
      throw error;
    }
    await buffer.flush();
  }
  await finalizeStagedLayers(store, runId, plan.layers, toFinalize, config.aggregation, config.topK, control, () => {
    const example = skipped[0] ? ` (e.g. ${skipped[0].path}: ${skipped[0].reason})` : '';
    return new InputError(`none of the ${plan.items.length} inputs of ${config.data} could be read${example}`, {
      hint: 'check the dataset path and image files',
    });
  });
  await store.clearStagedBatches(runId);
  return skipped;
}

/**
 * Normalizes each staged layer of `toFinalize` (its raw aggregated activations, committed batch by batch)
 * and stores it as final with its divisors and max-activating inputs. `noInputs` is thrown when a layer
 * has no staged rows at all.
 */
export async function finalizeStagedLayers(
  store: StoreReader & ExtractionWriter,
  runId: number,
  layers: ExtractedLayer[],
  toFinalize: ExtractedLayer[],
  aggregation: Aggregation,
  topK: number,
  control: TaskControl,
  noInputs: () => Error,
): Promise<void> {
  for (const [done, layer] of toFinalize.entries()) {
    throwIfCancelled(control.signal, 'normalization');
    control.onProgress?.({ stage: 'normalizing layers', done, total: toFinalize.length });
    // The unit maxima are ranked batch by batch as they are read: never the whole layer's beside its values.
    const ranking = new MaxActivationRanking(layer.geometry.units, topK);
    const staged = await store.readStagedLayer(runId, layer.name, layer.dim, layer.geometry.units, (max, rows) =>
      ranking.offer(max, rows),
    );
    if (staged.inputIndex.length === 0) throw noInputs();
    const { matrix, divisors } = normalizeLayer(
      staged.values,
      staged.inputIndex.length,
      layer.dim,
      layer.geometry,
      aggregation,
    );
    // Saved before the layer is final, so that a resumed run that skips final layers still has them (heatmaps need them).
    await store.saveLayerDivisors(runId, layer.name, divisors);
    const ranked = ranking.ranked();
    await store.finalizeLayer(
      runId,
      {
        layer: layer.name,
        order: layers.indexOf(layer),
        opType: layer.opType,
        rawDims: layer.itemDims,
        aggregation,
        dim: layer.dim,
      },
      matrix,
      staged.inputIndex,
      ranked,
    );
  }
  control.onProgress?.({ stage: 'normalizing layers', done: toFinalize.length, total: toFinalize.length });
}

function isTensorDataset(dataset: DatasetBase): dataset is TensorDataset {
  return (dataset as Partial<TensorDataset>).kind === 'tensors';
}

/** A pattern has at least minClusterSize inputs, so fewer inputs than that cannot be clustered at all. */
export function requireEnoughInputs(count: number, clustering: Omit<HdbscanOptions, 'mst'>, subject: string): void {
  const { minClusterSize } = resolveParams(clustering, count);
  if (count >= minClusterSize) return;
  throw new InputError(
    `${subject} ${count} input${count === 1 ? '' : 's'}, fewer than the minimum pattern size (${option('clustering.minClusterSize')}) ${minClusterSize}`,
    {
      hint:
        count >= 2
          ? `analyze at least ${minClusterSize} inputs, or lower ${option('clustering.minClusterSize')} to ${count} or less`
          : 'a pattern needs at least 2 inputs: analyze more inputs',
    },
  );
}

function selectItems(dataset: DatasetBase, indices: number[]): Dataset['items'] {
  return indices.map((index) => {
    const item = dataset.items[index];
    if (!Number.isInteger(index) || !item) {
      throw new InputError(`dataset item ${index} does not exist`, {
        hint: `${dataset.name} has items 0..${dataset.items.length - 1}`,
      });
    }
    return item;
  });
}

/** Class names of the model's outputs: the model's sidecar `<model>.json` labels, else 0..K-1 dataset labels. */
async function classNamesFor(modelPath: string, dataset: DatasetBase): Promise<string[] | null> {
  try {
    const sidecar = JSON.parse(await readFile(modelPath.replace(/\.onnx$/i, '.json'), 'utf8')) as { labels?: unknown };
    if (Array.isArray(sidecar.labels) && sidecar.labels.every((l) => typeof l === 'string')) return sidecar.labels;
  } catch {
    // No sidecar: fall back to the dataset's labels.
  }
  const numeric = dataset.labels.every((label, i) => label === String(i));
  return numeric ? dataset.labels : null;
}

function sameParams(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Clusters one layer in its cluster space unless the store already holds a clustering with the same
 * parameters (one stored by an older nap gets its missing tree and soft memberships added).
 */
export async function clusterLayer(
  store: StoreReader & ClusteringWriter,
  runId: number,
  layer: string,
  activations: { matrix: Matrix; inputIndex: Int32Array },
  clustering: { options: Omit<HdbscanOptions, 'mst'>; space: ClusterSpace; threads: number | undefined },
  control: TaskControl,
  find?: LayerCompute['patterns'],
): Promise<LayerSummary> {
  const { matrix, inputIndex } = activations;
  const params = clusteringParams(resolveParams(clustering.options, matrix.count), clustering.space);
  const earlier = await store.listClusterings(runId, layer);
  const layerControl: TaskControl = {
    ...(control.signal ? { signal: control.signal } : {}),
    onProgress: (p) => control.onProgress?.({ ...p, stage: `${layer}: ${p.stage}` }),
  };
  const threadOption = clustering.threads ? { threads: clustering.threads } : {};
  const spaceRows = () =>
    storedRowsInSpace(store, runId, layer, activations, clustering.space, threadOption, layerControl);
  const existing = earlier.find((c) => c.unit === null && sameParams(c.params, params));
  if (existing) {
    await completeStoredClustering(store, existing, activations, spaceRows, layerControl);
    return {
      layer,
      clusteringId: existing.clusteringId,
      inputs: matrix.count,
      patterns: existing.patternCount,
      noise: existing.noiseCount,
      spanningTree: spanningTreeOf(existing.params),
      coverage: await clusteringCoverage(store, existing.clusteringId),
    };
  }
  const target = { runId, layer, unit: null };
  // Saved once the layer's first clustering is in hand, so that an interrupted run saves them once.
  const saveLayerStatistics = async () => {
    if (earlier.length === 0) await store.saveUnitStats({ runId, layer }, layerStatisticsColumns(matrix));
  };
  if (find) {
    // Computed elsewhere (a queue worker) in the same space, whose rows are stored as spaceRows stores them.
    const computed = await find(
      layer,
      activations,
      { options: clustering.options, space: clustering.space },
      layerControl,
    );
    if (computed.space) await store.saveClusterSpace(runId, layer, computed.space);
    await saveLayerStatistics();
    const fit = { ...computed.clustering, params };
    return saveLayerClustering(store, target, inputIndex, { ...computed, clustering: fit });
  }
  const rows = await spaceRows();
  const fit = await clusterRows(rows, clustering.options, () => params, layerControl);
  await saveLayerStatistics();
  return storeLayerClustering(store, target, { activations: matrix, space: rows, inputIndex }, fit, layerControl);
}

export type { AnalyzeOptions, RunRecord };

/** Name under which a unit's raw spatial maps are kept in the store. */
export function unitMapName(layer: string, unit: number): string {
  return `${layer}#unit${unit}`;
}

interface UnitMap {
  layer: number;
  unit: number;
  layerName: string;
  name: string;
  positions: number;
}

function resolveUnitMaps(requested: Record<string, number[]>, layers: ExtractedLayer[]): UnitMap[] {
  const maps: UnitMap[] = [];
  for (const [layerName, units] of Object.entries(requested)) {
    const layer = layers.findIndex((plan) => plan.name === layerName);
    if (layer < 0) {
      throw new InputError(`unit patterns asked for layer '${layerName}', which is not among the analyzed layers`, {
        hint: `analyzed layers: ${layers.map((plan) => plan.name).join(', ')}`,
      });
    }
    const { geometry } = layers[layer]!;
    if (geometry.positions < 2) {
      throw new InputError(`layer '${layerName}' has no spatial positions, so its units have no maps to cluster`, {
        hint: 'ask unit patterns of a convolutional layer',
      });
    }
    for (const unit of units) {
      if (!Number.isInteger(unit) || unit < 0 || unit >= geometry.units) {
        throw new InputError(`unit ${unit} does not exist in layer '${layerName}'`, {
          hint: `its units are 0..${geometry.units - 1}`,
        });
      }
      maps.push({ layer, unit, layerName, name: unitMapName(layerName, unit), positions: geometry.positions });
    }
  }
  return maps;
}

/**
 * The layers onnxruntime aggregates inside the model (GlobalAveragePool / GlobalMaxPool, see
 * OnnxRunnerOptions.pooled): with 'mean' or 'max' aggregation, the channels-first spatial maps whose raw
 * maps no unit pattern needs. Their big tensors then never leave the runtime.
 */
function pooledLayers(layers: ExtractedLayer[], aggregation: Aggregation, unitMaps: UnitMap[]): string[] {
  if (aggregation !== 'mean' && aggregation !== 'max') return [];
  const needRaw = new Set(unitMaps.map((map) => map.layerName));
  return layers
    .filter(
      (layer) =>
        layer.layout === 'spatial' &&
        layer.geometry.order === 'channels-first' &&
        layer.itemDims.length >= 2 &&
        !needRaw.has(layer.name),
    )
    .map((layer) => layer.name);
}

/** Clusters one unit's normalized spatial maps (its unit patterns) unless such a clustering is stored. */
async function clusterUnit(
  store: StoreReader & ClusteringWriter,
  runId: number,
  map: UnitMap,
  matrix: Matrix,
  inputIndex: Int32Array,
  options: Omit<HdbscanOptions, 'mst'>,
  control: TaskControl,
): Promise<void> {
  const params = resolveParams(options, matrix.count);
  const earlier = await store.listClusterings(runId, map.layerName);
  if (earlier.some((c) => c.unit === map.unit && sameParams(c.params, params))) return;
  const unitControl: TaskControl = {
    ...(control.signal ? { signal: control.signal } : {}),
    onProgress: (p) => control.onProgress?.({ ...p, stage: `${map.name}: ${p.stage}` }),
  };
  const fit = await clusterRows(matrix, options, (resolved) => resolved, unitControl);
  await storeLayerClustering(
    store,
    { runId, layer: map.layerName, unit: map.unit },
    { activations: matrix, space: matrix, inputIndex },
    fit,
    unitControl,
  );
}
