/**
 * The data source of a static export: API paths are answered from the exported files (layout in
 * src/engine/static/layout.ts). Most routes are one file each; the routes with open-ended parameters
 * (input pages and lookups, filtered member pages, input paths through the layers, triage filters,
 * shorter representative lists) are answered from whole tables, with the server's rules (api-types.ts).
 */
import type {
  InputPatternsResponse,
  InputsResponse,
  MemberOrder,
  MembersResponse,
  MembershipsResponse,
  PatternsResponse,
  ProjectionResponse,
  RunsResponse,
  TriageReasonFilter,
  TriageResponse,
} from '../../../src/server/api-types.js';
import { apiPaths, MEMBER_ORDERS, TRIAGE_REASONS } from '../../../src/server/api-types.js';
import {
  STATIC_FORMAT,
  STATIC_MANIFEST_FILE,
  STATIC_PATTERN_EXAMPLES,
  staticAveragePath,
  staticHeatmapPath,
  staticInputsPath,
  staticJsonPath,
  staticThumbnailPath,
  type StaticManifest,
} from '../../../src/engine/static/layout.js';
import { ApiRequestError } from '../request-error.js';
import type { DataSource } from './source.js';

const NOT_EXPORTED_HINT =
  'this static export holds the views of one run that need no server; open the full results with nap serve';

interface Request {
  /** Decoded path segments after /api. */
  segments: string[];
  query: URLSearchParams;
}

function parseApiPath(apiPath: string): Request {
  const url = new URL(apiPath, 'http://static.invalid');
  const segments = url.pathname
    .split('/')
    .slice(2)
    .map((segment) => decodeURIComponent(segment));
  return { segments, query: url.searchParams };
}

function integerParam(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value))
    throw new ApiRequestError(
      `${name} ${JSON.stringify(text)} is not a whole number`,
      400,
      `pass ${name} as a decimal integer`,
    );
  return value;
}

/** Input rows by input index. */
function rowLookup(inputIndex: readonly number[]): Map<number, number> {
  return new Map(inputIndex.map((index, row) => [index, row]));
}

type InputColumnsOf = Pick<
  InputsResponse,
  'inputIndex' | 'path' | 'label' | 'prediction' | 'predictionLabel' | 'probability' | 'misclassified'
>;

/** Input columns of table rows; row -1 (an input the table lacks) gives empty values, keeping columns aligned. */
function inputColumns(inputs: InputsResponse, rows: readonly number[]): InputColumnsOf {
  const pick = <K extends keyof InputColumnsOf>(key: K, missing: unknown) =>
    rows.map((row) => (row < 0 ? missing : (inputs[key] as unknown[])[row])) as InputColumnsOf[K];
  return {
    inputIndex: pick('inputIndex', -1),
    path: pick('path', null),
    label: pick('label', null),
    prediction: pick('prediction', -1),
    predictionLabel: pick('predictionLabel', null),
    probability: pick('probability', null),
    misclassified: pick('misclassified', false),
  };
}

class StaticSource implements DataSource {
  readonly kind = 'static';
  private readonly files = new Map<string, Promise<unknown>>();

  constructor(
    private readonly base: URL,
    readonly manifest: StaticManifest,
  ) {}

  thumbnailUrl(runId: number, inputIndex: number): string {
    return new URL(staticThumbnailPath(runId, inputIndex), this.base).href;
  }

  averageImageUrl(clusteringId: number, patternId: number): string {
    return new URL(staticAveragePath(clusteringId, patternId), this.base).href;
  }

  /** Only mean heatmaps are exported (the exported heatmap lists name no members). */
  heatmapUrl(clusteringId: number, patternId: number, inputIndex?: number): string {
    const file = staticHeatmapPath(clusteringId, patternId);
    return new URL(inputIndex === undefined ? file : file.replace(/\.png$/, `/${inputIndex}.png`), this.base).href;
  }

  json(apiPath: string): Promise<unknown> {
    const request = parseApiPath(apiPath);
    const [first, id, what, sub, last] = request.segments;
    const count = request.segments.length;
    if (first === 'runs' && count === 3 && what === 'inputs') return this.inputs(Number(id), request.query);
    if (first === 'runs' && count === 3 && what === 'input-patterns')
      return this.inputPatterns(Number(id), request.query);
    if (first === 'runs' && count === 3 && what === 'triage') return this.triage(Number(id), request.query);
    if (first === 'clusterings' && count === 3 && what === 'patterns') return this.patterns(Number(id), request.query);
    if (first === 'clusterings' && count === 5 && what === 'patterns' && last === 'members')
      return this.members(Number(id), Number(sub), request.query);
    if (first === 'runs' && count === 5 && what === 'layers' && last === 'projection')
      return this.projection(apiPath, Number(id), sub!);
    return this.file(staticJsonPath(apiPath), apiPath);
  }

