/** The JSON and image routes under /api; their contract is documented in api-types.ts. */
import path from 'node:path';
import { resumeCommand } from '../engine/run-config.js';
import { InputError, NotFoundError } from '../errors.js';
import {
  SCHEMA_VERSION,
  type ClusteringRecord,
  type LayerInfo,
  type ProjectionRecord,
  type RunRecord,
  type StoredUnitStats,
} from '../io/store/index.js';
import {
  IMAGE_SIZE,
  MEMBER_ORDERS,
  type ClusteringSummary,
  type CondensedTreeResponse,
  type InfoResponse,
  type InputColumns,
  type InputPatternsResponse,
  type InputsResponse,
  type LabelCountsResponse,
  type LayerSummary,
  type MaxActivationsResponse,
  type MembersResponse,
  type MembershipsResponse,
  type PatternsResponse,
  type RunDetail,
  type RunsResponse,
  type RunSummary,
  type UnitStatsResponse,
} from './api-types.js';
import type { ImageService } from './images.js';
import type { InputTable } from './input-table.js';
import { PromiseCache } from './lru.js';
import { selectMembers, type MemberFilter } from './member-selection.js';
import { parseBoolean, parseChoice, parseId, parseIndexList, parseInteger, parseIntegerIn } from './params.js';
import { OUTLIER_QUANTILE, summarizePatterns, type PatternSummaries } from './pattern-summaries.js';
import type { Route, RouteContext, RouteResult } from './router.js';
import type { StoreViews } from './store-views.js';

export const INPUT_PAGE = { default: 1000, max: 100_000 } as const;
export const MEMBER_PAGE = { default: 100, max: 10_000 } as const;
export const MAX_INDEX_LIST = 10_000;
export const MAX_PATH_INPUTS = 1000;
export const EXAMPLES = { default: 5, max: 100 } as const;

export interface ApiContext {
  views: StoreViews;
  images: ImageService;
  storeVersion: string;
}

const list = (values: ArrayLike<number>): number[] => Array.from(values);
const json = (body: unknown): RouteResult => ({ kind: 'json', body });

function clusteringSummary(record: ClusteringRecord): ClusteringSummary {
  return { ...record, createdAt: record.createdAt.toISOString() };
}

function layerSummary(
  layer: LayerInfo,
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

async function runSummary(context: ApiContext, run: RunRecord): Promise<RunSummary> {
  const { views } = context;
  const [layers, clusterings, facts, projections] = await Promise.all([
    views.layers(run.runId),
    views.clusterings(run.runId),
    views.runFacts(run.runId),
    views.projections(run.runId),
  ]);
  return {
    runId: run.runId,
    name: run.name,
    createdAt: run.createdAt.toISOString(),
    status: run.status,
    resumeCommand:
      run.status === 'interrupted' || run.status === 'failed' ? resumeCommand(run, views.store.path) : null,
    modelPath: run.modelPath,
    datasetSpec: run.datasetSpec,
    inputCount: facts.inputCount,
    labels: facts.labels,
    predictionLabels: run.predictionLabels,
    layers: layers.map((layer) => layerSummary(layer, clusterings, projections)),
  };
}

/** Input columns of the table rows `rows` (-1: an input the table lacks). */
function inputColumns(inputs: InputTable, rows: ArrayLike<number>): InputColumns {
  const count = rows.length;
  const columns: InputColumns = {
    inputIndex: [],
    path: [],
    label: [],
    prediction: [],
    predictionLabel: [],
    probability: [],
    misclassified: [],
  };
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    if (row < 0) {
      // A membership whose input row is missing: keep the columns aligned.
      columns.inputIndex.push(-1);
      columns.path.push(null);
      columns.label.push(null);
      columns.prediction.push(-1);
      columns.predictionLabel.push(null);
      columns.probability.push(null);
      columns.misclassified.push(false);
      continue;
    }
    columns.inputIndex.push(inputs.index[row]!);
    columns.path.push(inputs.path[row] ?? null);
    columns.label.push(inputs.label[row] ?? null);
    columns.prediction.push(inputs.prediction[row]!);
    columns.predictionLabel.push(inputs.predictionLabel[row] ?? null);
    columns.probability.push(inputs.probability[row]!);
    columns.misclassified.push(inputs.misclassified[row] === 1);
  }
  return columns;
}

