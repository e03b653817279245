/**
 * NapStore: every result of a NAP analysis in one embedded DuckDB file (schema in schema.ts).
 *
 * Bulk data goes in and out as columns of typed arrays. Every write method is one transaction, so a
 * failure (or a crash) never leaves half of a step behind. Writes run one at a time on a writer
 * connection; reads run on their own connection and see only committed data.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Matrix } from '../../compute/matrix.js';
import { InputError, NapError } from '../../errors.js';
import * as activations from './activations.js';
import * as clusterings from './clusterings.js';
import * as flows from './flow.js';
import * as triages from './triage.js';
import * as featureVisualizations from './feature-visualizations.js';
import * as heatmaps from './heatmaps.js';
import * as hierarchy from './hierarchy.js';
import * as images from './images.js';
import * as inputDetails from './input-details.js';
import * as inputs from './inputs.js';
import * as shiftedProbabilities from './shifted-probabilities.js';
import * as layers from './layers.js';
import { explainStoreError } from './file-errors.js';
import type { MigrateSchemaOptions } from './migrations.js';
import { openStoreFile, type MigrationReport } from './open.js';
import * as projections from './projections.js';
import * as tensorRecords from './tensor-records.js';
import * as runs from './runs.js';
import * as staging from './staging.js';
import * as statistics from './statistics.js';
import { inTransaction, SerialQueue } from './transaction.js';
import type {
  AverageImages,
  ClusteringPart,
  ClusteringRecord,
  ClusteringToSave,
  CondensedTreeColumns,
  InputColumns,
  InputMemberships,
  LayerInfo,
  MaxActivationColumns,
  MemberPage,
  MemberPageOptions,
  MembershipColumns,
  NewRun,
  PatternColumns,
  PatternLabelCounts,
  RunRecord,
  StoredRunStatus,
  StatsScope,
  StoredActivations,
  StoredInputs,
  StoredMaxActivations,
  StoredUnitStats,
  UnitStatsToSave,
} from './types.js';

export * from './types.js';
export type * from './roles.js';
export { SCHEMA_VERSION } from './schema.js';
export type { ShiftedProbabilities } from './shifted-probabilities.js';
export type { MigrationReport } from './open.js';
export type { StoredTriage, TriageToSave } from './triage.js';
export type { InputContentRecord, LayerLayoutRecord } from './tensor-records.js';
export { storeFileProblem, type StoreFileProblem } from './file-errors.js';
export { MEAN_HEATMAP, type HeatmapIndex, type PatternHeatmaps } from './heatmaps.js';
export type {
  ClusterSpaceColumns,
  CoverageCounts,
  LinkageTreeColumns,
  NoisePage,
  NoisePageOptions,
  NoiseSummary,
  SoftMembershipColumns,
  SoftMembershipsToSave,
} from './hierarchy.js';
export {
  FEATURE_OBJECTIVES,
  type FeatureObjective,
  type FeatureVisualization,
  type FeatureVisualizationFilter,
  type FeatureVisualizationKey,
  type FeatureVisualizationToSave,
} from './feature-visualizations.js';
export {
  PROJECTION_METHODS,
  type ProjectionMethod,
  type ProjectionRecord,
  type ProjectionToSave,
  type StoredProjection,
} from './projections.js';

export interface OpenStoreOptions {
  /** Open without ever modifying the file; the file must exist. Default false (create when missing). */
  readOnly?: boolean;
  /** Refuse a path that does not exist instead of creating a store there (for commands that add to a run). Default false. */
  mustExist?: boolean;
  /**
   * Read every stored value once while opening, so that a damaged file is refused at once (a server does
   * this before it listens). Default false.
   */
  verify?: boolean;
  /** Hooks into the migration of an older store (tests). */
  migration?: MigrateSchemaOptions;
}

/**
 * Files open in this process. Two DuckDB instances on one file in one process do not lock each other
 * out, and one writing under the other corrupts what the other sees; one NapStore per file is shared instead.
 */
const openPaths = new Set<string>();

/** A connection and the queue that keeps its statements one at a time. */
interface Channel {
  connection: DuckDBConnection;
  queue: SerialQueue;
}

