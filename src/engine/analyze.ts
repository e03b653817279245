import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ChannelOrder } from '../compute/aggregate.js';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import { resolveParams } from '../compute/hdbscan/options.js';
import type { Matrix } from '../compute/matrix.js';
import type { UnitStatistics } from '../compute/statistics.js';
import { InputError } from '../errors.js';
import { openDataset } from '../io/datasets/open.js';
import { sampleIndices } from '../io/datasets/sample.js';
import type { Dataset, Preprocessing } from '../io/datasets/types.js';
import { listLayersOfBytes, type LayerInfo } from '../io/onnx/inspect.js';
import { decodeModel, singleFloatInput } from '../io/onnx/graph.js';
import { detectLayout, imageInputSize } from '../io/onnx/layout.js';
import { tensorLayouts } from '../io/onnx/tensor-layout.js';
import { openOnnxBytes } from '../io/onnx/runner.js';
import { readModelFile } from '../io/onnx/session.js';
import { NapStore, type RunRecord, type UnitStatsColumns } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import { averageImageFormat, averageImages } from './average-images.js';
import { findPatterns } from './cluster-layer.js';
import { resolveOptions, type AnalyzeOptions, type ResolvedOptions } from './config.js';
import { extractActivations, type Extraction } from './extract.js';

export interface LayerSummary {
  layer: string;
  clusteringId: number;
  inputs: number;
  patterns: number;
  noise: number;
}

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
 * The whole NAP analysis: model over dataset (one forward pass per batch for all layers), aggregation and
 * normalization, HDBSCAN* patterns per layer, statistics, max activations and average images, all stored in
 * one DuckDB file. An identical earlier run in the same store is reused: only clusterings with new
 * parameters are computed.
 */
