/**
 * Answers /api requests from the route table: data routes from the results API (JSON, or an Arrow
 * stream for the bulk tables when the request accepts it), image routes from the image services. Every
 * answer carries the store version as its ETag; `?v=<version>` makes it immutable in caches. The store
 * does not change while served, so each data answer is encoded and compressed once and kept (LRU by
 * bytes, keyed by the query and its typed parameters): under load a request for it costs a lookup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QueryName, QueryParams, QueryResult, ResultsService } from '../results/api.js';
import { IMAGE_SIZE } from '../results/api-types.js';
import { LruCache } from '../results/cache.js';
import { ARROW_MIME, type TableSpec } from '../results/codec/arrow.js';
import { encodeTable } from '../results/codec/arrow-encode.js';
import { JSON_FORMS } from '../results/codec/json.js';
import { arrowFormOf, WIRE_TABLES } from '../results/codec/tables.js';
import { parseQuery } from '../results/params.js';
import { IMAGE_ROUTES, LIMITS, ROUTES, VERSION_PARAM, type RouteSpec } from '../results/routes.js';
import type { HeatmapImages } from './heatmap-images.js';
import type { ImageService } from './images.js';
import { gzipOf, IMMUTABLE, REVALIDATE, sendBody } from './responses.js';
import { matchRoute } from './router.js';

type TableName = keyof typeof WIRE_TABLES;

interface Answer {
  type: string;
  body: Buffer;
}

/** An encoded data answer with its gzip (null when too small to compress). */
interface Prepared extends Answer {
  gzipped: Buffer | null;
}

/**
 * Memory budget of the encoded data answers kept. A run of a million inputs has about 150 MB of them that
 * the app asks for again and again (its input pages, memberships and maps as Arrow, condensed trees, model
 * errors, gzipped too); a smaller budget made them evict each other and be encoded and compressed anew.
 */
const ANSWER_CACHE_BYTES = 512 * 1024 * 1024;

const json = (body: unknown): Answer => ({
  type: 'application/json; charset=utf-8',
  body: Buffer.from(JSON.stringify(body)),
});

/** The data answers kept, by query, representation and typed parameters. */
class AnswerCache {
  private readonly kept = new LruCache<string, Prepared>(
    ANSWER_CACHE_BYTES,
    (a) => a.body.length + (a.gzipped?.length ?? 0),
  );
  private readonly pending = new Map<string, Promise<Prepared>>();

