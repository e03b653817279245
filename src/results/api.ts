/**
 * createResultsApi: the one implementation of every query the app and the CLI make, computed from a
 * ResultsReader's tables. `nap serve` answers it over HTTP (routes.ts), the static site runs it in the
 * browser over the exported Arrow files, and the CLI calls it directly. Results are immutable while read,
 * so every answer that costs more than a lookup is kept (bounded LRU) and concurrent askers share one
 * computation.
 */
import { InputError, NotFoundError } from '../errors.js';
import type { PartitionAgreement } from '../compute/partition-agreement.js';
import {
  IMAGE_SIZE,
  type AgreementSummary,
  type ClusteringParams,
  type ClusteringSummary,
  type CompareRunsParams,
  type CondensedTreeResponse,
  type CoverageResponse,
  type FeatureImagesResponse,
  type FeatureObjectiveName,
  type FlowGraphResponse,
  type FlowLayer,
  type HeatmapsResponse,
  type InfoResponse,
  type InputPatternsParams,
  type InputPatternsResponse,
  type InputRows,
  type InputsParams,
  type LabelCountsParams,
  type LabelCountsResponse,
  type PatternWordsResponse,
  type LayerComparisonSummary,
  type LayerFlowParams,
  type LayerFlowResponse,
  type LayerParams,
  type LayerSummary,
  type LineageParams,
  type LineageResponse,
  type LinkageRows,
  type MaxActivationsParams,
  type MaxActivationsResponse,
  type MembersParams,
  type MembersResponse,
  type MembershipRows,
  type NearMembersParams,
  type NearMembersResponse,
  type NoParams,
  type PatternParams,
  type PatternsParams,
  type PatternsResponse,
  type PatternSummary,
  type ProjectionPoints,
  type RunComparisonResponse,
  type RunDetail,
  type RunParams,
  type RunsResponse,
  type RunSummary,
  type AgreementParams,
  type AgreementResponse,
  type DuplicatesResponse,
  type LabelErrorsParams,
  type LabelErrorsResponse,
  type OutliersParams,
  type OutliersResponse,
  type ModelErrorsResponse,
  type SearchParams,
  type SearchResponse,
  type UnitStatsResponse,
} from './api-types.js';
import { LruCache, PromiseCache } from './cache.js';
import { inputColumnsJson } from './codec/json.js';
import { compareRuns, type LayerComparison } from './compare.js';
import { FlowQueries } from './flow.js';
import { rowOfAscending, type IndexedInputs } from './input-index.js';
import { labelCounts } from './label-counts.js';
import { patternWords } from './pattern-words.js';
import { groupByPattern, orderedMembers, type MemberFilter, type PatternGroups } from './members.js';
import { countAtLeast, nearMembersOf, type NearMembers } from './near-members.js';
import { OUTLIER_QUANTILE, summarizePatterns, type PatternSummaries } from './pattern-summaries.js';
import type { ResultsReader } from './reader.js';
import { LIMITS } from './routes.js';
import { ResultsTables, type LayerClustering, type TableLimits } from './results-tables.js';
import type {
  ClusteringRecord,
  LayerRecord,
  MembershipsTable,
  ProjectionRecord,
  RunRecord,
  UnitStatsTable,
} from './tables.js';
import { MEAN_HEATMAP } from './tables.js';
import { agreement, duplicates, labelErrors, modelErrors, outliers, requireSaved } from './saved-triage.js';
import { inputPicturesOf, showsContents } from './input-content.js';
import { parseSearch, searchRun, type SearchLayer } from './search.js';

/** Defaults of the queries' optional parameters. */
export const DEFAULTS = {
  inputPage: 1000,
  memberPage: 100,
  examples: 5,
  lineageLimit: 5,
  searchHits: LIMITS.search.default,
} as const;

/** Representatives summarized per pattern once; a query for fewer gets a prefix (the order is the same). */
const MAX_EXAMPLES = LIMITS.examples.max;