  private file<T>(relative: string, what: string): Promise<T> {
    let promise = this.files.get(relative);
    if (!promise) {
      promise = fetch(new URL(relative, this.base).href).then(async (response) => {
        if (response.status === 404)
          throw new ApiRequestError(`${what} is not part of this static export`, 404, NOT_EXPORTED_HINT);
        if (!response.ok)
          throw new ApiRequestError(
            `${relative} answered ${response.status}`,
            response.status,
            'reload the page; if it persists, export the site again',
          );
        return response.json() as Promise<unknown>;
      });
      promise.catch(() => this.files.delete(relative));
      this.files.set(relative, promise);
    }
    return promise as Promise<T>;
  }

  private inputTable(runId: number): Promise<InputsResponse> {
    return this.file<InputsResponse>(staticInputsPath(runId), `the inputs of run ${runId}`);
  }

  private async inputs(runId: number, query: URLSearchParams): Promise<InputsResponse> {
    const table = await this.inputTable(runId);
    const indexText = query.get('index');
    let rows: number[];
    if (indexText !== null) {
      const lookup = rowLookup(table.inputIndex);
      rows = indexText.split(',').map((text) => {
        const row = lookup.get(Number(text));
        if (row === undefined)
          throw new ApiRequestError(
            `input ${text} is not in run ${runId}`,
            404,
            `run ${runId} has ${table.total} inputs`,
          );
        return row;
      });
    } else {
      const offset = integerParam(query, 'offset', 0);
      const limit = integerParam(query, 'limit', 1000);
      rows = Array.from({ length: Math.max(0, Math.min(limit, table.total - offset)) }, (_, i) => offset + i);
    }
    return {
      runId,
      total: table.total,
      offset: indexText === null ? integerParam(query, 'offset', 0) : null,
      ...inputColumns(table, rows),
    };
  }

  /** A layer's exported projection; a layer without one says so, as the server does. */
  private projection(apiPath: string, runId: number, layer: string): Promise<ProjectionResponse> {
    return this.file<ProjectionResponse>(staticJsonPath(apiPath), apiPath).catch((error: unknown) => {
      if (!(error instanceof ApiRequestError) || error.status !== 404) throw error;
      throw new ApiRequestError(
        `layer ${JSON.stringify(layer)} of run ${runId} has no stored projection`,
        404,
        `run nap project <store> --run ${runId} --layer ${JSON.stringify(layer)}, then export the site again`,
      );
    });
  }

  private memberships(clusteringId: number): Promise<MembershipsResponse> {
    return this.file<MembershipsResponse>(
      staticJsonPath(apiPaths.memberships(clusteringId)),
      `clustering ${clusteringId}`,
    );
  }

  private async patterns(clusteringId: number, query: URLSearchParams): Promise<PatternsResponse> {
    const examples = integerParam(query, 'examples', 5);
    const full = await this.file<PatternsResponse>(
      staticJsonPath(apiPaths.patterns(clusteringId, STATIC_PATTERN_EXAMPLES)),
      `clustering ${clusteringId}`,
    );
    const cut = <T extends PatternsResponse['noise']>(p: T): T => ({
      ...p,
      mostStable: p.mostStable.slice(0, examples),
      leastStable: p.leastStable.slice(0, examples),
      topOutliers: p.topOutliers.slice(0, examples),
    });
    return { ...full, patterns: full.patterns.map(cut), noise: cut(full.noise) };
  }

  /** The members route: filter, order (ties by input index) and page, as src/server/member-selection.ts. */
  private async members(clusteringId: number, patternId: number, query: URLSearchParams): Promise<MembersResponse> {
    const memberships = await this.memberships(clusteringId);
    const runId = this.manifest.runId;
    const inputs = await this.inputTable(runId);
    const lookup = rowLookup(inputs.inputIndex);
    const order = (query.get('order') ?? 'most-stable') as MemberOrder;
    if (!MEMBER_ORDERS.includes(order))
      throw new ApiRequestError(
        `order ${JSON.stringify(order)} is not one of ${MEMBER_ORDERS.join(', ')}`,
        400,
        'pass order=most-stable',
      );
    const label = query.get('label');
    const prediction = query.get('prediction');
    const misclassified = query.get('misclassified');
    const offset = integerParam(query, 'offset', 0);
    const limit = integerParam(query, 'limit', 100);
    const passing: number[] = [];
    memberships.patternId.forEach((id, row) => {
      if (id !== patternId) return;
      const inputRow = lookup.get(memberships.inputIndex[row]!);
      if (label !== null && (inputRow === undefined || inputs.label[inputRow] !== label)) return;
      if (prediction !== null && (inputRow === undefined || inputs.predictionLabel[inputRow] !== prediction)) return;
      if (
        misclassified !== null &&
        (inputRow === undefined || inputs.misclassified[inputRow] !== (misclassified === 'true'))
      )
        return;
      passing.push(row);
    });
    const { inputIndex, probability, outlierScore } = memberships;
    const score = (values: (number | null)[], row: number) => values[row] ?? Number.NEGATIVE_INFINITY;
    const byIndex = (a: number, b: number) => inputIndex[a]! - inputIndex[b]!;
    const compare: Record<MemberOrder, (a: number, b: number) => number> = {
      'most-stable': (a, b) => probability[b]! - probability[a]! || byIndex(a, b),
      'least-stable': (a, b) => probability[a]! - probability[b]! || byIndex(a, b),
      outlier: (a, b) => score(outlierScore, b) - score(outlierScore, a) || byIndex(a, b),
      input: byIndex,
    };
    const page = passing.sort(compare[order]).slice(offset, offset + limit);
    const columns = inputColumns(
      inputs,
      page.map((row) => lookup.get(inputIndex[row]!) ?? -1),
    );
    return {
      clusteringId,
      patternId,
      order,
      offset,
      limit,
      total: passing.length,
      ...columns,
      inputIndex: page.map((row) => inputIndex[row]!),
      membershipProbability: page.map((row) => probability[row]!),
      outlierScore: page.map((row) => outlierScore[row]!),
    };
  }