  get(key: string, make: () => Promise<Answer>): Promise<Prepared> {
    const hit = this.kept.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = make()
        .then(async (answer) => {
          const prepared = { ...answer, gzipped: await gzipOf(answer.body) };
          this.kept.set(key, prepared);
          return prepared;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }
}

/** One entry per route: its path, the query names it accepts, and its answer to the raw parameters. */
export interface Handler {
  path: string;
  query: readonly string[];
  answer(params: Record<string, string>, query: ReadonlyMap<string, string>, arrow: boolean): Promise<Prepared>;
}

/** The data routes' answers from the results API, kept once encoded. */
export class DataAnswers {
  private readonly cache = new AnswerCache();

  constructor(private readonly service: ResultsService) {}

  /** The encoded answer of query `name` (an Arrow stream, when `arrow`, for a bulk table or an answer with an Arrow form). */
  answer<Q extends QueryName>(name: Q, params: QueryParams<Q>, arrow: boolean): Promise<Prepared> {
    const table = ROUTES[name].result === 'table';
    const form = arrowFormOf(name);
    const asArrow = arrow && (table || form !== undefined);
    return this.cache.get(`${name} ${asArrow ? 'arrow' : 'json'} ${JSON.stringify(params)}`, async () => {
      const call = this.service[name] as (params: QueryParams<Q>) => Promise<QueryResult<Q>>;
      const result = await call(params);
      if (form !== undefined && asArrow)
        return { type: ARROW_MIME, body: Buffer.from(encodeTable(form.spec, form.toTable(result))) };
      if (!table) return json(result);
      const spec = WIRE_TABLES[name as TableName] as TableSpec<unknown>;
      if (asArrow) return { type: ARROW_MIME, body: Buffer.from(encodeTable(spec, result)) };
      return json(JSON_FORMS[name as TableName](result as never));
    });
  }

  /**
   * Encodes ahead what the app asks for when it opens the newest complete run (every page of its inputs
   * table, each layer's memberships and map as Arrow), and the answers of its views that take a pass over
   * every input (each clustering's tree, the model errors as Arrow): at a million inputs each of these took 0.3 to
   * 1 s of the one thread that answers everyone, the first time it was asked for. An answer the run lacks
   * (no tree, no labels) is left for its request to report. Resolves with the run's id (null: none).
   */
  async prefetch(): Promise<number | null> {
    const { tables } = this.service;
    const run = (await tables.runs()).filter((r) => r.status === 'complete').at(-1);
    if (run === undefined) return null;
    const runId = run.runId;
    const ahead = (answer: Promise<unknown>) =>
      answer.then(
        () => undefined,
        () => undefined,
      );
    const limit = LIMITS.inputPage.max;
    const inputCount = (await tables.inputs(runId)).inputIndex.length;
    for (let offset = 0; offset === 0 || offset < inputCount; offset += limit)
      await ahead(this.answer('inputs', { runId, offset, limit }, true));
    const projections = new Set((await tables.projections(runId)).map((p) => p.layer));
    for (const layer of await tables.layerClusterings(runId)) {
      const { clusteringId } = layer;
      await ahead(this.answer('memberships', { clusteringId }, true));
      if (projections.has(layer.layer)) await ahead(this.answer('projection', { runId, layer: layer.layer }, true));
      await ahead(this.answer('tree', { clusteringId }, false));
    }
    await ahead(this.answer('modelErrors', { runId }, true));
    return runId;
  }
}

export function apiHandlers(data: DataAnswers, images: ImageService, heatmaps: HeatmapImages): Handler[] {
  const dataHandler = <Q extends QueryName>(name: Q): Handler => {
    const spec = ROUTES[name] as RouteSpec<QueryParams<Q>>;
    return {
      path: spec.path,
      query: spec.query,
      answer: (params, query, arrow) => data.answer(name, spec.parse(params, query), arrow),
    };
  };
  // The image services keep their PNGs themselves; a PNG is not compressed again.
  const image = <P>(spec: RouteSpec<P>, make: (params: P) => Promise<Buffer>): Handler => ({
    path: spec.path,
    query: spec.query,
    answer: async (params, query) => ({
      type: 'image/png',
      body: await make(spec.parse(params, query)),
      gzipped: null,
    }),
  });
  return [
    ...(Object.keys(ROUTES) as QueryName[]).map(dataHandler),
    image(IMAGE_ROUTES.thumbnail, (p) => images.thumbnail(p.runId, p.inputIndex, p.size ?? IMAGE_SIZE.default)),
    image(IMAGE_ROUTES.thumbnailSheet, (p) => images.thumbnailSheet(p.runId, p.index, p.size ?? IMAGE_SIZE.default)),
    image(IMAGE_ROUTES.averageImage, (p) => images.averageImage(p.clusteringId, p.patternId, p.size)),
    image(IMAGE_ROUTES.featureImage, (p) => images.featureImage(p.runId, p.layer, p.row, p.size)),
    image(IMAGE_ROUTES.heatmapImage, (p) => heatmaps.png(p.clusteringId, p.patternId, p.input)),
  ];
}

function acceptsArrow(request: IncomingMessage): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes(ARROW_MIME);
}

/** Answers an /api request; false when no route matches `rawPath`. */
export async function answerApi(
  request: IncomingMessage,
  response: ServerResponse,
  handlers: readonly Handler[],
  rawPath: string,
  rawQuery: string,
  storeVersion: string,
): Promise<boolean> {
  const match = matchRoute(handlers, rawPath);
  if (match === null) return false;
  const query = parseQuery(rawQuery, match.route.query);
  const arrow = acceptsArrow(request);
  // One ETag per representation: a cache that stored the JSON must not answer an Arrow request with it.
  const etag = `"${storeVersion}${arrow ? '-arrow' : ''}"`;
  const headers = {
    ETag: etag,
    'Cache-Control': query.get(VERSION_PARAM) === storeVersion ? IMMUTABLE : REVALIDATE,
    Vary: 'Accept, Accept-Encoding',
  };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    response.end();
    return true;
  }
  const answer = await match.route.answer(match.params, query, arrow);
  await sendBody(request, response, 200, answer.type, answer.body, {
    headers,
    compress: answer.type !== 'image/png',
    gzipped: answer.gzipped,
  });
  return true;
}