export async function analyze(options: AnalyzeOptions, control: TaskControl = {}): Promise<AnalyzeResult> {
  const config = resolveOptions(options);
  const modelBytes = await readModelFile(config.model);
  const modelSha256 = sha256(modelBytes);
  const dataset = await openDataset(config.data, { split: config.split, onBadImage: config.onBadImage });
  if (dataset.items.length === 0) {
    throw new InputError(`dataset ${config.data} has no inputs`, { hint: 'point --data at a folder, manifest or IDX file that holds images' });
  }
  const items = Int32Array.from(config.limit ? sampleIndices(dataset.items, { limit: config.limit, seed: config.seed, stratified: config.stratified }) : dataset.items.map((item) => item.index));

  const { graph } = decodeModel(modelBytes, config.model);
  const modelInput = singleFloatInput(graph, config.model);
  const inputDims = modelInput.dims;
  const layout = detectLayout(inputDims, config.layout);
  const layouts = tensorLayouts(graph, modelInput.name, layout);
  const orderOf = (name: string) => ((layouts.get(name) ?? layout) === 'NCHW' ? 'channels-first' : 'channels-last') as ChannelOrder;
  const size = imageInputSize(inputDims, layout, config.imageSize);
  if (size.channels !== 1 && size.channels !== 3) {
    throw new InputError(`the model input [${inputDims.join(', ')}] has ${size.channels} channels as ${layout}`, {
      hint: 'nap feeds gray (1) or RGB (3) images; if the layout is wrong, set it with --layout NCHW or NHWC',
    });
  }
  const probeDims = layout === 'NCHW' ? [1, size.channels, size.height, size.width] : [1, size.height, size.width, size.channels];
  const threads = config.threads || undefined;
  const probe = await listLayersOfBytes(modelBytes, config.model, { threads, probeDims });
  const layerNames = config.layers ?? probe.filter((layer) => layer.isDefault).map((layer) => layer.name);
  const runner = await openOnnxBytes(modelBytes, config.model, { layers: layerNames, threads });
  const preprocessing: Preprocessing = {
    width: size.width,
    height: size.height,
    channels: size.channels,
    layout,
    resize: config.resize,
    scale: config.scale,
    ...(config.mean ? { mean: config.mean } : {}),
    ...(config.std ? { std: config.std } : {}),
  };
  const extractionConfigHash = sha256(
    JSON.stringify({ items: sha256(new Uint8Array(items.buffer)), layers: runner.layerNames.map((name) => [name, orderOf(name)]), aggregation: config.aggregation, preprocessing }),
  );

  const store = await NapStore.open(config.out);
  try {
    const existing = await store.findCompleteRun(modelSha256, dataset.fingerprint, extractionConfigHash);
    let runId: number;
    let layers: { name: string; matrix: Matrix; inputIndex: Int32Array }[];
    let skipped: AnalyzeResult['skipped'] = [];
    let keptItems: Int32Array;
    if (existing) {
      await runner.close();
      runId = existing.runId;
      layers = await Promise.all(runner.layerNames.map(async (name) => ({ name, ...(await store.readActivations(runId, name)) })));
      const inputs = await store.readInputs(runId);
      keptItems = itemsOfPaths(dataset, inputs.path);
    } else {
      const classNames = config.classNames ?? (await classNamesFor(config.model, dataset));
      runId = await store.createRun({
        name: config.name ?? `${config.model} on ${config.data}`,
        modelPath: config.model,
        modelSha256,
        modelLayout: layout,
        datasetSpec: config.data,
        datasetFingerprint: dataset.fingerprint,
        extractionConfigHash,
        config: { ...config, layers: runner.layerNames, preprocessing },
        predictionLabels: classNames,
      });
      let extraction: Extraction;
      try {
        extraction = await extractActivations(
          {
            runner,
            dataset,
            items,
            preprocessing,
            layers: runner.layerNames.map((name) => ({ name, order: orderOf(name) })),
            aggregation: config.aggregation,
            batchSize: config.batchSize,
            topK: config.topK,
            skipBadImages: config.onBadImage === 'skip',
          },
          control,
        );
      } catch (error) {
        await store.setRunStatus(runId, 'failed');
        throw error;
      } finally {
        await runner.close();
      }
      skipped = extraction.skipped.map(({ path, reason }) => ({ path, reason }));
      keptItems = extraction.items;
      await storeExtraction(store, runId, dataset, extraction, probe, classNames, config, control);
      layers = extraction.layers.map((layer) => ({ name: layer.name, matrix: layer.matrix, inputIndex: rowIndex(layer.matrix.count) }));
    }

    const summaries: LayerSummary[] = [];
    const fresh: { layerIndex: number; clusteringId: number; labels: Int32Array; patternCount: number }[] = [];
    for (const [index, layer] of layers.entries()) {
      const summary = await clusterLayer(store, runId, layer.name, layer.matrix, layer.inputIndex, config.clustering, control);
      summaries.push(summary.summary);
      if (summary.labels) fresh.push({ layerIndex: index, clusteringId: summary.summary.clusteringId, labels: summary.labels, patternCount: summary.summary.patterns });
    }
    if (fresh.length > 0) {
      const format = averageImageFormat(preprocessing, config.averageImageSide);
      const means = await averageImages(dataset, keptItems, fresh, format, control);
      for (const [i, entry] of fresh.entries()) {
        const patternId = Int32Array.from({ length: entry.patternCount }, (_, p) => p);
        const pixels = new Uint8Array(entry.patternCount * format.width * format.height * format.channels);
        patternId.forEach((p) => pixels.set(means[i]!.mean(p), p * means[i]!.pixelCount));
        await store.saveAverageImages(entry.clusteringId, { patternId, width: format.width, height: format.height, channels: format.channels, pixels });
      }
    }
    await store.setRunStatus(runId, 'complete');
    return { runId, reusedActivations: Boolean(existing), layers: summaries, skipped };
  } finally {
    await store.close();
  }
}

function rowIndex(count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => i);
}

function itemsOfPaths(dataset: Dataset, paths: readonly (string | null)[]): Int32Array {
  const byPath = new Map(dataset.items.map((item) => [item.path, item.index]));
  return Int32Array.from(paths, (path) => {
    const index = path === null ? undefined : byPath.get(path);
    if (index === undefined) throw new InputError(`stored input ${path} is no longer in the dataset`, { hint: 'run the analysis into a new results file' });
    return index;
  });
}

/** Class names of the model's outputs: the model's sidecar `<model>.json` labels, else 0..K-1 dataset labels. */
async function classNamesFor(modelPath: string, dataset: Dataset): Promise<string[] | null> {
  try {
    const sidecar = JSON.parse(await readFile(modelPath.replace(/\.onnx$/i, '.json'), 'utf8')) as { labels?: unknown };
    if (Array.isArray(sidecar.labels) && sidecar.labels.every((l) => typeof l === 'string')) return sidecar.labels as string[];
  } catch {
    // No sidecar: fall back to the dataset's labels.
  }
  const numeric = dataset.labels.every((label, i) => label === String(i));
  return numeric ? dataset.labels : null;
}

function statisticsColumns(stats: UnitStatistics): UnitStatsColumns {
  return { unit: rowIndex(stats.min.length), ...stats };
}

