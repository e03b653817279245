/**
 * Heatmap overlays (contract in src/results/api-types.ts): a stored heatmap of a pattern, or of one of its
 * members, as an RGBA PNG at the model's input size. Only what `nap heatmaps` stored is read.
 */
import { renderHeatmap } from '../compute/heatmap-image.js';
import { NotFoundError } from '../errors.js';
import { encodePng } from '../io/images/png.js';
import type { NapStore } from '../io/store/index.js';
import type { ResultsService } from '../results/api.js';
import { LruCache } from '../results/cache.js';
import { MEAN_HEATMAP, type ClusteringRecord } from '../results/tables.js';

/** Memory budget of encoded heatmap PNGs. */
const PNG_CACHE_BYTES = 16 * 1024 * 1024;

function heatmapHint(clustering: ClusteringRecord, patternId: number): string {
  return `run \`nap heatmaps <store> --run ${clustering.runId} --layer ${JSON.stringify(clustering.layer)} --pattern ${patternId}\` to make them`;
}

export class HeatmapImages {
  private readonly pngs = new LruCache<string, Buffer>(PNG_CACHE_BYTES, (png) => png.length);

  constructor(
    private readonly store: NapStore,
    private readonly service: ResultsService,
  ) {}

  /** The mean heatmap of pattern `patternId`, or member `input`'s; 404 for noise, non-members and what is not stored. */
  async png(clusteringId: number, patternId: number, input: number = MEAN_HEATMAP): Promise<Buffer> {
    const { tables } = this.service;
    if (patternId === -1) {
      await tables.clustering(clusteringId);
      throw new NotFoundError(`noise (pattern -1) of clustering ${clusteringId} has no heatmap`, {
        hint: 'noise has no centroid to compare with; heatmaps exist for patterns 0 and up',
      });
    }
    const clustering = await tables.requirePattern(clusteringId, patternId, false);
    if (input !== MEAN_HEATMAP) {
      const memberships = await tables.memberships(clusteringId);
      const row = memberships.inputIndex.indexOf(input);
      if (row < 0 || memberships.patternId[row] !== patternId) {
        throw new NotFoundError(
          `input ${input} is not a member of pattern ${patternId} of clustering ${clusteringId}`,
          {
            hint: 'heatmaps exist for the members of a pattern (GET .../heatmaps lists them)',
          },
        );
      }
    }
    const key = `${clusteringId}:${patternId}:${input}`;
    const cached = this.pngs.get(key);
    if (cached !== undefined) return cached;
    const size = await this.service.inputSize(clustering.runId);
    const stored = await this.store
      .readPatternHeatmaps(clusteringId, patternId, Int32Array.of(input))
      .catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
        const what = input === MEAN_HEATMAP ? 'mean heatmap' : `heatmap of member ${input}`;
        throw new NotFoundError(
          `pattern ${patternId} of clustering ${clusteringId} (layer ${JSON.stringify(clustering.layer)}) has no stored ${what}`,
          { hint: heatmapHint(clustering, patternId) },
        );
      });
    const rgba = renderHeatmap(stored.values, stored.height, stored.width, size.height, size.width);
    const png = await encodePng(rgba, size.width, size.height, 4);
    this.pngs.set(key, png);
    return png;
  }
}
