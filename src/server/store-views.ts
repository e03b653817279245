/**
 * Cached reads of a read-only store. The store cannot change while it is served (it is open read-only and
 * DuckDB's lock keeps writers out), so anything read once can be kept; LRU limits bound the memory.
 */
import { NotFoundError } from '../errors.js';
import type {
  ClusteringRecord,
  LayerInfo,
  MembershipColumns,
  PatternColumns,
  ProjectionRecord,
  RunRecord,
  StatsScope,
  StoredProjection,
  StoredUnitStats,
  ResultsReader,
} from '../io/store/index.js';
import { buildInputTable, type InputTable } from './input-table.js';
import { PromiseCache } from './lru.js';

/** What the run list shows of a run's inputs, kept apart from the (large, LRU-evicted) input tables. */
export interface RunFacts {
  inputCount: number;
  labels: string[];
}

export class StoreViews {
  private runList: Promise<RunRecord[]> | null = null;
  private readonly layerLists = new PromiseCache<number, LayerInfo[]>(64);
  private readonly clusteringLists = new PromiseCache<number, ClusteringRecord[]>(64);
  private readonly clusteringRecords = new PromiseCache<number, ClusteringRecord>(1024);
  private readonly inputTables = new PromiseCache<number, InputTable>(4);
  private readonly membershipColumns = new PromiseCache<number, MembershipColumns>(16);
  private readonly patternColumns = new PromiseCache<number, PatternColumns>(256);
  private readonly facts = new PromiseCache<number, RunFacts>(1024);
  // A query per request would serialize on the store's connection: under load the statistics routes
  // answered ~40x slower than the cached routes.
  private readonly statistics = new PromiseCache<string, StoredUnitStats>(128);
  private readonly projectionLists = new PromiseCache<number, ProjectionRecord[]>(64);
  // A projection holds 12 bytes per input: a few of them cover the layers a user flips between.
  private readonly projectionPoints = new PromiseCache<string, StoredProjection | null>(8);

  constructor(readonly store: ResultsReader) {}

  runs(): Promise<RunRecord[]> {
    this.runList ??= this.store.listRuns();
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

  async layers(runId: number): Promise<LayerInfo[]> {
    await this.run(runId);
    return this.layerLists.get(runId, () => this.store.listLayers(runId));
  }

  async layer(runId: number, name: string): Promise<LayerInfo> {
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
    return this.clusteringLists.get(runId, () => this.store.listClusterings(runId));
  }

  clustering(clusteringId: number): Promise<ClusteringRecord> {
    return this.clusteringRecords.get(clusteringId, () => this.store.getClustering(clusteringId));
  }

  async inputs(runId: number): Promise<InputTable> {
    await this.run(runId);
    return this.inputTables.get(runId, async () => buildInputTable(await this.store.readInputs(runId)));
  }

  async runFacts(runId: number): Promise<RunFacts> {
    await this.run(runId);
    return this.facts.get(runId, async () => {
      const inputs = await this.inputs(runId);
      return { inputCount: inputs.index.length, labels: inputs.labels };
    });
  }

  async memberships(clusteringId: number): Promise<MembershipColumns> {
    await this.clustering(clusteringId);
    return this.membershipColumns.get(clusteringId, () => this.store.readMemberships(clusteringId));
  }

  async patterns(clusteringId: number): Promise<PatternColumns> {
    await this.clustering(clusteringId);
    return this.patternColumns.get(clusteringId, () => this.store.readPatterns(clusteringId));
  }

  /** Unit statistics of a layer over all inputs, or of one pattern of a clustering. */
  unitStats(scope: StatsScope, patternId?: number): Promise<StoredUnitStats> {
    return this.statistics.get(JSON.stringify([scope, patternId ?? null]), () =>
      this.store.readUnitStats(scope, patternId),
    );
  }

  /** The run's stored projections (without points), in model layer order. */
  async projections(runId: number): Promise<ProjectionRecord[]> {
    await this.run(runId);
    return this.projectionLists.get(runId, () => this.store.listProjections(runId));
  }

  /** The layer's projection with its points, null when it has none; NotFoundError for an unknown run or layer. */
  async projection(runId: number, layer: string): Promise<StoredProjection | null> {
    await this.layer(runId, layer);
    return this.projectionPoints.get(JSON.stringify([runId, layer]), () => this.store.readProjection(runId, layer));
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
}