async function storeExtraction(
  store: NapStore,
  runId: number,
  dataset: Dataset,
  extraction: Extraction,
  probe: LayerInfo[],
  classNames: string[] | null,
  config: ResolvedOptions,
  control: TaskControl,
): Promise<void> {
  const count = extraction.items.length;
  const inputIndex = rowIndex(count);
  await store.appendInputs(runId, {
    index: inputIndex,
    path: Array.from(extraction.items, (item) => dataset.items[item]!.path),
    label: Array.from(extraction.items, (item) => dataset.items[item]!.label),
    prediction: extraction.prediction,
    predictionLabel: Array.from(extraction.prediction, (p) => classNames?.[p] ?? String(p)),
    probability: extraction.probability,
  });
  const opTypes = new Map(probe.map((layer) => [layer.name, layer.opType]));
  const order = new Map(probe.map((layer, i) => [layer.name, i]));
  for (const [done, layer] of extraction.layers.entries()) {
    control.onProgress?.({ stage: 'writing activations', done, total: extraction.layers.length });
    await store.appendLayer(runId, {
      layer: layer.name,
      order: order.get(layer.name) ?? done,
      opType: opTypes.get(layer.name) ?? 'unknown',
      rawDims: layer.itemDims,
      aggregation: config.aggregation,
      dim: layer.matrix.dim,
    });
    await store.appendActivations(runId, layer.name, layer.matrix, inputIndex);
    const slots = layer.maxActivations.top.slots;
    const unit: number[] = [];
    const rank: number[] = [];
    const input: number[] = [];
    const value: number[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const entries = layer.maxActivations.top.entries(slot);
      entries.ids.forEach((id, r) => {
        unit.push(slot === slots - 1 ? -1 : slot);
        rank.push(r);
        input.push(id);
        value.push(entries.values[r]!);
      });
    }
    await store.saveMaxActivations(runId, layer.name, { unit: Int32Array.from(unit), rank: Int32Array.from(rank), inputIndex: Int32Array.from(input), value: Float64Array.from(value) });
  }
  control.onProgress?.({ stage: 'writing activations', done: extraction.layers.length, total: extraction.layers.length });
}

function sameParams(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Clusters one layer unless the store already holds a clustering with the same parameters. */
async function clusterLayer(
  store: NapStore,
  runId: number,
  layer: string,
  matrix: Matrix,
  inputIndex: Int32Array,
  options: Omit<HdbscanOptions, 'mst'>,
  control: TaskControl,
): Promise<{ summary: LayerSummary; labels?: Int32Array }> {
  const params = resolveParams(options);
  const earlier = await store.listClusterings(runId, layer);
  const existing = earlier.find((c) => c.unit === null && sameParams(c.params, params));
  if (existing) {
    return { summary: { layer, clusteringId: existing.clusteringId, inputs: matrix.count, patterns: existing.patternCount, noise: existing.noiseCount } };
  }
  const found = await findPatterns(matrix, options, {
    ...(control.signal ? { signal: control.signal } : {}),
    onProgress: (p) => control.onProgress?.({ ...p, stage: `${layer}: ${p.stage}` }),
  });
  const { clustering } = found;
  if (earlier.length === 0) await store.saveUnitStats({ runId, layer }, statisticsColumns(found.layerStatistics));
  const clusteringId = await store.saveClustering(runId, layer, {
    unit: null,
    params: clustering.params,
    inputIndex,
    labels: clustering.labels,
    probabilities: clustering.probabilities,
    outlierScores: clustering.outlierScores,
    persistence: clustering.persistence,
    condensedTree: clustering.condensedTree,
  });
  const dim = matrix.dim;
  const patternCount = clustering.clusterCount;
  const patternStats = found.patternStatistics;
  const unit = new Int32Array(patternCount * dim);
  const patternId = new Int32Array(patternCount * dim);
  const columns = { min: new Float64Array(patternCount * dim), max: new Float64Array(patternCount * dim), mean: new Float64Array(patternCount * dim), q1: new Float64Array(patternCount * dim), q3: new Float64Array(patternCount * dim), iqr: new Float64Array(patternCount * dim), lower: new Float64Array(patternCount * dim), upper: new Float64Array(patternCount * dim) };
  patternStats.forEach((stats, p) => {
    for (let u = 0; u < dim; u++) {
      unit[p * dim + u] = u;
      patternId[p * dim + u] = p;
    }
    for (const key of Object.keys(columns) as (keyof typeof columns)[]) columns[key].set(stats[key], p * dim);
  });
  await store.saveUnitStats({ clusteringId }, { unit, patternId, ...columns });
  const noise = clustering.labels.reduce((n, label) => n + (label < 0 ? 1 : 0), 0);
  return { summary: { layer, clusteringId, inputs: matrix.count, patterns: patternCount, noise }, labels: clustering.labels };
}

export type { AnalyzeOptions, RunRecord };
