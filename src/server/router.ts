/** A minimal path router over the route table: literal segments and `:name` parameters, matched on the percent-encoded path. */
import { InputError } from '../errors.js';
import type { RouteSpec } from '../results/routes.js';

export interface RouteMatch<R> {
  route: R;
  /** Path parameters, percent-decoded. */
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
export function matchRoute<R extends Pick<RouteSpec<unknown>, 'path'>>(
  routes: readonly R[],
  rawPath: string,
): RouteMatch<R> | null {
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
