/**
 * The route table: every query of the results API (and the image routes) with its HTTP path, the query
 * parameters it accepts, how text parameters become its typed parameters (strictly: a malformed or
 * out-of-range value is an InputError, HTTP 400) and how typed parameters become a URL. The server
 * answers from it, the app's HTTP client asks through it, and `apiPaths` builds URLs from it.
 */
import type {
  ClusteringParams,
  CompareRunsParams,
  InputPatternsParams,
  InputsParams,
  LabelCountsParams,
  LayerFlowParams,
  LayerParams,
  LineageParams,
  MaxActivationsParams,
  MembersParams,
  MembersQuery,
  NearMembersParams,
  PatternParams,
  PatternsParams,
  RunParams,
  AgreementParams,
  SearchParams,
} from './api-types.js';
import { IMAGE_SIZE, MEMBER_ORDERS } from './api-types.js';
import type { QueryName, QueryParams } from './api.js';
import { InputError } from '../errors.js';
import { SHEET_CELLS } from './sprites.js';
import {
  parseBoolean,
  parseChoice,
  parseId,
  parseIndexList,
  parseInteger,
  parseIntegerIn,
  parseNumberIn,
  VERSION_PARAM,
} from './params.js';

/** Request-size limits of the routes (what one request may ask for). */
export const LIMITS = {
  inputPage: { default: 1000, max: 100_000 },
  memberPage: { default: 100, max: 10_000 },
  indexList: 10_000,
  pathInputs: 1000,
  examples: { default: 5, max: 100 },
  lineage: { default: 5, max: 1000 },
  triage: 1_000_000,
  search: { default: 20, max: 1000 },
} as const;

const INT32_MAX = 0x7fffffff;

/** What a route answers: JSON, a table (JSON, or Arrow when asked for) or a PNG. */
export type RouteResult = 'json' | 'table' | 'png';

type Value = string | number | boolean | undefined;
type Query = ReadonlyMap<string, string>;

export interface RouteSpec<P> {
  /** e.g. '/api/runs/:runId/layers/:layer/stats'; `:name` segments are path parameters. */
  path: string;
  /** Query parameter names the route accepts (besides `v`). */
  query: readonly string[];
  result: RouteResult;
  /** Typed parameters from the decoded path parameters and the query. */
  parse(path: Readonly<Record<string, string>>, query: Query): P;
  /** The path parameters and query values of typed parameters. */
  format(params: P): { path: Record<string, string | number>; query?: Record<string, Value> };
}

const id = (what: string, text: string | undefined) => parseId(what, text ?? '');
const optional = <T>(query: Query, name: string, parse: (text: string) => T): T | undefined => {
  const text = query.get(name);
  return text === undefined ? undefined : parse(text);
};

const runId = (path: Readonly<Record<string, string>>): RunParams => ({ runId: id('run id', path.runId) });
const layerOf = (path: Readonly<Record<string, string>>): LayerParams => ({ ...runId(path), layer: path.layer ?? '' });
const clusteringOf = (path: Readonly<Record<string, string>>): ClusteringParams => ({
  clusteringId: id('clustering id', path.clusteringId),
});
const patternOf = (path: Readonly<Record<string, string>>): PatternParams => ({
  ...clusteringOf(path),
  patternId: parseInteger('pattern id', path.patternId ?? ''),
});

function route<P>(spec: RouteSpec<P>): RouteSpec<P> {
  return spec;
}

const plain = <P extends object>(path: string, result: RouteResult, parse: RouteSpec<P>['parse']): RouteSpec<P> =>
  route({ path, query: [], result, parse, format: (params) => ({ path: params as Record<string, string | number> }) });

/** A run's triage list (label errors, outliers): its first `limit` rows, at most LIMITS.triage. */
const triageList = (path: string): RouteSpec<RunParams & { limit?: number }> =>
  route({
    path,
    query: ['limit'],
    result: 'json',
    parse: (pathParams, query) => ({
      ...runId(pathParams),
      limit: optional(query, 'limit', (t) => parseIntegerIn('limit', t, 1, LIMITS.triage)),
    }),
    format: ({ runId, limit }) => ({ path: { runId }, query: { limit } }),
  });