/** Every query; parameters and answers are documented in api-types.ts. */
export interface ResultsApi {
  info(params?: NoParams): Promise<InfoResponse>;
  runs(params?: NoParams): Promise<RunsResponse>;
  run(params: RunParams): Promise<RunDetail>;
  inputs(params: InputsParams): Promise<InputRows>;
  inputPatterns(params: InputPatternsParams): Promise<InputPatternsResponse>;
  layerStats(params: LayerParams): Promise<UnitStatsResponse>;
  maxActivations(params: MaxActivationsParams): Promise<MaxActivationsResponse>;
  projection(params: LayerParams): Promise<ProjectionPoints>;
  clustering(params: ClusteringParams): Promise<ClusteringSummary>;
  patterns(params: PatternsParams): Promise<PatternsResponse>;
  memberships(params: ClusteringParams): Promise<MembershipRows>;
  labelCounts(params: LabelCountsParams): Promise<LabelCountsResponse>;
  patternWords(params: ClusteringParams): Promise<PatternWordsResponse>;
  tree(params: ClusteringParams): Promise<CondensedTreeResponse>;
  linkage(params: ClusteringParams): Promise<LinkageRows>;
  coverage(params: ClusteringParams): Promise<CoverageResponse>;
  nearMembers(params: NearMembersParams): Promise<NearMembersResponse>;
  members(params: MembersParams): Promise<MembersResponse>;
  patternStats(params: PatternParams): Promise<UnitStatsResponse>;
  heatmaps(params: PatternParams): Promise<HeatmapsResponse>;
  featureImages(params: LayerParams): Promise<FeatureImagesResponse>;
  flowGraph(params: RunParams): Promise<FlowGraphResponse>;
  layerFlow(params: LayerFlowParams): Promise<LayerFlowResponse>;
  lineage(params: LineageParams): Promise<LineageResponse>;
  labelErrors(params: LabelErrorsParams): Promise<LabelErrorsResponse>;
  agreement(params: AgreementParams): Promise<AgreementResponse>;
  outliers(params: OutliersParams): Promise<OutliersResponse>;
  duplicates(params: RunParams): Promise<DuplicatesResponse>;
  modelErrors(params: RunParams): Promise<ModelErrorsResponse>;
  compareRuns(params: CompareRunsParams): Promise<RunComparisonResponse>;
  search(params: SearchParams): Promise<SearchResponse>;
}

export type QueryName = keyof ResultsApi;
export type QueryParams<Q extends QueryName> = Parameters<ResultsApi[Q]>[0] & {};
export type QueryResult<Q extends QueryName> = Awaited<ReturnType<ResultsApi[Q]>>;

/** The API over a reader, with its tables, for what sits beside it (the server's images, the export). */
export interface ResultsService extends ResultsApi {
  readonly tables: ResultsTables;
  readonly flows: FlowQueries;
  /** The model's input size (height, width) of a run; NotFoundError for runs that did not store it. */
  inputSize(runId: number): Promise<{ height: number; width: number }>;
  /**
   * Reads the newest complete run's tables and computes what its views ask for (pattern lists, label
   * counts, statistics, maps, the flow between every pair of layers, triage), so that requests find them
   * ready: a served store does not change.
   */
  prefetch(): Promise<void>;
}

/**
 * A plain array of the values. A counted loop with push: Array.from walks a typed array through its
 * iterator, and new Array(n) of a million is a sparse (dictionary) array; either took over a second per
 * column of a million-input clustering's tree.
 */
function list<T = number>(values: ArrayLike<number>, map?: (value: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < values.length; i++) out.push(map === undefined ? (values[i] as T) : map(values[i]!));
  return out;
}
const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

function clusteringSummary(record: ClusteringRecord): ClusteringSummary {
  return { ...record };
}

function flowLayer(layer: LayerClustering): FlowLayer {
  return { layer: layer.layer, order: layer.order, clusteringId: layer.clusteringId, patternCount: layer.patternCount };
}

function layerSummary(
  layer: LayerRecord,
  clusterings: ClusteringRecord[],
  projections: ProjectionRecord[],
): LayerSummary {
  return {
    ...layer,
    rawDims: [...layer.rawDims],
    clusterings: clusterings.filter((c) => c.layer === layer.layer).map(clusteringSummary),
    projection: projections.find((p) => p.layer === layer.layer)?.method ?? null,
  };
}