/**
 * Runs `body`, then closes `store`. A failed close fails the call (see NapStore.close: work not in the file
 * must not pass for saved); when `body` failed, its error is the one thrown, and the close is tried anyway.
 */
export async function closeAfter<T>(store: NapStore, body: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  await store.close();
  return result;
}

export class NapStore {
  private closed = false;
  /** Runs this store is writing (created or resumed and not yet complete or failed); see RunStatus. */
  private readonly writingRuns = new Set<number>();

  private constructor(
    /** Absolute path of the store file. */
    readonly path: string,
    readonly readOnly: boolean,
    /** What opening did to an older store (migrated in place, with a backup beside it), or null. */
    readonly migration: MigrationReport | null,
    private readonly instance: DuckDBInstance,
    private readonly reader: Channel,
    private readonly writer: Channel | null,
  ) {}

  /**
   * Opens the store at `path`, creating it (and its schema) when missing unless `readOnly`. A store written
   * by an earlier version is migrated in place first, after a copy of it is made beside it (see `migration`).
   */
  static async open(path: string, options: OpenStoreOptions = {}): Promise<NapStore> {
    const readOnly = options.readOnly ?? false;
    const absolute = resolve(path);
    if (openPaths.has(absolute)) {
      throw new InputError(`store ${absolute} is already open in this process`, {
        hint: 'share the open NapStore, or close it before opening the file again',
      });
    }
    openPaths.add(absolute);
    let file: Awaited<ReturnType<typeof openStoreFile>>;
    try {
      file = await openStoreFile(absolute, {
        readOnly,
        mustExist: options.mustExist ?? false,
        verify: options.verify ?? false,
        ...(options.migration ? { migration: options.migration } : {}),
      });
    } catch (error) {
      openPaths.delete(absolute);
      throw error;
    }
    const { instance } = file;
    const connections: DuckDBConnection[] = [];
    try {
      const reader = await instance.connect();
      connections.push(reader);
      const writer = readOnly ? null : await instance.connect();
      if (writer) connections.push(writer);
      return new NapStore(
        absolute,
        readOnly,
        file.migration,
        instance,
        { connection: reader, queue: new SerialQueue() },
        writer ? { connection: writer, queue: new SerialQueue() } : null,
      );
    } catch (error) {
      for (const connection of connections) connection.closeSync();
      instance.closeSync();
      openPaths.delete(absolute);
      throw error;
    }
  }

  /**
   * Waits for pending work, then closes the file. A writable store is checkpointed first and must leave no
   * write-ahead log behind: a close that cannot put every committed write into the file throws (the work
   * stays in the log, and the next open finishes it). Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.queue.drain();
    await this.writer?.queue.drain();
    let failure: { error: unknown } | undefined;
    if (this.writer) {
      try {
        await this.writer.connection.run('CHECKPOINT');
      } catch (error) {
        failure = { error: explainStoreError(this.path, 'write', error) };
      }
    }
    this.reader.connection.closeSync();
    this.writer?.connection.closeSync();
    this.instance.closeSync();
    openPaths.delete(this.path);
    if (failure) throw failure.error;
    if (this.writer) await this.requireNoLog();
  }

  /** After a checkpointed close, the file alone must hold everything: a log left behind means it does not. */
  private async requireNoLog(): Promise<void> {
    const log = `${this.path}.wal`;
    const size = (await stat(log).catch(() => null))?.size ?? 0;
    if (size > 0) {
      throw new InputError(`store ${this.path} was not completely written: ${log} still holds ${size} bytes`, {
        hint: 'check the disk (space, errors), then open the store again with any nap command: it finishes writing the log into the file',
      });
    }
  }

  private requireOpen(): void {
    if (this.closed) throw new NapError(`store ${this.path} is closed`, { hint: 'open the store again' });
  }