/** The data routes, one per API query. */
export const ROUTES: { readonly [Q in QueryName]: RouteSpec<QueryParams<Q>> } = {
  info: plain('/api/info', 'json', () => ({})),
  runs: plain('/api/runs', 'json', () => ({})),
  run: plain('/api/runs/:runId', 'json', runId),
  inputs: route<InputsParams>({
    path: '/api/runs/:runId/inputs',
    query: ['offset', 'limit', 'index'],
    result: 'table',
    parse: (path, query) => {
      if (query.has('index') && (query.has('offset') || query.has('limit'))) {
        throw new InputError('index cannot be combined with offset or limit', {
          hint: 'ask for a page (offset, limit) or a list of inputs (index), not both',
        });
      }
      const index = optional(query, 'index', (t) => Array.from(parseIndexList('index', t, LIMITS.indexList)));
      return {
        ...runId(path),
        ...(index !== undefined
          ? { index }
          : {
              offset: parseIntegerIn('offset', query.get('offset') ?? '0', 0, INT32_MAX),
              limit: parseIntegerIn(
                'limit',
                query.get('limit') ?? String(LIMITS.inputPage.default),
                1,
                LIMITS.inputPage.max,
              ),
            }),
      };
    },
    format: ({ runId, offset, limit, index }) => ({
      path: { runId },
      query: { offset, limit, index: index?.join(',') },
    }),
  }),
  inputPatterns: route<InputPatternsParams>({
    path: '/api/runs/:runId/input-patterns',
    query: ['index'],
    result: 'json',
    parse: (path, query) => {
      const text = query.get('index');
      if (text === undefined) {
        throw new InputError('input-patterns needs the parameter index (the inputs to follow)', {
          hint: 'pass index=<comma-separated input indices>, e.g. index=0,5',
        });
      }
      return { ...runId(path), index: Array.from(parseIndexList('index', text, LIMITS.pathInputs)) };
    },
    format: ({ runId, index }) => ({ path: { runId }, query: { index: index.join(',') } }),
  }),
  layerStats: plain('/api/runs/:runId/layers/:layer/stats', 'json', layerOf),
  maxActivations: route<MaxActivationsParams>({
    path: '/api/runs/:runId/layers/:layer/max-activations',
    query: ['unit'],
    result: 'json',
    parse: (path, query) => ({ ...layerOf(path), unit: optional(query, 'unit', (t) => parseInteger('unit', t)) }),
    format: ({ runId, layer, unit }) => ({ path: { runId, layer }, query: { unit } }),
  }),
  projection: plain('/api/runs/:runId/layers/:layer/projection', 'table', layerOf),
  clustering: plain('/api/clusterings/:clusteringId', 'json', clusteringOf),
  patterns: route<PatternsParams>({
    path: '/api/clusterings/:clusteringId/patterns',
    query: ['examples'],
    result: 'json',
    parse: (path, query) => ({
      ...clusteringOf(path),
      examples: parseIntegerIn(
        'examples',
        query.get('examples') ?? String(LIMITS.examples.default),
        0,
        LIMITS.examples.max,
      ),
    }),
    format: ({ clusteringId, examples }) => ({ path: { clusteringId }, query: { examples } }),
  }),
  memberships: plain('/api/clusterings/:clusteringId/memberships', 'table', clusteringOf),
  labelCounts: route<LabelCountsParams>({
    path: '/api/clusterings/:clusteringId/label-counts',
    query: ['by'],
    result: 'json',
    parse: (path, query) => ({
      ...clusteringOf(path),
      by: parseChoice('by', query.get('by') ?? 'label', ['label', 'prediction'] as const),
    }),
    format: ({ clusteringId, by }) => ({ path: { clusteringId }, query: { by: by ?? 'label' } }),
  }),
  patternWords: plain('/api/clusterings/:clusteringId/words', 'json', clusteringOf),
  tree: plain('/api/clusterings/:clusteringId/tree', 'json', clusteringOf),
  linkage: plain('/api/clusterings/:clusteringId/linkage', 'table', clusteringOf),
  coverage: plain('/api/clusterings/:clusteringId/coverage', 'json', clusteringOf),
  nearMembers: route<NearMembersParams>({
    path: '/api/clusterings/:clusteringId/patterns/:patternId/near-members',
    query: ['minStrength', 'offset', 'limit'],
    result: 'json',
    parse: (path, query) => ({
      ...patternOf(path),
      minStrength: parseNumberIn('minStrength', query.get('minStrength') ?? '0', 0, 1),
      offset: parseIntegerIn('offset', query.get('offset') ?? '0', 0, INT32_MAX),
      limit: parseIntegerIn('limit', query.get('limit') ?? String(LIMITS.memberPage.default), 0, LIMITS.memberPage.max),
    }),
    format: ({ clusteringId, patternId, ...q }) => ({ path: { clusteringId, patternId }, query: { ...q } }),
  }),
  members: route<MembersParams>({
    path: '/api/clusterings/:clusteringId/patterns/:patternId/members',
    query: ['offset', 'limit', 'order', 'label', 'prediction', 'misclassified'],
    result: 'json',
    parse: (path, query) => ({
      ...patternOf(path),
      offset: parseIntegerIn('offset', query.get('offset') ?? '0', 0, INT32_MAX),
      limit: parseIntegerIn('limit', query.get('limit') ?? String(LIMITS.memberPage.default), 0, LIMITS.memberPage.max),
      order: parseChoice('order', query.get('order') ?? 'most-stable', MEMBER_ORDERS),
      label: query.get('label'),
      prediction: query.get('prediction'),
      misclassified: optional(query, 'misclassified', (t) => parseBoolean('misclassified', t)),
    }),
    format: ({ clusteringId, patternId, ...q }) => ({ path: { clusteringId, patternId }, query: { ...q } }),
  }),
  patternStats: plain('/api/clusterings/:clusteringId/patterns/:patternId/stats', 'json', patternOf),
  heatmaps: plain('/api/clusterings/:clusteringId/patterns/:patternId/heatmaps', 'json', patternOf),
  featureImages: plain('/api/runs/:runId/layers/:layer/feature-images', 'json', layerOf),
  flowGraph: plain('/api/runs/:runId/flow', 'json', runId),
  layerFlow: route<LayerFlowParams>({
    path: '/api/runs/:runId/layer-flow',
    query: ['from', 'to'],
    result: 'json',
    parse: (path, query) => ({ ...runId(path), from: query.get('from'), to: query.get('to') }),
    format: ({ runId, from, to }) => ({ path: { runId }, query: { from, to } }),
  }),
  lineage: route<LineageParams>({
    path: '/api/runs/:runId/layers/:layer/patterns/:patternId/lineage',
    query: ['minShare', 'limit'],
    result: 'json',
    parse: (path, query) => ({
      ...layerOf(path),
      patternId: parseInteger('pattern id', path.patternId ?? ''),
      minShare: optional(query, 'minShare', (t) => parseNumberIn('minShare', t, 0, 1)),
      limit: parseIntegerIn('limit', query.get('limit') ?? String(LIMITS.lineage.default), 1, LIMITS.lineage.max),
    }),
    format: ({ runId, layer, patternId, minShare, limit }) => ({
      path: { runId, layer, patternId },
      query: { minShare, limit },
    }),
  }),
  labelErrors: triageList('/api/runs/:runId/label-errors'),
  agreement: route<AgreementParams>({
    path: '/api/runs/:runId/agreement',
    query: ['index'],
    result: 'json',
    parse: (path, query) => {
      const text = query.get('index');
      if (text === undefined) {
        throw new InputError('agreement needs the parameter index (the inputs to show)', {
          hint: 'pass index=<comma-separated input indices>, e.g. index=0,5',
        });
      }
      return { ...runId(path), index: Array.from(parseIndexList('index', text, LIMITS.pathInputs)) };
    },
    format: ({ runId, index }) => ({ path: { runId }, query: { index: index.join(',') } }),
  }),
  outliers: triageList('/api/runs/:runId/outliers'),
  duplicates: plain('/api/runs/:runId/duplicates', 'json', runId),
  modelErrors: plain('/api/runs/:runId/model-errors', 'json', runId),
  compareRuns: route<CompareRunsParams>({
    path: '/api/runs/:runA/compare/:runB',
    query: ['minJaccard'],
    result: 'json',
    parse: (path, query) => ({
      runA: id('run id', path.runA),
      runB: id('run id', path.runB),
      minJaccard: parseNumberIn('minJaccard', query.get('minJaccard') ?? '0', 0, 1),
    }),
    format: ({ runA, runB, minJaccard }) => ({ path: { runA, runB }, query: { minJaccard } }),
  }),
  search: route<SearchParams>({
    path: '/api/runs/:runId/search',
    query: ['q', 'limit'],
    result: 'json',
    parse: (path, query) => ({
      ...runId(path),
      q: query.get('q') ?? '',
      limit: parseIntegerIn('limit', query.get('limit') ?? String(LIMITS.search.default), 1, LIMITS.search.max),
    }),
    format: ({ runId, q, limit }) => ({ path: { runId }, query: { q, limit } }),
  }),
};

