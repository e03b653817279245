/**
 * Answers /api requests from the route table: data routes from the results API (JSON, or an Arrow
 * stream for the bulk tables when the request accepts it), image routes from the image services. Every
 * answer carries the store version as its ETag; `?v=<version>` makes it immutable in caches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QueryName, ResultsService } from '../results/api.js';
import { ARROW_MIME, type TableSpec } from '../results/codec/arrow.js';
import { JSON_FORMS } from '../results/codec/json.js';
import { encodeTable } from '../results/codec/arrow-encode.js';
import { WIRE_TABLES } from '../results/codec/tables.js';
import { IMAGE_SIZE } from '../results/api-types.js';
import { parseQuery } from '../results/params.js';
import { IMAGE_ROUTES, ROUTES, VERSION_PARAM, type RouteSpec } from '../results/routes.js';
import type { HeatmapImages } from './heatmap-images.js';
import type { ImageService } from './images.js';
import { IMMUTABLE, REVALIDATE, sendBody } from './responses.js';
import { matchRoute } from './router.js';

type TableName = keyof typeof WIRE_TABLES;

interface Answer {
  type: string;
  body: Buffer;
}

/** One entry per route: its spec and how it is answered from its typed parameters. */
interface Handler {
  path: string;
  query: readonly string[];
  answer(params: Record<string, string>, query: ReadonlyMap<string, string>, arrow: boolean): Promise<Answer>;
}

const json = (body: unknown): Answer => ({
  type: 'application/json; charset=utf-8',
  body: Buffer.from(JSON.stringify(body)),
});
const png = (body: Buffer): Answer => ({ type: 'image/png', body });

function dataHandler<Q extends QueryName>(name: Q, service: ResultsService): Handler {
  const spec = ROUTES[name] as RouteSpec<unknown>;
  return {
    path: spec.path,
    query: spec.query,
    async answer(params, query, arrow) {
      const call = service[name] as (params: unknown) => Promise<unknown>;
      const result = await call(spec.parse(params, query));
      if (spec.result !== 'table') return json(result);
      const table = name as TableName;
      if (arrow)
        return { type: ARROW_MIME, body: Buffer.from(encodeTable(WIRE_TABLES[table] as TableSpec<unknown>, result)) };
      return json(JSON_FORMS[table](result as never));
    },
  };
}

export function apiHandlers(service: ResultsService, images: ImageService, heatmaps: HeatmapImages): Handler[] {
  const data = (Object.keys(ROUTES) as QueryName[]).map((name) => dataHandler(name, service));
  const image = <P>(spec: RouteSpec<P>, make: (params: P) => Promise<Buffer>): Handler => ({
    path: spec.path,
    query: spec.query,
    answer: async (params, query) => png(await make(spec.parse(params, query))),
  });
  return [
    ...data,
    image(IMAGE_ROUTES.thumbnail, (p) => images.thumbnail(p.runId, p.inputIndex, p.size ?? IMAGE_SIZE.default)),
    image(IMAGE_ROUTES.averageImage, (p) => images.averageImage(p.clusteringId, p.patternId, p.size)),
    image(IMAGE_ROUTES.heatmapImage, (p) => heatmaps.png(p.clusteringId, p.patternId, p.input)),
  ];
}

function acceptsArrow(request: IncomingMessage): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes(ARROW_MIME);
}

/** Answers a matched /api request; null when no route matches `rawPath`. */
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
  });
  return true;
}