function unitStats(stats: StoredUnitStats): UnitStatsResponse {
  const { unit, min, max, mean, q1, q3, iqr, lower, upper } = stats;
  return {
    unit: list(unit),
    min: list(min),
    max: list(max),
    mean: list(mean),
    q1: list(q1),
    q3: list(q3),
    iqr: list(iqr),
    lower: list(lower),
    upper: list(upper),
  };
}

/** Rows of the given input indices; the first index the run lacks is a 404. */
function rowsOfIndices(inputs: InputTable, runId: number, indices: Int32Array): Int32Array {
  return indices.map((index) => {
    const row = inputs.rowOf(index);
    if (row < 0) {
      throw new NotFoundError(`input ${index} is not in run ${runId}`, {
        hint: `run ${runId} has ${inputs.index.length} inputs`,
      });
    }
    return row;
  });
}

function imageSize(query: ReadonlyMap<string, string>): number | undefined {
  const text = query.get('size');
  return text === undefined ? undefined : parseIntegerIn('size', text, IMAGE_SIZE.min, IMAGE_SIZE.max);
}

const runIdOf = ({ params }: RouteContext) => parseId('run id', params.runId!);
const clusteringIdOf = ({ params }: RouteContext) => parseId('clustering id', params.clusteringId!);
const patternIdOf = ({ params }: RouteContext) => parseInteger('pattern id', params.patternId!);