export interface ImageParams {
  /** Side in pixels (IMAGE_SIZE.min..max). */
  size?: number;
  /** The store version: makes the answer immutable in caches. */
  v?: string;
}
export interface ThumbnailParams extends RunParams, ImageParams {
  inputIndex: number;
}
export interface ThumbnailSheetParams extends RunParams, ImageParams {
  /** The inputs, in the sheet's cell order (1..SHEET_CELLS). */
  index: number[];
}
export interface AverageImageParams extends PatternParams, ImageParams {}
export interface FeatureImageParams extends LayerParams, ImageParams {
  /** The image's row in the layer's FeatureImagesResponse. */
  row: number;
}
export interface HeatmapImageParams extends PatternParams {
  /** A member's heatmap; omitted: the pattern's mean heatmap. */
  input?: number;
  v?: string;
}

const imageSize = (query: Query) =>
  optional(query, 'size', (t) => parseIntegerIn('size', t, IMAGE_SIZE.min, IMAGE_SIZE.max));

/** The PNG routes (served by `nap serve`; a static export holds their images as files). */
export const IMAGE_ROUTES = {
  thumbnail: route<ThumbnailParams>({
    path: '/api/runs/:runId/inputs/:inputIndex/thumbnail.png',
    query: ['size'],
    result: 'png',
    parse: (path, query) => ({
      ...runId(path),
      inputIndex: id('input index', path.inputIndex),
      size: imageSize(query),
    }),
    format: ({ runId, inputIndex, size, v }) => ({ path: { runId, inputIndex }, query: { size, v } }),
  }),
  thumbnailSheet: route<ThumbnailSheetParams>({
    path: '/api/runs/:runId/thumbnails.png',
    query: ['index', 'size'],
    result: 'png',
    parse: (path, query) => {
      const text = query.get('index');
      if (text === undefined) {
        throw new InputError('a thumbnail sheet needs the parameter index (the inputs to show)', {
          hint: 'pass index=<comma-separated input indices>, e.g. index=0,5',
        });
      }
      return {
        ...runId(path),
        index: Array.from(parseIndexList('index', text, SHEET_CELLS)),
        size: imageSize(query),
      };
    },
    format: ({ runId, index, size, v }) => ({ path: { runId }, query: { index: index.join(','), size, v } }),
  }),
  averageImage: route<AverageImageParams>({
    path: '/api/clusterings/:clusteringId/patterns/:patternId/average.png',
    query: ['size'],
    result: 'png',
    parse: (path, query) => ({ ...patternOf(path), size: imageSize(query) }),
    format: ({ clusteringId, patternId, size, v }) => ({ path: { clusteringId, patternId }, query: { size, v } }),
  }),
  featureImage: route<FeatureImageParams>({
    path: '/api/runs/:runId/layers/:layer/feature-images/:row/image.png',
    query: ['size'],
    result: 'png',
    parse: (path, query) => ({ ...layerOf(path), row: id('image row', path.row), size: imageSize(query) }),
    format: ({ runId, layer, row, size, v }) => ({ path: { runId, layer, row }, query: { size, v } }),
  }),
  heatmapImage: route<HeatmapImageParams>({
    path: '/api/clusterings/:clusteringId/patterns/:patternId/heatmap.png',
    query: ['input'],
    result: 'png',
    parse: (path, query) => ({ ...patternOf(path), input: optional(query, 'input', (t) => parseId('input', t)) }),
    format: ({ clusteringId, patternId, input, v }) => ({ path: { clusteringId, patternId }, query: { input, v } }),
  }),
} as const;

