/**
 * The ResultsReader of a DuckDB results store (Node only: the server, the CLI and the static export).
 * It reads through the store's own read methods, so the store's schema stays the store's business, and
 * converts the store's records to the reader's: dates as ISO text, the run configuration typed.
 */
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import {
  SCHEMA_VERSION,
  type FeatureVisualization,
  type NapStore,
  type RunRecord as StoredRun,
} from '../../io/store/index.js';
import type { InputContentKinds } from '../../io/store/tensor-records.js';
import { createResultsApi, type ResultsService } from '../api.js';
import { contentText, pictureKindOf, showsContents } from '../input-content.js';
import type { ResultsReader, SourceInfo } from '../reader.js';
import { runConfigOf, type FeatureImagesTable, type RunRecord, type UnitStatsTable } from '../tables.js';

/** Identifies the store file's content: changes whenever the file is rewritten. */
export async function storeVersionOf(file: string): Promise<string> {
  const info = await stat(file);
  const identity = `${await realpath(file)}\n${info.size}\n${info.mtimeMs}`;
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

function runRecord(run: StoredRun, contents: Map<number, InputContentKinds>): RunRecord {
  return {
    runId: run.runId,
    name: run.name,
    createdAt: run.createdAt.toISOString(),
    status: run.status,
    modelPath: run.modelPath,
    modelSha256: run.modelSha256,
    modelLayout: run.modelLayout,
    datasetSpec: run.datasetSpec,
    datasetFingerprint: run.datasetFingerprint,
    config: runConfigOf(run.config),
    predictionLabels: run.predictionLabels,
    inputPictures: pictureKindOf(run, contents.get(run.runId)),
  };
}

/** The stored images' rows without their pixels (the image routes and the export read those). */
export function featureImagesTable(images: readonly FeatureVisualization[]): FeatureImagesTable {
  const ints = (of: (image: FeatureVisualization) => number) => Int32Array.from(images, of);
  return {
    objective: images.map((image) => image.objective),
    target: ints((image) => image.target),
    position: ints((image) => image.position),
    clusteringId: ints((image) => image.clusteringId ?? -1),
    imageIndex: ints((image) => image.imageIndex),
    contrastPattern: ints((image) => image.contrastPattern ?? -1),
    value: Float64Array.from(images, (image) => image.value),
    datasetMax: Float64Array.from(images, (image) => image.datasetMax ?? Number.NaN),
    width: ints((image) => image.width),
    height: ints((image) => image.height),
    channels: ints((image) => image.channels),
  };
}

/** The reader of an open store (its owner closes it). */
export function storeReader(store: NapStore): ResultsReader {
  return {
    async source(): Promise<SourceInfo> {
      return {
        store: path.basename(store.path),
        storeVersion: await storeVersionOf(store.path),
        schemaVersion: SCHEMA_VERSION,
      };
    },
    runs: async () => {
      const contents = await store.readInputContentKinds();
      return (await store.listRuns()).map((run) => runRecord(run, contents));
    },
    layers: (runId) => store.listLayers(runId),
    clusterings: async (runId) =>
      (await store.listClusterings(runId)).map((c) => ({ ...c, createdAt: c.createdAt.toISOString() })),
    projections: async (runId) =>
      (await store.listProjections(runId)).map(({ layer, method, params, pointCount }) => ({
        layer,
        method,
        params,
        pointCount,
      })),
    inputs: async (runId) => {
      const { index, ...columns } = await store.readInputs(runId);
      const run = await store.getRun(runId);
      // An input of a run without images and without stored contents (activations computed elsewhere) shows its name.
      const content = showsContents(run) ? [...columns.path] : new Array<string | null>(index.length).fill(null);
      const contents = await store.readInputContents(runId);
      // Both by ascending input index; a run of images has no contents.
      let row = 0;
      for (const record of contents) {
        while (row < index.length && index[row]! < record.inputIndex) row++;
        if (index[row] === record.inputIndex) content[row] = contentText(record) ?? content[row] ?? null;
      }
      return { inputIndex: index, ...columns, content };
    },
    patterns: (clusteringId) => store.readPatterns(clusteringId),
    memberships: (clusteringId) => store.readMemberships(clusteringId),
    condensedTree: async (clusteringId) => {
      const tree = await store.readCondensedTree(clusteringId);
      return { ...tree, lambda: Float64Array.from(tree.lambda) };
    },
    linkage: async (clusteringId) => {
      const tree = await store.readLinkageTree(clusteringId);
      return tree === null ? null : { left: tree.left, right: tree.right, distance: tree.distance };
    },
    softMemberships: async (clusteringId) => {
      const soft = await store.readSoftMemberships(clusteringId);
      // An empty table is a clustering whose soft memberships were never computed (older nap), unless it has no inputs.
      return soft.inputIndex.length === 0 ? null : soft;
    },
    layerStats: async (runId, layer) => {
      const stats = await store.readUnitStats({ runId, layer });
      return { ...stats, patternId: new Int32Array(stats.unit.length).fill(-1) } satisfies UnitStatsTable;
    },
    patternStats: async (clusteringId) => {
      const stats = await store.readUnitStats({ clusteringId });
      return { ...stats, patternId: stats.patternId ?? new Int32Array(stats.unit.length).fill(-1) };
    },
    maxActivations: (runId, layer) => store.readMaxActivations(runId, layer),
    projection: async (runId, layer) => {
      const stored = await store.readProjection(runId, layer);
      return stored === null ? null : { inputIndex: stored.inputIndex, x: stored.x, y: stored.y };
    },
    flow: async (clusteringA, clusteringB) => {
      try {
        const stored = await store.readFlow(clusteringA, clusteringB);
        return stored === null ? null : { patternA: stored.patternA, patternB: stored.patternB, count: stored.count };
      } catch (error) {
        // A store written before flows were stored has no flow tables: its flows are computed from the memberships.
        if (error instanceof InputError) return null;
        throw error;
      }
    },
    heatmapIndex: (clusteringId) => store.listHeatmaps(clusteringId),
    featureImages: async (runId, layer) => featureImagesTable(await store.readFeatureVisualizations(runId, layer)),
    triage: async (runId) => {
      const saved = await store.readTriage(runId);
      if (saved === null) return null;
      return {
        inputs: saved.inputs,
        layers: { ...saved.layers, settings: saved.settings },
        agreement: saved.agreement,
        outliers: saved.outliers,
        nearDuplicates: saved.nearDuplicates,
      };
    },
  };
}

/** The results API over an open store; make it after any writes, since it keeps what it reads. */
export function storeResults(store: NapStore): ResultsService {
  return createResultsApi(storeReader(store));
}
