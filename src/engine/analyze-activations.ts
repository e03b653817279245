/**
 * Patterns of activations computed elsewhere (PyTorch, JAX, an embedding API): no model runs. Each file
 * gives layers: an .npy matrix [inputs, units] is one layer named by its file; every float array of an
 * .npz and every list column of a Parquet/CSV table is one (numeric scalar columns together make one
 * named by the file). Every layer needs one row per input, in the same input order. The layers are
 * unit-normalized, clustered, mapped, linked by concept flow and stored like a model's.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { HdbscanOptions } from '../compute/hdbscan/index.js';
import { InputError } from '../errors.js';
import { openTensorDataset } from '../io/datasets/open-tensors.js';
import { NapStore } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';
import {
  clusterLayer,
  finalizeStagedLayers,
  requireEnoughInputs,
  type AnalyzeResult,
  type LayerSummary,
} from './analyze.js';
import { parseClusterSpace, type ClusterSpace } from './cluster-space.js';
import { describeLayer, type ExtractedLayer } from './extract.js';
import { storeRunFlows } from './flow.js';
import { PROJECTION_CHOICES, type ProjectionChoice } from './projection-options.js';
import { storeRunProjections } from './project-layer.js';

export interface ActivationsOptions {
  /** Files of activations: .npy (one layer), .npz (a layer per array), .parquet / .csv (a layer per list column). */
  activations: string[];
  /** Results database; created when missing. */
  out: string;
  /** File of labels, one per input (.txt, .csv, .npy, .json); default: a 'label' column or npz key, else none. */
  labels?: string;
  /** Column or npz key of the labels; default 'label' or 'labels' when there is one. */
  labelColumn?: string;
  /** HDBSCAN* parameters; defaults minClusterSize 5, minSamples 5, leaf selection, euclidean. */
  clustering?: Omit<HdbscanOptions, 'mst'>;
  /** Where each layer is clustered: 'raw' (default), 'pca:D' or 'umap:D' (see AnalyzeOptions.clusterSpace). */
  clusterSpace?: ClusterSpace;
  /** Max-activating inputs kept per unit and per layer; default 16. */
  topK?: number;
  /** 2-D map of every layer: 'umap' (default), 'pca' or 'none'. */
  projection?: ProjectionChoice;
  /** Threads for the maps; default all cores. */
  threads?: number;
  /** Run name; default `activations: <files>`. */
  name?: string;
}

/** Rows staged per commit: a layer's staged rows are one value, kept well below DuckDB's limits. */
const ROWS_PER_COMMIT = 4096;

