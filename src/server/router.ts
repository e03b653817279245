/** A minimal path router: literal segments and `:name` parameters, matched on the percent-encoded path. */
import { InputError } from '../errors.js';

export interface RouteContext {
  /** Path parameters, percent-decoded. */
  params: Readonly<Record<string, string>>;
  /** Query parameters (only the route's own names and `v`). */
  query: ReadonlyMap<string, string>;
}

export type RouteResult = { kind: 'json'; body: unknown } | { kind: 'png'; body: Buffer };

export interface Route {
  /** e.g. '/api/runs/:runId/layers/:layer/stats' */
  path: string;
  /** Query parameter names the route accepts. */
  query: readonly string[];
  handle(context: RouteContext): Promise<RouteResult>;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InputError(`path segment ${JSON.stringify(segment)} is not valid percent-encoding`, {
      hint: 'encode path parameters with encodeURIComponent',
    });
  }
}

/**
 * The route whose path matches, with its decoded parameters; null when none does. The path is split on
 * '/' before decoding, so a parameter may hold an encoded slash (%2F), as layer names often do.
 */
export function matchRoute(routes: readonly Route[], rawPath: string): RouteMatch | null {
  const segments = rawPath.split('/');
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i]!;
      if (part.startsWith(':')) {
        if (segment === '') return false;
        params[part.slice(1)] = decodeSegment(segment);
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, params };
  }
  return null;
}