function unitStats(stats: UnitStatsTable, rows?: readonly number[]): UnitStatsResponse {
  const pick = (values: ArrayLike<number>) => (rows ? rows.map((row) => values[row]!) : list(values));
  return {
    unit: pick(stats.unit),
    min: pick(stats.min),
    max: pick(stats.max),
    mean: pick(stats.mean),
    q1: pick(stats.q1),
    q3: pick(stats.q3),
    iqr: pick(stats.iqr),
    lower: pick(stats.lower),
    upper: pick(stats.upper),
  };
}

function agreementSummary(agreement: PartitionAgreement): AgreementSummary {
  return {
    inputs: agreement.inputs,
    adjustedRandIndex: finiteOrNull(agreement.adjustedRandIndex),
    normalizedMutualInformation: finiteOrNull(agreement.normalizedMutualInformation),
  };
}

function layerComparisonSummary(layer: LayerComparison): LayerComparisonSummary {
  const { pairs, unmatchedA, unmatchedB } = layer.matching;
  return {
    layerA: layer.layerA,
    layerB: layer.layerB,
    clusteringA: layer.clusteringA,
    clusteringB: layer.clusteringB,
    patternsA: layer.patternsA,
    patternsB: layer.patternsB,
    inputs: layer.inputs,
    withNoise: agreementSummary(layer.agreement.withNoise),
    withoutNoise: agreementSummary(layer.agreement.withoutNoise),
    pairs: {
      patternA: pairs.map((p) => p.patternA),
      patternB: pairs.map((p) => p.patternB),
      jaccard: pairs.map((p) => p.jaccard),
      shared: pairs.map((p) => p.shared),
    },
    unmatchedA: [...unmatchedA],
    unmatchedB: [...unmatchedB],
  };
}

/** The given rows of a run's inputs (-1: an input the table lacks, kept aligned with empty values). */
function inputRows(inputs: IndexedInputs, runId: number, rows: ArrayLike<number>, offset: number | null): InputRows {
  const n = rows.length;
  // Filled with push: new Array(n) of a 100,000-input page is a sparse (dictionary) array, slow to fill.
  const path: (string | null)[] = [];
  const label: (string | null)[] = [];
  const predictionLabel: (string | null)[] = [];
  const content: (string | null)[] = [];
  const out: InputRows = {
    runId,
    total: inputs.inputIndex.length,
    offset,
    inputIndex: new Int32Array(n),
    path,
    label,
    prediction: new Int32Array(n),
    predictionLabel,
    probability: new Float64Array(n),
    misclassified: new Uint8Array(n),
    content,
  };
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    const known = row >= 0;
    out.inputIndex[i] = known ? inputs.inputIndex[row]! : -1;
    path.push(known ? (inputs.path[row] ?? null) : null);
    label.push(known ? (inputs.label[row] ?? null) : null);
    out.prediction[i] = known ? inputs.prediction[row]! : -1;
    predictionLabel.push(known ? (inputs.predictionLabel[row] ?? null) : null);
    out.probability[i] = known ? inputs.probability[row]! : NaN;
    out.misclassified[i] = known ? inputs.misclassified[row]! : 0;
    content.push(known ? (inputs.content[row] ?? null) : null);
  }
  return out;
}

/** Rows of the given input indices; the first index the run lacks is a 404. */
function rowsOfIndices(inputs: IndexedInputs, runId: number, indices: readonly number[]): Int32Array {
  return Int32Array.from(indices, (index) => {
    const row = inputs.rows.rowOf(index);
    if (row < 0) {
      throw new NotFoundError(`input ${index} is not in run ${runId}`, {
        hint: `run ${runId} has ${inputs.inputIndex.length} inputs`,
      });
    }
    return row;
  });
}

export interface ResultsApiOptions {
  /** How many of each kind of table are kept; default DEFAULT_TABLE_LIMITS. */
  tableLimits?: TableLimits;
}