export async function analyzeActivations(
  options: ActivationsOptions,
  control: TaskControl = {},
): Promise<AnalyzeResult> {
  if (options.activations.length === 0) {
    throw new InputError('no activation files were given', { hint: 'pass --activations acts.npy (repeatable)' });
  }
  const projection = options.projection ?? 'umap';
  if (!PROJECTION_CHOICES.includes(projection)) {
    throw new InputError(`projection '${projection}' is not known`, {
      hint: `use one of ${PROJECTION_CHOICES.join(', ')}`,
    });
  }
  const clustering = options.clustering ?? {};
  const space = parseClusterSpace(options.clusterSpace ?? 'raw', 'clusterSpace');
  const layers: { name: string; values: Float32Array; dim: number }[] = [];
  let labels: string[] | null = null;
  let count: number | undefined;
  const fingerprints: string[] = [];
  const files = options.activations.map((file) => path.resolve(file));
  for (const file of files) {
    const data = await openTensorDataset(file, {
      ...(options.labelColumn !== undefined ? { labelColumn: options.labelColumn } : {}),
    });
    fingerprints.push(data.fingerprint);
    if (count !== undefined && data.items.length !== count) {
      throw new InputError(`${file} has ${data.items.length} rows, ${files[0]} ${count}`, {
        hint: 'every activations file needs one row per input, in the same order',
      });
    }
    count = data.items.length;
    if (data.items.some((item) => item.label !== '')) labels = data.items.map((item) => item.label);
    const stem = path.basename(file, path.extname(file));
    const arrays = await data.loadArrays(Int32Array.from(data.items, (item) => item.index));
    for (const array of arrays) {
      if (array.type !== 'float32' && array.type !== 'int32') continue;
      const name = array.name === 'input' ? stem : array.name;
      if (layers.some((layer) => layer.name === name)) {
        throw new InputError(`two activation arrays are named '${name}'`, {
          hint: 'give every layer its own file or key name',
        });
      }
      const dim = array.data.length / count;
      layers.push({ name, values: Float32Array.from(array.data as Float32Array), dim });
    }
  }
  if (layers.length === 0 || count === undefined) {
    throw new InputError(`${files.join(', ')} hold no float arrays of activations`, {
      hint: 'save each layer as a float matrix [inputs, units] (numpy.save, numpy.savez, a Parquet list column)',
    });
  }
  const inputs = count;
  requireEnoughInputs(inputs, clustering, `${files[0]} has`);
  if (options.labels !== undefined) {
    const labelled = await openTensorDataset(files[0]!, { labels: options.labels });
    labels = labelled.items.map((item) => item.label);
  }
  if (labels && labels.length !== inputs) {
    throw new InputError(`${inputs} inputs but ${labels.length} labels`, {
      hint: 'give one label per input, in order',
    });
  }

  const plans: ExtractedLayer[] = layers.map((layer) =>
    describeLayer(layer.name, 'activations', [inputs, layer.dim], 'channels-last', 'mean'),
  );
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const fingerprint = sha(fingerprints.join(','));
  const configHash = sha(
    JSON.stringify({ layers: layers.map((l) => [l.name, l.dim]), labels: options.labels ?? null }),
  );
  const store = await NapStore.open(options.out);
  try {
    const complete = await store.findCompleteRun(fingerprint, fingerprint, configHash);
    let runId = complete?.runId;
    if (runId === undefined) {
      const unfinished = await store.findUnfinishedRun(fingerprint, fingerprint, configHash);
      if (unfinished) await store.deleteRun(unfinished.runId);
      runId = await store.createRun({
        name: options.name ?? `activations: ${files.map((file) => path.basename(file)).join(', ')}`,
        modelPath: files.join(','),
        modelSha256: fingerprint,
        modelLayout: 'activations',
        datasetSpec: files.join(','),
        datasetFingerprint: fingerprint,
        extractionConfigHash: configHash,
        config: { ...options, layers: layers.map((layer) => layer.name), aggregation: 'mean' },
        predictionLabels: null,
      });
      await store.saveLayerLayouts(
        runId,
        plans.map((plan) => ({
          layer: plan.name,
          layout: 'flat',
          order: 'channels-last',
          units: plan.dim,
          positions: 1,
          prefixTokens: 0,
          grid: null,
        })),
      );
      const itemPath = path.basename(files[0]!);
      for (let start = 0; start < inputs; start += ROWS_PER_COMMIT) {
        const rows = Math.min(ROWS_PER_COMMIT, inputs - start);
        const index = Int32Array.from({ length: rows }, (_, i) => start + i);
        await store.appendStagedBatch(runId, {
          start,
          count: rows,
          inputs: {
            index,
            path: Array.from(index, (row) => `${itemPath}#${row}`),
            label: Array.from(index, (row) => labels?.[row] ?? null),
            prediction: new Int32Array(rows).fill(-1),
            predictionLabel: Array.from(index, () => null),
            probability: new Float32Array(rows).fill(NaN),
          },
          layers: layers.map((layer) => {
            const values = layer.values.subarray(start * layer.dim, (start + rows) * layer.dim);
            return { layer: layer.name, values, dim: layer.dim, unitMax: values, units: layer.dim };
          }),
        });
        control.onProgress?.({ stage: 'storing activations', done: start + rows, total: inputs });
      }
      await finalizeStagedLayers(
        store,
        runId,
        plans,
        plans,
        'mean',
        options.topK ?? 16,
        control,
        () => new Error('no rows'),
      );
      await store.clearStagedBatches(runId);
    }
    const summaries: LayerSummary[] = [];
    for (const layer of plans) {
      const activations = await store.readActivations(runId, layer.name);
      const layerClustering = { options: clustering, space, threads: options.threads };
      summaries.push(await clusterLayer(store, runId, layer.name, activations, layerClustering, control));
    }
    await storeRunFlows(store, runId, { pairs: 'all' }, control);
    await storeRunProjections(
      store,
      runId,
      { method: projection, ...(options.threads ? { threads: options.threads } : {}) },
      control,
    );
    await store.setRunStatus(runId, 'complete');
    return { runId, reusedActivations: complete !== null, layers: summaries, skipped: [] };
  } finally {
    await store.close();
  }
}