  /** Each input's pattern in every layer clustering of the run, by clustering (layer order), then request order. */
  private async inputPatterns(runId: number, query: URLSearchParams): Promise<InputPatternsResponse> {
    const indices = (query.get('index') ?? '')
      .split(',')
      .filter((text) => text !== '')
      .map(Number);
    const runs = await this.file<RunsResponse>(staticJsonPath(apiPaths.runs()), 'the runs');
    const run = runs.runs.find((r) => r.runId === runId);
    if (!run) throw new ApiRequestError(`run ${runId} is not part of this static export`, 404, NOT_EXPORTED_HINT);
    const clusterings = run.layers
      .flatMap((layer) =>
        layer.clusterings
          .filter((c) => c.unit === null)
          .map((c) => ({ clusteringId: c.clusteringId, layer: layer.layer, layerOrder: layer.order })),
      )
      .sort((a, b) => a.layerOrder - b.layerOrder || a.clusteringId - b.clusteringId);
    const rows: InputPatternsResponse['rows'] = { clusteringId: [], inputIndex: [], patternId: [], probability: [] };
    for (const step of clusterings) {
      const memberships = await this.memberships(step.clusteringId);
      const lookup = rowLookup(memberships.inputIndex);
      for (const index of indices) {
        const row = lookup.get(index);
        if (row === undefined) continue;
        rows.clusteringId.push(step.clusteringId);
        rows.inputIndex.push(index);
        rows.patternId.push(memberships.patternId[row]!);
        rows.probability.push(memberships.probability[row]!);
      }
    }
    return { runId, inputIndex: indices, clusterings, rows };
  }

  /** Triage of one layer (or all) as exported, narrowed to a pattern and a reason, then cut to `limit`. */
  private async triage(runId: number, query: URLSearchParams): Promise<TriageResponse> {
    const layer = query.get('layer') ?? undefined;
    const pattern = query.has('pattern') ? integerParam(query, 'pattern', -1) : undefined;
    const reason = (query.get('reason') ?? 'any') as TriageReasonFilter;
    if (!TRIAGE_REASONS.includes(reason))
      throw new ApiRequestError(
        `reason ${JSON.stringify(reason)} is not one of ${TRIAGE_REASONS.join(', ')}`,
        400,
        'pass reason=any',
      );
    const limit = integerParam(query, 'limit', Number.MAX_SAFE_INTEGER);
    const all = await this.file<TriageResponse>(
      staticJsonPath(apiPaths.triage(runId, { layer })),
      `the triage of ${layer ?? `run ${runId}`}`,
    );
    const keep: number[] = [];
    all.inputIndex.forEach((_, k) => {
      if (pattern !== undefined && all.patternId[k] !== pattern) return;
      if (reason === 'majority' && !all.disagreesWithMajority[k]) return;
      if (reason === 'prediction' && !all.disagreesWithPrediction[k]) return;
      keep.push(k);
    });
    const rows = keep.slice(0, limit);
    const pick = <T>(values: T[]) => rows.map((k) => values[k]!);
    return {
      runId,
      reason,
      layers: all.layers,
      total: keep.length,
      layer: pick(all.layer),
      clusteringId: pick(all.clusteringId),
      patternId: pick(all.patternId),
      inputIndex: pick(all.inputIndex),
      path: pick(all.path),
      label: pick(all.label),
      prediction: pick(all.prediction),
      predictionLabel: pick(all.predictionLabel),
      probability: pick(all.probability),
      majorityLabel: pick(all.majorityLabel),
      majorityShare: pick(all.majorityShare),
      disagreesWithMajority: pick(all.disagreesWithMajority),
      disagreesWithPrediction: pick(all.disagreesWithPrediction),
      outlierScore: pick(all.outlierScore),
      membershipProbability: pick(all.membershipProbability),
    };
  }
}

/** Reads the export's manifest under `base` (the data folder's URL). */
export async function openStaticSource(base: URL): Promise<DataSource> {
  const url = new URL(STATIC_MANIFEST_FILE, base).href;
  const response = await fetch(url).catch(() => null);
  const manifest = response?.ok ? ((await response.json().catch(() => null)) as StaticManifest | null) : null;
  if (!manifest || manifest.format !== STATIC_FORMAT) {
    throw new ApiRequestError(
      `this page is a static export, but ${url} is missing or not a nap-lens manifest`,
      response?.status ?? 0,
      'copy the whole exported folder to the host, data/ included',
    );
  }
  return new StaticSource(base, manifest);
}
