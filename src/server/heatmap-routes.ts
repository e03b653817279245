/**
 * Pattern heatmap routes (contract in api-types.ts): which heatmaps `nap heatmaps` stored for a pattern, and
 * each one as an RGBA overlay PNG at the model's input size. The server only reads what is stored.
 */
import { renderHeatmap } from '../compute/heatmap-image.js';
import { NotFoundError } from '../errors.js';
import { MEAN_HEATMAP, type ClusteringRecord, type RunRecord } from '../io/store/index.js';
import type { ApiContext } from './api-routes.js';
import type { HeatmapsResponse } from './api-types.js';
import { encodePng } from './images.js';
import { LruCache } from './lru.js';
import { parseId, parseInteger } from './params.js';
import type { Route, RouteContext } from './router.js';
import { runConfig } from '../engine/run-config.js';

/** Memory budget of encoded heatmap PNGs. */
const PNG_CACHE_BYTES = 16 * 1024 * 1024;

/** The model's input size (height, width) from the run's stored preprocessing. */
function inputSizeOf(run: RunRecord): { height: number; width: number } {
  const { preprocessing } = runConfig(run);
  if (preprocessing === null) {
    throw new NotFoundError(`run ${run.runId} has no stored input size to render heatmaps at`, {
      hint: 'analyze the model again with this nap',
    });
  }
  return { height: preprocessing.height, width: preprocessing.width };
}

function heatmapHint(clustering: ClusteringRecord, patternId: number): string {
  return `run \`nap heatmaps <store> --run ${clustering.runId} --layer ${JSON.stringify(clustering.layer)} --pattern ${patternId}\` to make them`;
}

export function heatmapRoutes(context: ApiContext): Route[] {
  const { views } = context;
  const pngs = new LruCache<string, Buffer>(PNG_CACHE_BYTES, (png) => png.length);

  /** The clustering, refusing noise and pattern ids it does not have. */
  async function patternOf(
    request: RouteContext,
  ): Promise<{ clustering: ClusteringRecord; clusteringId: number; patternId: number }> {
    const clusteringId = parseId('clustering id', request.params.clusteringId!);
    const patternId = parseInteger('pattern id', request.params.patternId!);
    if (patternId === -1) {
      await views.clustering(clusteringId);
      throw new NotFoundError(`noise (pattern -1) of clustering ${clusteringId} has no heatmap`, {
        hint: 'noise has no centroid to compare with; heatmaps exist for patterns 0 and up',
      });
    }
    const clustering = await views.requirePattern(clusteringId, patternId, false);
    return { clustering, clusteringId, patternId };
  }

  async function requireMember(clustering: ClusteringRecord, patternId: number, inputIndex: number): Promise<void> {
    const memberships = await views.memberships(clustering.clusteringId);
    const row = memberships.inputIndex.indexOf(inputIndex);
    if (row < 0 || memberships.patternId[row] !== patternId) {
      throw new NotFoundError(
        `input ${inputIndex} is not a member of pattern ${patternId} of clustering ${clustering.clusteringId}`,
        {
          hint: 'heatmaps exist for the members of a pattern (GET .../heatmaps lists them)',
        },
      );
    }
  }

  return [
    {
      path: '/api/clusterings/:clusteringId/patterns/:patternId/heatmaps',
      query: [],
      handle: async (request) => {
        const { clustering, clusteringId, patternId } = await patternOf(request);
        const [index, run] = await Promise.all([
          views.store.readHeatmapIndex(clusteringId, patternId),
          views.run(clustering.runId),
        ]);
        const size = inputSizeOf(run);
        const body: HeatmapsResponse = {
          clusteringId,
          patternId,
          layer: clustering.layer,
          hasMean: index.hasMean,
          height: index.height,
          width: index.width,
          imageHeight: size.height,
          imageWidth: size.width,
          inputIndex: Array.from(index.inputIndex),
        };
        return { kind: 'json', body };
      },
    },
    {
      path: '/api/clusterings/:clusteringId/patterns/:patternId/heatmap.png',
      query: ['input'],
      handle: async (request) => {
        const { clustering, clusteringId, patternId } = await patternOf(request);
        const inputText = request.query.get('input');
        const inputIndex = inputText === undefined ? MEAN_HEATMAP : parseId('input', inputText);
        if (inputIndex !== MEAN_HEATMAP) await requireMember(clustering, patternId, inputIndex);
        const key = `${clusteringId}:${patternId}:${inputIndex}`;
        const cached = pngs.get(key);
        if (cached !== undefined) return { kind: 'png', body: cached };
        const size = inputSizeOf(await views.run(clustering.runId));
        const stored = await views.store
          .readPatternHeatmaps(clusteringId, patternId, Int32Array.of(inputIndex))
          .catch((error: unknown) => {
            if (!(error instanceof NotFoundError)) throw error;
            const what = inputIndex === MEAN_HEATMAP ? 'a mean heatmap' : `a heatmap of member ${inputIndex}`;
            throw new NotFoundError(
              `pattern ${patternId} of clustering ${clusteringId} (layer ${JSON.stringify(clustering.layer)}) has no stored ${what.slice(2)}`,
              {
                hint: heatmapHint(clustering, patternId),
              },
            );
          });
        const rgba = renderHeatmap(stored.values, stored.height, stored.width, size.height, size.width);
        const png = await encodePng(rgba, size.width, size.height, 4);
        pngs.set(key, png);
        return { kind: 'png', body: png };
      },
    },
  ];
}