export function createResultsApi(reader: ResultsReader, options: ResultsApiOptions = {}): ResultsService {
  const tables = new ResultsTables(reader, options.tableLimits);
  const flows = new FlowQueries(tables);
  const summaries = new PromiseCache<string, PatternSummaries>(64);
  const counts = new PromiseCache<string, LabelCountsResponse>(64);
  const words = new PromiseCache<number, PatternWordsResponse>(16);
  const comparisons = new PromiseCache<string, RunComparisonResponse>(16);
  const graphs = new PromiseCache<number, FlowGraphResponse>(16);
  const lineages = new PromiseCache<string, LineageResponse>(1024);
  const nearMemberLists = new PromiseCache<number, NearMembers | null>(16);
  // Member pages of one order and filter share the ordering: 4 bytes per member, 32 MiB in all.
  const memberOrders = new LruCache<string, Int32Array>(8 * 1024 * 1024, (rows) => rows.length);
  // Rows grouped by pattern, as long as their memberships table is kept (4 bytes per input).
  const patternGroups = new WeakMap<MembershipsTable, PatternGroups>();
  const groupsOf = (memberships: MembershipsTable): PatternGroups => {
    let groups = patternGroups.get(memberships);
    if (groups === undefined) patternGroups.set(memberships, (groups = groupByPattern(memberships)));
    return groups;
  };

  async function runSummary(run: RunRecord): Promise<RunSummary> {
    const [layers, clusterings, inputs, projections] = await Promise.all([
      tables.layers(run.runId),
      tables.clusterings(run.runId),
      tables.inputs(run.runId),
      tables.projections(run.runId),
    ]);
    return {
      runId: run.runId,
      name: run.name,
      createdAt: run.createdAt,
      status: run.status,
      modelPath: run.modelPath,
      datasetSpec: run.datasetSpec,
      inputCount: inputs.inputIndex.length,
      labels: inputs.labels,
      predictionLabels: run.predictionLabels,
      inputContents: showsContents(run),
      inputPictures: inputPicturesOf(run),
      layers: layers.map((layer) => layerSummary(layer, clusterings, projections)),
    };
  }

  /** The clustering's noise inputs with their strongest soft membership; null when it stored none. */
  function nearMembers(clusteringId: number): Promise<NearMembers | null> {
    return nearMemberLists.get(clusteringId, async () => {
      const [memberships, soft] = await Promise.all([
        tables.memberships(clusteringId),
        tables.softMemberships(clusteringId),
      ]);
      return soft === null ? null : nearMembersOf(memberships, soft);
    });
  }

  async function inputSize(runId: number): Promise<{ height: number; width: number }> {
    const run = await tables.run(runId);
    const preprocessing = run.config.preprocessing;
    if (preprocessing === undefined) {
      throw new NotFoundError(`run ${runId} has no stored input size to render heatmaps at`, {
        hint: 'analyze the model again with this nap',
      });
    }
    return { height: preprocessing.height, width: preprocessing.width };
  }

  const api: ResultsApi = {
    async info() {
      const [source, runs] = await Promise.all([tables.source(), tables.runs()]);
      return { ...source, runCount: runs.length, imageSize: { ...IMAGE_SIZE } };
    },

    async runs() {
      return { runs: await Promise.all((await tables.runs()).map(runSummary)) };
    },

    async run({ runId }) {
      const run = await tables.run(runId);
      return {
        ...(await runSummary(run)),
        modelSha256: run.modelSha256,
        modelLayout: run.modelLayout,
        config: run.config,
      };
    },

    async inputs({ runId, offset, limit, index }) {
      if (index !== undefined && (offset !== undefined || limit !== undefined)) {
        throw new InputError('index cannot be combined with offset or limit', {
          hint: 'ask for a page (offset, limit) or a list of inputs (index), not both',
        });
      }
      const inputs = await tables.inputs(runId);
      if (index !== undefined) return inputRows(inputs, runId, rowsOfIndices(inputs, runId, index), null);
      const start = offset ?? 0;
      const count = Math.max(0, Math.min(limit ?? DEFAULTS.inputPage, inputs.inputIndex.length - start));
      return inputRows(
        inputs,
        runId,
        Int32Array.from({ length: count }, (_, i) => start + i),
        start,
      );
    },

    async inputPatterns({ runId, index }) {
      const inputs = await tables.inputs(runId);
      rowsOfIndices(inputs, runId, index);
      const [layers, clusterings] = await Promise.all([tables.layers(runId), tables.clusterings(runId)]);
      const orderOf = new Map(layers.map((layer) => [layer.layer, layer.order]));
      const steps = clusterings
        .filter((c) => c.unit === null)
        .map((c) => ({ clusteringId: c.clusteringId, layer: c.layer, layerOrder: orderOf.get(c.layer) ?? 0 }))
        .sort((a, b) => a.layerOrder - b.layerOrder || a.clusteringId - b.clusteringId);
      const rows: InputPatternsResponse['rows'] = { clusteringId: [], inputIndex: [], patternId: [], probability: [] };
      for (const step of steps) {
        const memberships = await tables.memberships(step.clusteringId);
        // A lookup per asked input: building an index of the whole table cost seconds per request at 1M inputs.
        for (const input of index) {
          const row = rowOfAscending(memberships.inputIndex, input);
          if (row < 0) continue;
          rows.clusteringId.push(step.clusteringId);
          rows.inputIndex.push(input);
          rows.patternId.push(memberships.patternId[row]!);
          rows.probability.push(memberships.probability[row]!);
        }
      }
      return { runId, inputIndex: [...index], clusterings: steps, rows };
    },

    async layerStats({ runId, layer }) {
      return unitStats(await tables.layerStats(runId, (await tables.layer(runId, layer)).layer));
    },

    async maxActivations({ runId, layer, unit }) {
      const info = await tables.layer(runId, layer);
      if (unit !== undefined && (unit < -1 || unit >= info.dim)) {
        throw new NotFoundError(`unit ${unit} is not in layer ${JSON.stringify(info.layer)}`, {
          hint: `pass unit 0..${info.dim - 1}, or -1 for the whole layer`,
        });
      }
      const top = await tables.maxActivations(runId, info.layer);
      const rows = [...top.unit.keys()].filter((row) => unit === undefined || top.unit[row] === unit);
      const pick = (values: ArrayLike<number>) => rows.map((row) => values[row]!);
      return {
        runId,
        layer: info.layer,
        unit: pick(top.unit),
        rank: pick(top.rank),
        inputIndex: pick(top.inputIndex),
        value: pick(top.value),
      };
    },

    async projection({ runId, layer }) {
      const [stored, records] = await Promise.all([tables.projection(runId, layer), tables.projections(runId)]);
      const record = records.find((p) => p.layer === layer);
      if (stored === null || record === undefined) {
        throw new NotFoundError(`layer ${JSON.stringify(layer)} of run ${runId} has no stored projection`, {
          hint: `stop nap serve, run \`nap project <store> --run ${runId} --layer ${JSON.stringify(layer)}\`, then start nap serve again (nap analyze makes maps unless --projection none)`,
        });
      }
      return { runId, layer, method: record.method, params: record.params, ...stored };
    },

    async clustering({ clusteringId }) {
      return clusteringSummary(await tables.clustering(clusteringId));
    },

    async patterns({ clusteringId, examples = DEFAULTS.examples }) {
      const clustering = await tables.clustering(clusteringId);
      const summary = await summaries.get(String(clusteringId), async () => {
        const [memberships, patterns, inputs] = await Promise.all([
          tables.memberships(clusteringId),
          tables.patterns(clusteringId),
          tables.inputs(clustering.runId),
        ]);
        return summarizePatterns(memberships, patterns.persistence, inputs, MAX_EXAMPLES);
      });
      const cut = (p: PatternSummary): PatternSummary => ({
        ...p,
        mostStable: p.mostStable.slice(0, examples),
        leastStable: p.leastStable.slice(0, examples),
        topOutliers: p.topOutliers.slice(0, examples),
      });
      return {
        clustering: clusteringSummary(clustering),
        outlierQuantile: OUTLIER_QUANTILE,
        outlierThreshold: summary.outlierThreshold,
        patterns: summary.patterns.map(cut),
        noise: cut(summary.noise),
      };
    },

    async memberships({ clusteringId }) {
      return { clusteringId, ...(await tables.memberships(clusteringId)) };
    },

    async labelCounts({ clusteringId, by = 'label' }) {
      const clustering = await tables.clustering(clusteringId);
      return counts.get(`${clusteringId}:${by}`, async () => {
        const [memberships, inputs] = await Promise.all([
          tables.memberships(clusteringId),
          tables.inputs(clustering.runId),
        ]);
        return { clusteringId, by, ...labelCounts(memberships, inputs, by) };
      });
    },

    async patternWords({ clusteringId }) {
      const clustering = await tables.clustering(clusteringId);
      return words.get(clusteringId, async () => {
        const run = await tables.run(clustering.runId);
        if (inputPicturesOf(run) !== 'text') return { clusteringId, patterns: [] };
        const [memberships, inputs] = await Promise.all([
          tables.memberships(clusteringId),
          tables.inputs(clustering.runId),
        ]);
        return { clusteringId, patterns: patternWords(memberships, inputs, clustering.patternCount) };
      });
    },

    async tree({ clusteringId }) {
      const [clustering, tree] = await Promise.all([
        tables.clustering(clusteringId),
        tables.condensedTree(clusteringId),
      ]);
      return {
        clusteringId,
        pointCount: (await tables.memberships(clustering.clusteringId)).inputIndex.length,
        parent: list(tree.parent),
        child: list(tree.child),
        lambda: list(tree.lambda, finiteOrNull),
        childSize: list(tree.childSize),
      };
    },

    async linkage({ clusteringId }) {
      const tree = await tables.linkage(clusteringId);
      if (tree === null) {
        const { layer } = await tables.clustering(clusteringId);
        throw new NotFoundError(
          `clustering ${clusteringId} has no stored single-linkage tree (it was made by an older nap)`,
          {
            hint: `run nap recluster <results> --layer ${layer} --rebuild-tree with its parameters, or nap analyze again, to store the tree`,
          },
        );
      }
      return { clusteringId, ...tree };
    },

    async coverage({ clusteringId }) {
      const [memberships, near] = await Promise.all([tables.memberships(clusteringId), nearMembers(clusteringId)]);
      const inputs = memberships.inputIndex.length;
      const noise = memberships.patternId.reduce((count, pattern) => count + (pattern === -1 ? 1 : 0), 0);
      return {
        clusteringId,
        inputs,
        inPattern: inputs - noise,
        soft: near !== null,
        nearStrength: near === null ? [] : list(near.strength),
        nearInputIndex: near === null ? [] : list(near.inputIndex),
        nearPatternId: near === null ? [] : list(near.patternId),
      };
    },

    async nearMembers({ clusteringId, patternId, minStrength = 0, offset = 0, limit = DEFAULTS.memberPage }) {
      await tables.requirePattern(clusteringId, patternId, false);
      const near = await nearMembers(clusteringId);
      const rows: number[] = [];
      if (near !== null) {
        const count = countAtLeast(near.strength, minStrength);
        for (let k = 0; k < count; k++) if (near.patternId[k] === patternId) rows.push(k);
      }
      const page = rows.slice(offset, offset + limit);
      return {
        clusteringId,
        patternId,
        minStrength,
        total: rows.length,
        inputIndex: page.map((k) => near!.inputIndex[k]!),
        strength: page.map((k) => near!.strength[k]!),
      };
    },

    async members({
      clusteringId,
      patternId,
      offset = 0,
      limit = DEFAULTS.memberPage,
      order = 'most-stable',
      ...rest
    }) {
      const filter: MemberFilter = {
        ...(rest.label !== undefined ? { label: rest.label } : {}),
        ...(rest.prediction !== undefined ? { prediction: rest.prediction } : {}),
        ...(rest.misclassified !== undefined ? { misclassified: rest.misclassified } : {}),
      };
      const clustering = await tables.requirePattern(clusteringId, patternId, true);
      const [memberships, inputs] = await Promise.all([
        tables.memberships(clusteringId),
        tables.inputs(clustering.runId),
      ]);
      const key = JSON.stringify([clusteringId, patternId, order, filter]);
      let ordered = memberOrders.get(key);
      if (ordered === undefined) {
        ordered = orderedMembers(memberships, inputs, patternId, filter, order, groupsOf(memberships));
        memberOrders.set(key, ordered);
      }
      const selection = { rows: ordered.subarray(offset, offset + limit), total: ordered.length };
      const rows = inputRows(
        inputs,
        clustering.runId,
        Array.from(selection.rows, (row) => inputs.rows.rowOf(memberships.inputIndex[row]!)),
        null,
      );
      return {
        clusteringId,
        patternId,
        order,
        offset,
        limit,
        total: selection.total,
        ...inputColumnsJson(rows),
        inputIndex: Array.from(selection.rows, (row) => memberships.inputIndex[row]!),
        membershipProbability: Array.from(selection.rows, (row) => memberships.probability[row]!),
        outlierScore: Array.from(selection.rows, (row) => memberships.outlierScore[row]!),
      };
    },

    async patternStats({ clusteringId, patternId }) {
      await tables.requirePattern(clusteringId, patternId, true);
      const stats = await tables.patternStats(clusteringId);
      return unitStats(
        stats,
        [...stats.patternId.keys()].filter((row) => stats.patternId[row] === patternId),
      );
    },

    async heatmaps({ clusteringId, patternId }) {
      if (patternId === -1) {
        await tables.clustering(clusteringId);
        throw new NotFoundError(`noise (pattern -1) of clustering ${clusteringId} has no heatmap`, {
          hint: 'noise has no centroid to compare with; heatmaps exist for patterns 0 and up',
        });
      }
      const clustering = await tables.requirePattern(clusteringId, patternId, false);
      const [index, size] = await Promise.all([tables.heatmapIndex(clusteringId), inputSize(clustering.runId)]);
      const rows = [...index.patternId.keys()].filter((row) => index.patternId[row] === patternId);
      const members = rows.map((row) => index.inputIndex[row]!).filter((input) => input !== MEAN_HEATMAP);
      const first = rows[0];
      return {
        clusteringId,
        patternId,
        layer: clustering.layer,
        hasMean: rows.some((row) => index.inputIndex[row] === MEAN_HEATMAP),
        height: first === undefined ? 0 : index.height[first]!,
        width: first === undefined ? 0 : index.width[first]!,
        imageHeight: size.height,
        imageWidth: size.width,
        inputIndex: members.sort((a, b) => a - b),
      };
    },

    async featureImages({ runId, layer }) {
      const info = await tables.layer(runId, layer);
      const table = await tables.featureImages(runId, info.layer);
      const orNull = (value: number) => (value < 0 ? null : value);
      return {
        runId,
        layer: info.layer,
        images: Array.from(table.target, (target, row) => ({
          row,
          objective: table.objective[row] as FeatureObjectiveName,
          target,
          position: orNull(table.position[row]!),
          clusteringId: orNull(table.clusteringId[row]!),
          imageIndex: table.imageIndex[row]!,
          contrastPattern: orNull(table.contrastPattern[row]!),
          value: table.value[row]!,
          datasetMax: Number.isNaN(table.datasetMax[row]) ? null : table.datasetMax[row]!,
          width: table.width[row]!,
          height: table.height[row]!,
          channels: table.channels[row]!,
        })),
      };
    },

    async flowGraph({ runId }) {
      await tables.run(runId);
      return graphs.get(runId, async () => {
        const [layers, graph] = await Promise.all([tables.layerClusterings(runId), flows.graph(runId)]);
        return {
          runId,
          layers: layers.map(flowLayer),
          nodes: {
            layerIndex: graph.nodes.map((n) => n.layerIndex),
            patternId: graph.nodes.map((n) => n.patternId),
            size: graph.nodes.map((n) => n.size),
          },
          links: {
            source: graph.links.map((l) => l.source),
            target: graph.links.map((l) => l.target),
            count: graph.links.map((l) => l.count),
          },
        };
      });
    },

    async layerFlow({ runId, from, to }) {
      await tables.run(runId);
      const flow = await flows.layerFlow(runId, { from, to });
      const { table } = flow;
      return {
        runId,
        from: flowLayer(flow.from),
        to: flowLayer(flow.to),
        stored: flow.stored,
        counts: list(table.counts),
        rowSums: list(table.rowSums),
        colSums: list(table.colSums),
        total: table.total,
        jaccard: list(flow.jaccard),
      };
    },

    async lineage({ runId, layer, patternId, minShare, limit = DEFAULTS.lineageLimit }) {
      const info = await tables.layer(runId, layer);
      return lineages.get(JSON.stringify([runId, info.layer, patternId, minShare ?? null, limit]), async () => {
        const lineage = await flows.lineage(runId, info.layer, patternId, { minShare, limit });
        return {
          runId,
          layer: lineage.layer,
          clusteringId: lineage.clusteringId,
          patternId: lineage.patternId,
          size: lineage.size,
          steps: lineage.steps.map((step) => ({
            layer: step.layer,
            clusteringId: step.clusteringId,
            members: step.members,
            shares: step.shares.map((share) => ({ ...share })),
            otherShare: step.otherShare,
          })),
        };
      });
    },

    async labelErrors({ runId, limit }) {
      const saved = requireSaved(await tables.triage(runId), runId);
      return labelErrors(runId, saved, await tables.inputs(runId), limit ?? Number.MAX_SAFE_INTEGER);
    },

    async agreement({ runId, index }) {
      const saved = requireSaved(await tables.triage(runId), runId);
      return agreement(runId, saved, await tables.inputs(runId), index);
    },

    async outliers({ runId, limit }) {
      const saved = requireSaved(await tables.triage(runId), runId);
      return outliers(runId, saved, await tables.inputs(runId), limit ?? Number.MAX_SAFE_INTEGER);
    },

    async duplicates({ runId }) {
      const saved = requireSaved(await tables.triage(runId), runId);
      return duplicates(runId, saved, await tables.inputs(runId));
    },

    async modelErrors({ runId }) {
      return modelErrors(runId, await tables.inputs(runId));
    },

    async compareRuns({ runA, runB, minJaccard = 0 }) {
      await Promise.all([tables.run(runA), tables.run(runB)]);
      return comparisons.get(`${runA}:${runB}:${minJaccard}`, async () => {
        const comparison = await compareRuns({ tables, runId: runA }, { tables, runId: runB }, { minJaccard });
        return {
          runA,
          runB,
          sharedInputs: comparison.sharedInputs,
          unmatchedA: comparison.unmatchedA,
          unmatchedB: comparison.unmatchedB,
          layers: comparison.layers.map(layerComparisonSummary),
        };
      });
    },

    async search({ runId, q, limit = DEFAULTS.searchHits }) {
      const [inputs, layers, records] = await Promise.all([
        tables.inputs(runId),
        tables.layerClusterings(runId),
        tables.layers(runId),
      ]);
      const dimOf = new Map(records.map((record) => [record.layer, record.dim]));
      const searchLayers: SearchLayer[] = await Promise.all(
        layers.map(async (layer) => ({
          layer: layer.layer,
          clusteringId: layer.clusteringId,
          dim: dimOf.get(layer.layer) ?? 0,
          patterns: (await api.patterns({ clusteringId: layer.clusteringId, examples: 0 })).patterns,
        })),
      );
      return { runId, q, ...searchRun(parseSearch(q), searchLayers, inputs, limit) };
    },
  };
  async function prefetch(): Promise<void> {
    const run = (await tables.runs()).filter((r) => r.status === 'complete').at(-1);
    if (run === undefined) return;
    const runId = run.runId;
    await tables.inputs(runId);
    const layers = await tables.layerClusterings(runId);
    const projections = new Set((await tables.projections(runId)).map((p) => p.layer));
    for (const layer of layers) {
      const clusteringId = layer.clusteringId;
      await api.patterns({ clusteringId });
      await api.labelCounts({ clusteringId, by: 'label' });
      await api.labelCounts({ clusteringId, by: 'prediction' });
      await tables.layerStats(runId, layer.layer);
      await tables.patternStats(clusteringId);
      await tables.heatmapIndex(clusteringId);
      groupsOf(await tables.memberships(clusteringId));
      if (projections.has(layer.layer)) await tables.projection(runId, layer.layer);
    }
    for (const from of layers) for (const to of layers) if (from !== to) await flows.between(runId, from, to);
    await api.flowGraph({ runId });
  }

  return { ...api, tables, flows, inputSize, prefetch };
}