  private async read<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.requireOpen();
    const { connection, queue } = this.reader;
    return queue.run(() => work(connection));
  }

  private async write<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.requireOpen();
    if (this.writer === null) {
      throw new InputError(`store ${this.path} is open read-only`, { hint: 'open it without readOnly to write' });
    }
    const { connection, queue } = this.writer;
    try {
      return await queue.run(() => inTransaction(connection, () => work(connection)));
    } catch (error) {
      throw explainStoreError(this.path, 'write', error);
    }
  }

  // Runs

  /** Records a new run with status 'running'; returns its id. */
  async createRun(run: NewRun): Promise<number> {
    const runId = await this.write((c) => runs.insertRun(c, run));
    this.writingRuns.add(runId);
    return runId;
  }

  /** 'running' while this store writes the run (it reads as such until closed), else its outcome. */
  async setRunStatus(runId: number, status: StoredRunStatus): Promise<void> {
    await this.write((c) => runs.updateRunStatus(c, runId, status));
    if (status === 'running') this.writingRuns.add(runId);
    else this.writingRuns.delete(runId);
  }

  /** `run` as a reader sees it: stored as 'running' but not written by this store, it is interrupted (see RunStatus). */
  private withLiveStatus(run: RunRecord): RunRecord {
    return run.status === 'running' && !(this.writingRuns.has(run.runId) && !this.closed)
      ? { ...run, status: 'interrupted' }
      : run;
  }

  async getRun(runId: number): Promise<RunRecord> {
    return this.withLiveStatus(await this.read((c) => runs.requireRun(c, runId)));
  }

  /** All runs, oldest first. */
  async listRuns(): Promise<RunRecord[]> {
    return (await this.read((c) => runs.listRuns(c))).map((run) => this.withLiveStatus(run));
  }

  /** The newest complete run whose activations can be reused for this model, dataset and extraction config, or null. */
  findCompleteRun(
    modelSha256: string,
    datasetFingerprint: string,
    extractionConfigHash: string,
  ): Promise<RunRecord | null> {
    return this.read((c) => runs.findCompleteRun(c, modelSha256, datasetFingerprint, extractionConfigHash));
  }

  /** The newest run with these settings that started but never completed (killed, cancelled or failed), or null. */
  async findUnfinishedRun(
    modelSha256: string,
    datasetFingerprint: string,
    extractionConfigHash: string,
  ): Promise<RunRecord | null> {
    const run = await this.read((c) =>
      runs.findUnfinishedRun(c, modelSha256, datasetFingerprint, extractionConfigHash),
    );
    return run === null ? null : this.withLiveStatus(run);
  }

  // Extraction in progress (see staging.ts)

  /** Commits one batch of inputs with its raw aggregated activations, all or nothing. */
  appendStagedBatch(runId: number, batch: staging.StagedBatch): Promise<void> {
    return this.write((c) => staging.appendStagedBatch(c, runId, batch));
  }

  stagedBatches(runId: number): Promise<{ start: number; count: number }[]> {
    return this.read((c) => staging.stagedBatches(c, runId));
  }

  /** A staged layer's rows by input index; given `visitUnitMax`, the unit maxima go to it batch by batch instead. */
  readStagedLayer(
    runId: number,
    layer: string,
    dim: number,
    units: number,
    visitUnitMax?: (unitMax: Float32Array, inputIndex: Int32Array) => void,
  ): Promise<staging.StagedLayer> {
    return this.read((c) => staging.readStagedLayer(c, runId, layer, dim, units, visitUnitMax));
  }

  /**
   * Replaces a layer's staged rows by its final normalized activations and max activations, in one
   * transaction: a layer is either still staged or completely stored.
   */
  finalizeLayer(
    runId: number,
    info: LayerInfo,
    matrix: Matrix,
    inputIndex: Int32Array,
    max: MaxActivationColumns,
  ): Promise<void> {
    return this.write(async (c) => {
      await layers.appendLayer(c, runId, info);
      await activations.appendActivations(c, runId, info.layer, matrix, inputIndex);
      await statistics.saveMaxActivations(c, runId, info.layer, max);
      await staging.clearStagedLayer(c, runId, info.layer);
    });
  }

  /** Forgets the committed-batch bookkeeping once every layer is finalized. */
  clearStagedBatches(runId: number): Promise<void> {
    return this.write((c) => staging.clearStagedBatches(c, runId));
  }

  /** Deletes a run and everything stored for it. */
  deleteRun(runId: number): Promise<void> {
    return this.write((c) => runs.deleteRun(c, runId));
  }

  // Inputs, layers, activations

  /** Appends one batch of inputs (call once per batch or once for all). */
  appendInputs(runId: number, columns: InputColumns): Promise<void> {
    return this.write((c) => inputs.appendInputs(c, runId, columns));
  }

  /** All inputs by ascending index, or the inputs at `inputIndex` in that order. */
  readInputs(runId: number, inputIndex?: Int32Array): Promise<StoredInputs> {
    return this.read((c) => inputs.readInputs(c, runId, inputIndex));
  }

  appendLayer(runId: number, layer: LayerInfo): Promise<void> {
    return this.write((c) => layers.appendLayer(c, runId, layer));
  }

  /** The run's layers in model order. */
  listLayers(runId: number): Promise<LayerInfo[]> {
    return this.read((c) => layers.listLayers(c, runId));
  }

  /** Appends activation rows of a stored layer; row i belongs to input `inputIndex[i]`. */
  appendActivations(runId: number, layer: string, matrix: Matrix, inputIndex: Int32Array): Promise<void> {
    return this.write((c) => activations.appendActivations(c, runId, layer, matrix, inputIndex));
  }

  /** The layer's activations with rows by ascending input index. */
  readActivations(runId: number, layer: string): Promise<StoredActivations> {
    return this.read((c) => activations.readActivations(c, runId, layer));
  }

  // Clusterings

  /**
   * Stores a clustering with its patterns, memberships, condensed tree and (when given) its linkage tree,
   * soft memberships, unit statistics, average images and flows, all or nothing: a clustering is never seen
   * half written. Returns its id. `options.afterStep` is called inside the transaction after each part
   * (tests make it fail or kill the process there).
   */
  saveClustering(
    runId: number,
    layer: string,
    clustering: ClusteringToSave,
    options: { afterStep?: (part: ClusteringPart) => void | Promise<void> } = {},
  ): Promise<number> {
    const after = async (part: ClusteringPart) => options.afterStep?.(part);
    return this.write(async (c) => {
      const clusteringId = await clusterings.saveClustering(c, runId, layer, clustering);
      await after('clustering');
      const rows = clustering.labels.length;
      if (clustering.linkageTree) await hierarchy.saveLinkageTree(c, clusteringId, rows, clustering.linkageTree);
      if (clustering.softMemberships) {
        const inputIndex = clustering.inputIndex ?? (await inputs.inputIndices(c, runId));
        await hierarchy.saveSoftMemberships(c, clusteringId, inputIndex, clustering.softMemberships);
      }
      await after('hierarchy');
      if (clustering.unitStats) await statistics.saveUnitStats(c, { clusteringId }, clustering.unitStats);
      await after('statistics');
      if (clustering.averageImages) await images.saveAverageImages(c, clusteringId, clustering.averageImages);
      await after('average images');
      for (const { partner, newIs, ...cells } of clustering.flows ?? []) {
        const [clusteringA, clusteringB] = newIs === 'A' ? [clusteringId, partner] : [partner, clusteringId];
        await flows.saveFlow(c, { clusteringA, clusteringB, ...cells });
      }
      await after('flows');
      return clusteringId;
    });
  }

  /**
   * Adds (or replaces) the linkage tree and soft memberships of a stored clustering, together: what a
   * clustering of an older nap lacks. `inputIndex` gives the rows' inputs (the clustering's, ascending).
   */
  saveClusteringHierarchy(
    clusteringId: number,
    inputIndex: Int32Array,
    parts: { linkageTree?: hierarchy.LinkageTreeColumns; softMemberships?: hierarchy.SoftMembershipsToSave },
  ): Promise<void> {
    return this.write(async (c) => {
      if (parts.linkageTree) await hierarchy.saveLinkageTree(c, clusteringId, inputIndex.length, parts.linkageTree);
      if (parts.softMemberships)
        await hierarchy.saveSoftMemberships(c, clusteringId, inputIndex, parts.softMemberships);
    });
  }

  /** The clustering's single-linkage tree, or null for a clustering stored without one (an older nap). */
  readLinkageTree(clusteringId: number): Promise<(hierarchy.LinkageTreeColumns & { pointCount: number }) | null> {
    return this.read((c) => hierarchy.readLinkageTree(c, clusteringId));
  }

  /** The clustering's soft memberships by input then rank; empty for a clustering stored without them. */
  readSoftMemberships(clusteringId: number): Promise<hierarchy.SoftMembershipColumns> {
    return this.read((c) => hierarchy.readSoftMemberships(c, clusteringId));
  }

  /**
   * Inputs in a pattern, and per strength s inputs in a pattern or whose strongest soft membership is at
   * least s (the patterns grown by their near members).
   */
  readCoverage(clusteringId: number, strengths: readonly number[] = []): Promise<hierarchy.CoverageCounts> {
    return this.read((c) => hierarchy.readCoverage(c, clusteringId, strengths));
  }

  /**
   * A page of noise inputs with their strongest pattern and its strength, strongest first: of one pattern
   * (its near members) or, with patternId null, of all noise.
   */
  readNoisePage(
    clusteringId: number,
    patternId: number | null,
    options?: hierarchy.NoisePageOptions,
  ): Promise<hierarchy.NoisePage> {
    return this.read((c) => hierarchy.readNoisePage(c, clusteringId, patternId, options));
  }

  /** The noise group of a clustering: its size, label mix and the patterns its inputs lean to. */
  readNoiseSummary(clusteringId: number): Promise<hierarchy.NoiseSummary> {
    return this.read((c) => hierarchy.readNoiseSummary(c, clusteringId));
  }

  /** Stores (or replaces) a layer's coordinates in a cluster space (pca:D, umap:D). */
  saveClusterSpace(runId: number, layer: string, space: hierarchy.ClusterSpaceColumns): Promise<void> {
    return this.write((c) => hierarchy.saveClusterSpace(c, runId, layer, space));
  }

  /** A layer's coordinates in a cluster space, or null when they are not stored. */
  readClusterSpace(runId: number, layer: string, space: string): Promise<hierarchy.ClusterSpaceColumns | null> {
    return this.read((c) => hierarchy.readClusterSpace(c, runId, layer, space));
  }

  getClustering(clusteringId: number): Promise<ClusteringRecord> {
    return this.read((c) => clusterings.requireClustering(c, clusteringId));
  }

  /** Clusterings of a run (of one layer when given), oldest first. */
  listClusterings(runId: number, layer?: string): Promise<ClusteringRecord[]> {
    return this.read((c) => clusterings.listClusterings(c, runId, layer));
  }

  readPatterns(clusteringId: number): Promise<PatternColumns> {
    return this.read((c) => clusterings.readPatterns(c, clusteringId));
  }

  readMemberships(clusteringId: number): Promise<MembershipColumns> {
    return this.read((c) => clusterings.readMemberships(c, clusteringId));
  }

  /** One page of the members of a pattern (-1: noise) with their inputs; default 100 most stable first. */
  readPatternMembers(clusteringId: number, patternId: number, page?: MemberPageOptions): Promise<MemberPage> {
    return this.read((c) => clusterings.readPatternMembers(c, clusteringId, patternId, page));
  }

  /** Member counts per pattern and input label (or predicted label). */
  readPatternLabelCounts(clusteringId: number, by?: 'label' | 'prediction'): Promise<PatternLabelCounts> {
    return this.read((c) => clusterings.readPatternLabelCounts(c, clusteringId, by));
  }

  /** The patterns the given inputs belong to, in every clustering of the run. */
  readMembershipsOfInputs(runId: number, inputIndex: Int32Array): Promise<InputMemberships> {
    return this.read((c) => clusterings.readMembershipsOfInputs(c, runId, inputIndex));
  }

  readCondensedTree(clusteringId: number): Promise<CondensedTreeColumns> {
    return this.read((c) => clusterings.readCondensedTree(c, clusteringId));
  }

  // Statistics, max activations, average images

  /** Replaces the unit statistics of a layer ({runId, layer}) or of a clustering's patterns ({clusteringId}). */
  saveUnitStats(scope: StatsScope, stats: UnitStatsToSave): Promise<void> {
    return this.write((c) => statistics.saveUnitStats(c, scope, stats));
  }

  /** Unit statistics of the scope, of one pattern when `patternId` is given (clustering scope only). */
  readUnitStats(scope: StatsScope, patternId?: number): Promise<StoredUnitStats> {
    return this.read((c) => statistics.readUnitStats(c, scope, patternId));
  }

  /** Replaces the layer's max-activating inputs. */
  saveMaxActivations(runId: number, layer: string, columns: MaxActivationColumns): Promise<void> {
    return this.write((c) => statistics.saveMaxActivations(c, runId, layer, columns));
  }

  readMaxActivations(runId: number, layer: string, unit?: number): Promise<StoredMaxActivations> {
    return this.read((c) => statistics.readMaxActivations(c, runId, layer, unit));
  }

  /** Replaces the average images of a clustering's patterns. */
  saveAverageImages(clusteringId: number, averageImages: AverageImages): Promise<void> {
    return this.write((c) => images.saveAverageImages(c, clusteringId, averageImages));
  }

  readAverageImages(clusteringId: number, patternId?: number): Promise<AverageImages> {
    return this.read((c) => images.readAverageImages(c, clusteringId, patternId));
  }

  // A run's saved triage (see triage.ts)

  /** Stores the run's triage scores, replacing the ones saved before. */
  saveTriage(triage: triages.TriageToSave): Promise<void> {
    return this.write((c) => triages.saveTriage(c, triage));
  }

  /** The run's saved triage; null when none was saved. */
  readTriage(runId: number): Promise<triages.StoredTriage | null> {
    return this.read((c) => triages.readTriage(c, runId));
  }

  // Concept flow between the clusterings of a run (see flow.ts)

  /** Stores (or replaces) the non-zero cells of the contingency table of two clusterings of one run. */
  saveFlow(flow: flows.FlowToSave): Promise<flows.FlowRecord> {
    return this.write((c) => flows.saveFlow(c, flow));
  }

  /** The stored flows of a run, oriented as stored. */
  listFlows(runId: number): Promise<flows.FlowRecord[]> {
    return this.read((c) => flows.listFlows(c, runId));
  }

  /** The flow from clustering A to clustering B, whichever way it was stored; null when not stored. */
  readFlow(clusteringA: number, clusteringB: number): Promise<flows.StoredFlow | null> {
    return this.read((c) => flows.readFlow(c, clusteringA, clusteringB));
  }

  // Normalization divisors and pattern heatmaps (see heatmaps.ts)

  /** Replaces a layer's unit normalization divisors (one per activations column). */
  saveLayerDivisors(runId: number, layer: string, divisors: Float64Array | Float32Array): Promise<void> {
    return this.write((c) => heatmaps.saveLayerDivisors(c, runId, layer, divisors));
  }

  /** The layer's normalization divisors; NotFoundError when none are stored. */
  readLayerDivisors(runId: number, layer: string): Promise<Float32Array> {
    return this.read((c) => heatmaps.readLayerDivisors(c, runId, layer));
  }

  /** Stores heatmaps, replacing every stored heatmap of the patterns they belong to, all or nothing. */
  savePatternHeatmaps(clusteringId: number, patternHeatmaps: heatmaps.PatternHeatmaps): Promise<void> {
    return this.write((c) => heatmaps.savePatternHeatmaps(c, clusteringId, patternHeatmaps));
  }

  /** Which heatmaps of a pattern are stored. */
  readHeatmapIndex(clusteringId: number, patternId: number): Promise<heatmaps.HeatmapIndex> {
    return this.read((c) => heatmaps.readHeatmapIndex(c, clusteringId, patternId));
  }

  /** Every stored heatmap of a clustering, without its values. */
  listHeatmaps(clusteringId: number): ReturnType<typeof heatmaps.listHeatmaps> {
    return this.read((c) => heatmaps.listHeatmaps(c, clusteringId));
  }

  /** A pattern's stored heatmaps, all or those of `inputIndex` (MEAN_HEATMAP: the mean) in that order. */
  readPatternHeatmaps(
    clusteringId: number,
    patternId: number,
    inputIndex?: Int32Array,
  ): Promise<heatmaps.PatternHeatmaps> {
    return this.read((c) => heatmaps.readPatternHeatmaps(c, clusteringId, patternId, inputIndex));
  }

  // 2-D projections of a layer's inputs (see projections.ts)

  /** Stores a layer's projection, replacing the one stored before. */
  saveProjection(runId: number, layer: string, projection: projections.ProjectionToSave): Promise<void> {
    return this.write((c) => projections.saveProjection(c, runId, layer, projection));
  }

  /** The run's stored projections without their points, in model layer order. */
  listProjections(runId: number): Promise<projections.ProjectionRecord[]> {
    return this.read((c) => projections.listProjections(c, runId));
  }

  /** The layer's projection, or null when none is stored; NotFoundError for an unknown run or layer. */
  readProjection(runId: number, layer: string): Promise<projections.StoredProjection | null> {
    return this.read((c) => projections.readProjection(c, runId, layer));
  }

  // Per-input probability vectors and digests (see input-details.ts)

  /** The run's input details by ascending input index, or null when it has none (extracted before they were kept). */
  readInputDetails(runId: number): Promise<inputDetails.StoredInputDetails | null> {
    return this.read((c) => inputDetails.readInputDetails(c, runId));
  }

  // Class probabilities over test-time shifts (see shifted-probabilities.ts)

  /** Stores one batch of inputs' shifted probabilities (in one transaction). */
  appendShiftedProbabilities(runId: number, rows: shiftedProbabilities.ShiftedProbabilities): Promise<void> {
    return this.write((c) => shiftedProbabilities.appendShiftedProbabilities(c, runId, rows));
  }

  /** Removes the run's shifted probabilities, or only those of another shift setting than `keep`. */
  clearShiftedProbabilities(runId: number, keep?: number): Promise<void> {
    return this.write((c) => shiftedProbabilities.clearShiftedProbabilities(c, runId, keep));
  }

  /** The run's shifted probabilities by ascending input index, or null when it has none. */
  readShiftedProbabilities(runId: number): Promise<shiftedProbabilities.ShiftedProbabilities | null> {
    return this.read((c) => shiftedProbabilities.readShiftedProbabilities(c, runId));
  }

  // Feature visualizations (see feature-visualizations.ts)

  /** Stores feature visualization images, replacing those of the same keys, all or nothing. */
  saveFeatureVisualizations(images: readonly featureVisualizations.FeatureVisualizationToSave[]): Promise<void> {
    return this.write((c) => featureVisualizations.saveFeatureVisualizations(c, images));
  }

  /** A layer's stored feature visualizations (with pixels), optionally filtered; [] when none is stored. */
  readFeatureVisualizations(
    runId: number,
    layer: string,
    filter: featureVisualizations.FeatureVisualizationFilter = {},
  ): Promise<featureVisualizations.FeatureVisualization[]> {
    return this.read((c) => featureVisualizations.readFeatureVisualizations(c, runId, layer, filter));
  }

  // Layer layouts and gallery contents of non-image inputs (see tensor-records.ts)

  /** Stores the layouts of a run's layers (token, spatial or flat), replacing those stored before. */
  saveLayerLayouts(runId: number, layouts: tensorRecords.LayerLayoutRecord[]): Promise<void> {
    return this.write((c) => tensorRecords.saveLayerLayouts(c, runId, layouts));
  }

  /** The stored layouts of a run's layers, by layer name; none for a run analysed before they were stored. */
  readLayerLayouts(runId: number): Promise<tensorRecords.LayerLayoutRecord[]> {
    return this.read((c) => tensorRecords.readLayerLayouts(c, runId));
  }

  /** Stores what a gallery shows for inputs that are not images (text, numbers, a named image). */
  saveInputContents(runId: number, contents: tensorRecords.InputContentRecord[]): Promise<void> {
    return this.write((c) => tensorRecords.saveInputContents(c, runId, contents));
  }

  /** How many inputs of each run have each kind of gallery content; runs of images are not in it. */
  readInputContentKinds(): Promise<Map<number, tensorRecords.InputContentKinds>> {
    return this.read((c) => tensorRecords.readInputContentKinds(c));
  }

  /** Gallery contents of a run's inputs (all, or those of `inputIndex`); none for image runs. */
  readInputContents(runId: number, inputIndex?: Int32Array): Promise<tensorRecords.InputContentRecord[]> {
    return this.read((c) => tensorRecords.readInputContents(c, runId, inputIndex));
  }
}
