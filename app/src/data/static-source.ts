/** The data source of a static export: the results API runs in the browser over the exported files. */
import { createResultsApi } from '../../../src/results/api.js';
import { staticPaths } from '../../../src/results/static/layout.js';
import { openStaticSite } from '../../../src/results/static/reader.js';
import type { DataSource } from './source.js';

/** The files of the export whose data folder is at `base`. */
export async function staticSource(base: URL): Promise<DataSource> {
  const { reader } = await openStaticSite(base);
  const file = (relative: string) => new URL(relative, base).href;
  return {
    kind: 'static',
    api: createResultsApi(reader),
    thumbnailUrl: (_runId, inputIndex) => file(staticPaths.thumbnail(inputIndex)),
    averageImageUrl: (clusteringId, patternId) => file(staticPaths.averageImage(clusteringId, patternId)),
    heatmapUrl: (clusteringId, patternId, inputIndex) => file(staticPaths.heatmap(clusteringId, patternId, inputIndex)),
  };
}
