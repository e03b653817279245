/**
 * The reader's records and tables, kept once read, with lookups by id and name that refuse what does not
 * exist (NotFoundError naming what does). Results cannot change while they are read (a store is served
 * read-only, an export is a snapshot), so anything read once can be kept; LRU limits bound the memory.
 */
import { NotFoundError } from '../errors.js';
import { PromiseCache } from './cache.js';
import { indexInputs, type IndexedInputs } from './input-index.js';
import { layerClusteringsOf, type LayerClustering } from './layer-clusterings.js';
import type { ResultsReader, SourceInfo } from './reader.js';
import type {
  ClusteringRecord,
  CondensedTreeTable,
  FlowCellsTable,
  FeatureImagesTable,
  HeatmapIndexTable,
  LinkageTable,
  LayerRecord,
  MaxActivationsTable,
  MembershipsTable,
  PatternsTable,
  ProjectionRecord,
  ProjectionTable,
  SoftMembershipsTable,
  RunRecord,
  SavedTriage,
  UnitStatsTable,
} from './tables.js';

export type { LayerClustering };

/** How many of each kind of table are kept; inputs and memberships are the large ones. */
export interface TableLimits {
  inputs: number;
  memberships: number;
  stats: number;
  projections: number;
}

export const DEFAULT_TABLE_LIMITS: TableLimits = { inputs: 4, memberships: 32, stats: 256, projections: 8 };

export class ResultsTables {
  private sourceInfo: Promise<SourceInfo> | null = null;
  private runList: Promise<RunRecord[]> | null = null;
  private clusteringIndex: Promise<Map<number, ClusteringRecord>> | null = null;
  private readonly layerLists = new PromiseCache<number, LayerRecord[]>(64);
  private readonly clusteringLists = new PromiseCache<number, ClusteringRecord[]>(64);
  private readonly projectionLists = new PromiseCache<number, ProjectionRecord[]>(64);
  private readonly inputTables: PromiseCache<number, IndexedInputs>;
  private readonly membershipTables: PromiseCache<number, MembershipsTable>;
  private readonly patternTables = new PromiseCache<number, PatternsTable>(256);
  private readonly trees = new PromiseCache<number, CondensedTreeTable>(16);
  private readonly linkages = new PromiseCache<number, LinkageTable | null>(8);
  private readonly softTables = new PromiseCache<number, SoftMembershipsTable | null>(16);
  private readonly statistics: PromiseCache<string, UnitStatsTable>;
  private readonly maxTables = new PromiseCache<string, MaxActivationsTable>(64);
  private readonly projectionTables: PromiseCache<string, ProjectionTable | null>;
  private readonly flows = new PromiseCache<string, FlowCellsTable | null>(256);
  private readonly heatmapIndexes = new PromiseCache<number, HeatmapIndexTable>(64);
  private readonly featureTables = new PromiseCache<string, FeatureImagesTable>(64);
  private readonly triages = new PromiseCache<number, SavedTriage | null>(4);

  constructor(
    readonly reader: ResultsReader,
    limits: TableLimits = DEFAULT_TABLE_LIMITS,
  ) {
    this.inputTables = new PromiseCache(limits.inputs);
    this.membershipTables = new PromiseCache(limits.memberships);
    this.statistics = new PromiseCache(limits.stats);
    this.projectionTables = new PromiseCache(limits.projections);
  }

  source(): Promise<SourceInfo> {
    this.sourceInfo ??= this.reader.source();
    return this.sourceInfo;
  }

  runs(): Promise<RunRecord[]> {
    this.runList ??= this.reader.runs();
    return this.runList;
  }

  async run(runId: number): Promise<RunRecord> {
    const runs = await this.runs();
    const run = runs.find((candidate) => candidate.runId === runId);
    if (run === undefined) {
      throw new NotFoundError(`run ${runId} does not exist in this store`, {
        hint:
          runs.length > 0
            ? `stored runs: ${runs.map((r) => r.runId).join(', ')}`
            : 'the store holds no runs; run nap analyze first',
      });
    }
    return run;
  }

  async layers(runId: number): Promise<LayerRecord[]> {
    await this.run(runId);
    return this.layerLists.get(runId, () => this.reader.layers(runId));
  }

  async layer(runId: number, name: string): Promise<LayerRecord> {
    const layers = await this.layers(runId);
    const found = layers.find((info) => info.layer === name);
    if (found === undefined) {
      throw new NotFoundError(`layer ${JSON.stringify(name)} is not in run ${runId}`, {
        hint: `layers of run ${runId}: ${layers.map((info) => info.layer).join(', ') || 'none'} (percent-encode the name in the URL)`,
      });
    }
    return found;
  }

  async clusterings(runId: number): Promise<ClusteringRecord[]> {
    await this.run(runId);
    return this.clusteringLists.get(runId, () => this.reader.clusterings(runId));
  }