/** Every route the server answers. */
export const ALL_ROUTES: readonly RouteSpec<never>[] = [
  ...Object.values(ROUTES),
  ...Object.values(IMAGE_ROUTES),
] as unknown as readonly RouteSpec<never>[];

/** The URL path (with query) of a route for typed parameters; layer names and the like are percent-encoded. */
export function routeUrl<P>(spec: RouteSpec<P>, params: P): string {
  const { path, query = {} } = spec.format(params);
  const url = spec.path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(String(path[name])));
  const parts = Object.entries(query)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return parts.length > 0 ? `${url}?${parts.join('&')}` : url;
}

/** URL paths of every route, by the arguments the app and the tests have always used. */
export const apiPaths = {
  info: () => routeUrl(ROUTES.info, {}),
  runs: () => routeUrl(ROUTES.runs, {}),
  run: (runId: number) => routeUrl(ROUTES.run, { runId }),
  inputs: (runId: number, page: { offset?: number; limit?: number } = {}) =>
    routeUrl(ROUTES.inputs, { runId, ...page }),
  inputsByIndex: (runId: number, index: readonly number[]) => routeUrl(ROUTES.inputs, { runId, index }),
  thumbnail: (runId: number, inputIndex: number, size?: number, v?: string) =>
    routeUrl(IMAGE_ROUTES.thumbnail, { runId, inputIndex, size, v }),
  thumbnailSheet: (runId: number, index: readonly number[], size?: number, v?: string) =>
    routeUrl(IMAGE_ROUTES.thumbnailSheet, { runId, index: [...index], size, v }),
  inputPatterns: (runId: number, index: readonly number[]) => routeUrl(ROUTES.inputPatterns, { runId, index }),
  layerStats: (runId: number, layer: string) => routeUrl(ROUTES.layerStats, { runId, layer }),
  maxActivations: (runId: number, layer: string, unit?: number) =>
    routeUrl(ROUTES.maxActivations, { runId, layer, unit }),
  clustering: (clusteringId: number) => routeUrl(ROUTES.clustering, { clusteringId }),
  patterns: (clusteringId: number, examples?: number) => routeUrl(ROUTES.patterns, { clusteringId, examples }),
  memberships: (clusteringId: number) => routeUrl(ROUTES.memberships, { clusteringId }),
  labelCounts: (clusteringId: number, by: 'label' | 'prediction' = 'label') =>
    routeUrl(ROUTES.labelCounts, { clusteringId, by }),
  tree: (clusteringId: number) => routeUrl(ROUTES.tree, { clusteringId }),
  linkage: (clusteringId: number) => routeUrl(ROUTES.linkage, { clusteringId }),
  coverage: (clusteringId: number) => routeUrl(ROUTES.coverage, { clusteringId }),
  nearMembers: (
    clusteringId: number,
    patternId: number,
    query: Omit<NearMembersParams, 'clusteringId' | 'patternId'> = {},
  ) => routeUrl(ROUTES.nearMembers, { clusteringId, patternId, ...query }),
  members: (clusteringId: number, patternId: number, q: MembersQuery = {}) =>
    routeUrl(ROUTES.members, { clusteringId, patternId, ...q }),
  patternStats: (clusteringId: number, patternId: number) => routeUrl(ROUTES.patternStats, { clusteringId, patternId }),
  averageImage: (clusteringId: number, patternId: number, size?: number, v?: string) =>
    routeUrl(IMAGE_ROUTES.averageImage, { clusteringId, patternId, size, v }),
  heatmaps: (clusteringId: number, patternId: number) => routeUrl(ROUTES.heatmaps, { clusteringId, patternId }),
  /** The pattern's mean heatmap, or member `input`'s when given. */
  heatmapImage: (clusteringId: number, patternId: number, input?: number, v?: string) =>
    routeUrl(IMAGE_ROUTES.heatmapImage, { clusteringId, patternId, input, v }),
  featureImages: (runId: number, layer: string) => routeUrl(ROUTES.featureImages, { runId, layer }),
  featureImage: (runId: number, layer: string, row: number, size?: number, v?: string) =>
    routeUrl(IMAGE_ROUTES.featureImage, { runId, layer, row, size, v }),
  flowGraph: (runId: number) => routeUrl(ROUTES.flowGraph, { runId }),
  layerFlow: (runId: number, from?: string, to?: string) => routeUrl(ROUTES.layerFlow, { runId, from, to }),
  lineage: (runId: number, layer: string, patternId: number, options: { minShare?: number; limit?: number } = {}) =>
    routeUrl(ROUTES.lineage, { runId, layer, patternId, ...options }),
  labelErrors: (runId: number, limit?: number) => routeUrl(ROUTES.labelErrors, { runId, limit }),
  agreement: (runId: number, index: readonly number[]) => routeUrl(ROUTES.agreement, { runId, index: [...index] }),
  outliers: (runId: number, limit?: number) => routeUrl(ROUTES.outliers, { runId, limit }),
  duplicates: (runId: number) => routeUrl(ROUTES.duplicates, { runId }),
  modelErrors: (runId: number) => routeUrl(ROUTES.modelErrors, { runId }),
  compareRuns: (runA: number, runB: number, minJaccard?: number) =>
    routeUrl(ROUTES.compareRuns, { runA, runB, minJaccard }),
  projection: (runId: number, layer: string) => routeUrl(ROUTES.projection, { runId, layer }),
  search: (runId: number, q: string, limit?: number) => routeUrl(ROUTES.search, { runId, q, limit }),
} as const;

export { VERSION_PARAM };
