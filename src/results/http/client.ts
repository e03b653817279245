/**
 * The results API over HTTP: every query of the route table asked of `nap serve`, answered as JSON, or
 * for the bulk tables and the answers with an Arrow form (codec/tables.ts's ARROW_FORMS) as an Arrow
 * stream (Accept: application/vnd.apache.arrow.stream). The app uses it
 * against its server; scripts and tests can use it against any running server.
 */
import type { ApiError } from '../api-types.js';
import type { QueryName, QueryParams, QueryResult, ResultsApi } from '../api.js';
import { ARROW_MIME, type TableSpec } from '../codec/arrow.js';
import { decodeTable } from '../codec/arrow-decode.js';
import { arrowFormOf, WIRE_TABLES } from '../codec/tables.js';
import { ROUTES, routeUrl, type RouteSpec } from '../routes.js';

/** A failed request: the server's ApiError (status, message, hint), or no answer at all (status 0). */
export class ResultsRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ResultsRequestError';
  }
}

export interface HttpApiOptions {
  /** Prepended to every route path; default '' (the page's own origin). */
  baseUrl?: string;
  /** default globalThis.fetch */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export function createHttpApi(options: HttpApiOptions = {}): ResultsApi {
  const baseUrl = options.baseUrl ?? '';
  const send = options.fetch ?? ((url, init) => fetch(url, init));

  async function ask<Q extends QueryName>(name: Q, params: QueryParams<Q>): Promise<QueryResult<Q>> {
    const spec = ROUTES[name] as RouteSpec<QueryParams<Q>>;
    const path = routeUrl(spec, params);
    const table = spec.result === 'table';
    const form = arrowFormOf(name);
    let response: Response;
    try {
      const accept = table || form !== undefined ? ARROW_MIME : 'application/json';
      response = await send(baseUrl + path, { headers: { Accept: accept } });
    } catch (error) {
      throw new ResultsRequestError(
        `the server did not answer ${path}: ${(error as Error).message}`,
        0,
        'check that nap serve is still running, then reload',
      );
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as ApiError | null;
      throw new ResultsRequestError(body?.error ?? `${path} answered ${response.status}`, response.status, body?.hint);
    }
    if (response.headers.get('Content-Type')?.startsWith(ARROW_MIME)) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (form !== undefined) return form.fromTable(decodeTable(form.spec, bytes));
      const spec = WIRE_TABLES[name as keyof typeof WIRE_TABLES] as TableSpec<QueryResult<Q>>;
      return decodeTable(spec, bytes);
    }
    return (await response.json()) as QueryResult<Q>;
  }

  const api = {} as Record<QueryName, (params: unknown) => Promise<unknown>>;
  for (const name of Object.keys(ROUTES) as QueryName[]) api[name] = (params) => ask(name, (params ?? {}) as never);
  return api as unknown as ResultsApi;
}