  async clustering(clusteringId: number): Promise<ClusteringRecord> {
    this.clusteringIndex ??= this.runs().then(async (runs) => {
      const index = new Map<number, ClusteringRecord>();
      for (const run of runs) for (const c of await this.clusterings(run.runId)) index.set(c.clusteringId, c);
      return index;
    });
    const found = (await this.clusteringIndex).get(clusteringId);
    if (found === undefined) {
      throw new NotFoundError(`clustering ${clusteringId} does not exist`, {
        hint: 'list the clusterings of the run (GET /api/runs) to pick an existing one',
      });
    }
    return found;
  }

  /** Refuses a pattern id the clustering does not have; -1 (noise) only where `allowNoise`. */
  async requirePattern(clusteringId: number, patternId: number, allowNoise: boolean): Promise<ClusteringRecord> {
    const clustering = await this.clustering(clusteringId);
    const valid = (allowNoise && patternId === -1) || (patternId >= 0 && patternId < clustering.patternCount);
    if (!valid) {
      const range = clustering.patternCount > 0 ? `0..${clustering.patternCount - 1}` : 'none';
      throw new NotFoundError(`pattern ${patternId} does not exist in clustering ${clusteringId}`, {
        hint: `patterns of clustering ${clusteringId}: ${range}${allowNoise ? ', or -1 for noise' : ''}`,
      });
    }
    return clustering;
  }

  /** The layers of a run that have a layer-wide clustering, in model order, each with its newest one. */
  async layerClusterings(runId: number): Promise<LayerClustering[]> {
    const [layers, clusterings] = await Promise.all([this.layers(runId), this.clusterings(runId)]);
    return layerClusteringsOf(layers, clusterings);
  }

  async projections(runId: number): Promise<ProjectionRecord[]> {
    await this.run(runId);
    return this.projectionLists.get(runId, () => this.reader.projections(runId));
  }

  async inputs(runId: number): Promise<IndexedInputs> {
    await this.run(runId);
    return this.inputTables.get(runId, async () => indexInputs(await this.reader.inputs(runId)));
  }

  async memberships(clusteringId: number): Promise<MembershipsTable> {
    await this.clustering(clusteringId);
    return this.membershipTables.get(clusteringId, () => this.reader.memberships(clusteringId));
  }

  async patterns(clusteringId: number): Promise<PatternsTable> {
    await this.clustering(clusteringId);
    return this.patternTables.get(clusteringId, () => this.reader.patterns(clusteringId));
  }

  async condensedTree(clusteringId: number): Promise<CondensedTreeTable> {
    await this.clustering(clusteringId);
    return this.trees.get(clusteringId, () => this.reader.condensedTree(clusteringId));
  }

  /** The single-linkage tree, null when the clustering has none (an older nap). */
  async linkage(clusteringId: number): Promise<LinkageTable | null> {
    await this.clustering(clusteringId);
    return this.linkages.get(clusteringId, () => this.reader.linkage(clusteringId));
  }

  /** The strongest soft memberships, null when the clustering has none (an older nap). */
  async softMemberships(clusteringId: number): Promise<SoftMembershipsTable | null> {
    await this.clustering(clusteringId);
    return this.softTables.get(clusteringId, () => this.reader.softMemberships(clusteringId));
  }

  async layerStats(runId: number, layer: string): Promise<UnitStatsTable> {
    await this.layer(runId, layer);
    return this.statistics.get(JSON.stringify([runId, layer]), () => this.reader.layerStats(runId, layer));
  }

  async patternStats(clusteringId: number): Promise<UnitStatsTable> {
    await this.clustering(clusteringId);
    return this.statistics.get(String(clusteringId), () => this.reader.patternStats(clusteringId));
  }

  async maxActivations(runId: number, layer: string): Promise<MaxActivationsTable> {
    await this.layer(runId, layer);
    return this.maxTables.get(JSON.stringify([runId, layer]), () => this.reader.maxActivations(runId, layer));
  }

  /** The layer's map, null when it has none; NotFoundError for an unknown run or layer. */
  async projection(runId: number, layer: string): Promise<ProjectionTable | null> {
    await this.layer(runId, layer);
    return this.projectionTables.get(JSON.stringify([runId, layer]), () => this.reader.projection(runId, layer));
  }

  flow(clusteringA: number, clusteringB: number): Promise<FlowCellsTable | null> {
    return this.flows.get(`${clusteringA}:${clusteringB}`, () => this.reader.flow(clusteringA, clusteringB));
  }

  async heatmapIndex(clusteringId: number): Promise<HeatmapIndexTable> {
    await this.clustering(clusteringId);
    return this.heatmapIndexes.get(clusteringId, () => this.reader.heatmapIndex(clusteringId));
  }

  /** The layer's stored feature visualizations (empty when none); NotFoundError for an unknown run or layer. */
  async featureImages(runId: number, layer: string): Promise<FeatureImagesTable> {
    const info = await this.layer(runId, layer);
    return this.featureTables.get(JSON.stringify([runId, info.layer]), () =>
      this.reader.featureImages(runId, info.layer),
    );
  }

  /** The run's saved triage scores; null when none was saved. */
  async triage(runId: number): Promise<SavedTriage | null> {
    await this.run(runId);
    return this.triages.get(runId, () => this.reader.triage(runId));
  }
}
