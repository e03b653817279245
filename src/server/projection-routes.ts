/**
 * The projection route (contract in api-types.ts): the stored 2-D map of a layer's inputs, made by
 * `nap analyze` or `nap project`. The server only reads what is stored.
 */
import { NotFoundError } from '../errors.js';
import type { ApiContext } from './api-routes.js';
import type { ProjectionResponse } from './api-types.js';
import { parseId } from './params.js';
import type { Route } from './router.js';

/**
 * The shortest decimal that reads back (through Math.fround) as the same float32: 9 significant digits
 * always do, about half the text of the float64 digits of the same value.
 */
export function float32Text(value: number): number {
  return Number(value.toPrecision(9));
}

export function projectionRoutes(context: ApiContext): Route[] {
  const { views } = context;
  return [
    {
      path: '/api/runs/:runId/layers/:layer/projection',
      query: [],
      handle: async (request) => {
        const runId = parseId('run id', request.params.runId!);
        const layer = request.params.layer!;
        const stored = await views.projection(runId, layer);
        if (stored === null) {
          throw new NotFoundError(`layer ${JSON.stringify(layer)} of run ${runId} has no stored projection`, {
            hint: `stop nap serve, run \`nap project <store> --run ${runId} --layer ${JSON.stringify(layer)}\`, then start nap serve again (nap analyze makes maps unless --projection none)`,
          });
        }
        const body: ProjectionResponse = {
          runId,
          layer,
          method: stored.method,
          params: stored.params,
          inputIndex: Array.from(stored.inputIndex),
          x: Array.from(stored.x, float32Text),
          y: Array.from(stored.y, float32Text),
        };
        return { kind: 'json', body };
      },
    },
  ];
}