export function apiRoutes(context: ApiContext): Route[] {
  const { views, images } = context;
  const summaries = new PromiseCache<string, PatternSummaries>(32);

  return [
    {
      path: '/api/info',
      query: [],
      handle: async () => {
        const body: InfoResponse = {
          store: path.basename(views.store.path),
          storeVersion: context.storeVersion,
          schemaVersion: SCHEMA_VERSION,
          runCount: (await views.runs()).length,
          imageSize: { ...IMAGE_SIZE },
        };
        return json(body);
      },
    },
    {
      path: '/api/runs',
      query: [],
      handle: async () => {
        const runs = await views.runs();
        const body: RunsResponse = { runs: await Promise.all(runs.map((run) => runSummary(context, run))) };
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId',
      query: [],
      handle: async (request) => {
        const run = await views.run(runIdOf(request));
        const body: RunDetail = {
          ...(await runSummary(context, run)),
          modelSha256: run.modelSha256,
          modelLayout: run.modelLayout,
          config: run.config,
        };
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId/inputs',
      query: ['offset', 'limit', 'index'],
      handle: async (request) => {
        const runId = runIdOf(request);
        const { query } = request;
        const indexText = query.get('index');
        if (indexText !== undefined && (query.has('offset') || query.has('limit'))) {
          throw new InputError('index cannot be combined with offset or limit', {
            hint: 'ask for a page (offset, limit) or a list of inputs (index), not both',
          });
        }
        const indices = indexText === undefined ? undefined : parseIndexList('index', indexText, MAX_INDEX_LIST);
        const offset = parseIntegerIn('offset', query.get('offset') ?? '0', 0, 0x7fffffff);
        const limit = parseIntegerIn('limit', query.get('limit') ?? String(INPUT_PAGE.default), 1, INPUT_PAGE.max);
        const inputs = await views.inputs(runId);
        const total = inputs.index.length;
        const rows =
          indices !== undefined
            ? rowsOfIndices(inputs, runId, indices)
            : Int32Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i);
        const body: InputsResponse = {
          runId,
          total,
          offset: indices === undefined ? offset : null,
          ...inputColumns(inputs, rows),
        };
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId/inputs/:inputIndex/thumbnail.png',
      query: ['size'],
      handle: async (request) => {
        const runId = runIdOf(request);
        const inputIndex = parseId('input index', request.params.inputIndex!);
        const size = imageSize(request.query) ?? IMAGE_SIZE.default;
        return { kind: 'png', body: await images.thumbnail(runId, inputIndex, size) };
      },
    },
    {
      path: '/api/runs/:runId/input-patterns',
      query: ['index'],
      handle: async (request) => {
        const runId = runIdOf(request);
        const indexText = request.query.get('index');
        if (indexText === undefined) {
          throw new InputError('input-patterns needs the parameter index (the inputs to follow)', {
            hint: 'pass index=<comma-separated input indices>, e.g. index=0,5',
          });
        }
        const indices = parseIndexList('index', indexText, MAX_PATH_INPUTS);
        rowsOfIndices(await views.inputs(runId), runId, indices);
        const [layers, clusterings] = await Promise.all([views.layers(runId), views.clusterings(runId)]);
        const orderOf = new Map(layers.map((layer) => [layer.layer, layer.order]));
        const steps = clusterings
          .filter((c) => c.unit === null)
          .map((c) => ({ clusteringId: c.clusteringId, layer: c.layer, layerOrder: orderOf.get(c.layer) ?? 0 }))
          .sort((a, b) => a.layerOrder - b.layerOrder || a.clusteringId - b.clusteringId);
        const found = await views.store.readMembershipsOfInputs(runId, indices);
        const byKey = new Map<string, number>();
        found.clusteringId.forEach((clusteringId, row) => byKey.set(`${clusteringId}:${found.inputIndex[row]}`, row));
        const rows: InputPatternsResponse['rows'] = {
          clusteringId: [],
          inputIndex: [],
          patternId: [],
          probability: [],
        };
        for (const step of steps) {
          for (const index of indices) {
            const row = byKey.get(`${step.clusteringId}:${index}`);
            if (row === undefined) continue;
            rows.clusteringId.push(step.clusteringId);
            rows.inputIndex.push(index);
            rows.patternId.push(found.patternId[row]!);
            rows.probability.push(found.probability[row]!);
          }
        }
        const body: InputPatternsResponse = { runId, inputIndex: list(indices), clusterings: steps, rows };
        return json(body);
      },
    },
    {
      path: '/api/runs/:runId/layers/:layer/stats',
      query: [],
      handle: async (request) => {
        const runId = runIdOf(request);
        const layer = await views.layer(runId, request.params.layer!);
        return json(unitStats(await views.unitStats({ runId, layer: layer.layer })));
      },
    },
    {
      path: '/api/runs/:runId/layers/:layer/max-activations',
      query: ['unit'],
      handle: async (request) => {
        const runId = runIdOf(request);
        const unitText = request.query.get('unit');
        const unit = unitText === undefined ? undefined : parseInteger('unit', unitText);
        const layer = await views.layer(runId, request.params.layer!);
        if (unit !== undefined && (unit < -1 || unit >= layer.dim)) {
          throw new NotFoundError(`unit ${unit} is not in layer ${JSON.stringify(layer.layer)}`, {
            hint: `pass unit 0..${layer.dim - 1}, or -1 for the whole layer`,
          });
        }
        const top = await views.store.readMaxActivations(runId, layer.layer, unit);
        const body: MaxActivationsResponse = {
          runId,
          layer: layer.layer,
          unit: list(top.unit),
          rank: list(top.rank),
          inputIndex: list(top.inputIndex),
          value: list(top.value),
        };
        return json(body);
      },
    },
    {
      path: '/api/clusterings/:clusteringId',
      query: [],
      handle: async (request) => json(clusteringSummary(await views.clustering(clusteringIdOf(request)))),
    },
    {
      path: '/api/clusterings/:clusteringId/patterns',
      query: ['examples'],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const examples = parseIntegerIn(
          'examples',
          request.query.get('examples') ?? String(EXAMPLES.default),
          0,
          EXAMPLES.max,
        );
        const clustering = await views.clustering(clusteringId);
        const summary = await summaries.get(`${clusteringId}:${examples}`, async () => {
          const [memberships, patterns, inputs] = await Promise.all([
            views.memberships(clusteringId),
            views.patterns(clusteringId),
            views.inputs(clustering.runId),
          ]);
          return summarizePatterns(memberships, patterns.persistence, inputs, examples);
        });
        const body: PatternsResponse = {
          clustering: clusteringSummary(clustering),
          outlierQuantile: OUTLIER_QUANTILE,
          ...summary,
        };
        return json(body);
      },
    },
    {
      path: '/api/clusterings/:clusteringId/memberships',
      query: [],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const m = await views.memberships(clusteringId);
        const body: MembershipsResponse = {
          clusteringId,
          inputIndex: list(m.inputIndex),
          patternId: list(m.patternId),
          probability: list(m.probability),
          outlierScore: list(m.outlierScore),
        };
        return json(body);
      },
    },
    {
      path: '/api/clusterings/:clusteringId/label-counts',
      query: ['by'],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const by = parseChoice('by', request.query.get('by') ?? 'label', ['label', 'prediction'] as const);
        await views.clustering(clusteringId);
        const counts = await views.store.readPatternLabelCounts(clusteringId, by);
        const body: LabelCountsResponse = {
          clusteringId,
          by,
          patternId: list(counts.patternId),
          label: [...counts.label],
          count: list(counts.count),
        };
        return json(body);
      },
    },
    {
      path: '/api/clusterings/:clusteringId/tree',
      query: [],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const memberships = await views.memberships(clusteringId);
        const tree = await views.store.readCondensedTree(clusteringId);
        const body: CondensedTreeResponse = {
          clusteringId,
          pointCount: memberships.inputIndex.length,
          parent: list(tree.parent),
          child: list(tree.child),
          lambda: list(tree.lambda),
          childSize: list(tree.childSize),
        };
        return json(body);
      },
    },
    {
      path: '/api/clusterings/:clusteringId/patterns/:patternId/members',
      query: ['offset', 'limit', 'order', 'label', 'prediction', 'misclassified'],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const patternId = patternIdOf(request);
        const { query } = request;
        const offset = parseIntegerIn('offset', query.get('offset') ?? '0', 0, 0x7fffffff);
        const limit = parseIntegerIn('limit', query.get('limit') ?? String(MEMBER_PAGE.default), 0, MEMBER_PAGE.max);
        const order = parseChoice('order', query.get('order') ?? 'most-stable', MEMBER_ORDERS);
        const filter: MemberFilter = {};
        if (query.has('label')) filter.label = query.get('label')!;
        if (query.has('prediction')) filter.prediction = query.get('prediction')!;
        if (query.has('misclassified'))
          filter.misclassified = parseBoolean('misclassified', query.get('misclassified')!);
        const clustering = await views.requirePattern(clusteringId, patternId, true);
        const [memberships, inputs] = await Promise.all([
          views.memberships(clusteringId),
          views.inputs(clustering.runId),
        ]);
        const selection = selectMembers(memberships, inputs, patternId, filter, order, { offset, limit });
        const inputRows = Array.from(selection.rows, (row) => inputs.rowOf(memberships.inputIndex[row]!));
        const columns = inputColumns(inputs, inputRows);
        const body: MembersResponse = {
          clusteringId,
          patternId,
          order,
          offset,
          limit,
          total: selection.total,
          ...columns,
          inputIndex: Array.from(selection.rows, (row) => memberships.inputIndex[row]!),
          membershipProbability: Array.from(selection.rows, (row) => memberships.probability[row]!),
          outlierScore: Array.from(selection.rows, (row) => memberships.outlierScore[row]!),
        };
        return json(body);
      },
    },
    {
      path: '/api/clusterings/:clusteringId/patterns/:patternId/stats',
      query: [],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const patternId = patternIdOf(request);
        await views.requirePattern(clusteringId, patternId, true);
        return json(unitStats(await views.unitStats({ clusteringId }, patternId)));
      },
    },
    {
      path: '/api/clusterings/:clusteringId/patterns/:patternId/average.png',
      query: ['size'],
      handle: async (request) => {
        const clusteringId = clusteringIdOf(request);
        const patternId = patternIdOf(request);
        return { kind: 'png', body: await images.averageImage(clusteringId, patternId, imageSize(request.query)) };
      },
    },
  ];
}
