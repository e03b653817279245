/** The data source of a static export: the results API runs in the browser over the exported files. */
import { createResultsApi } from '../../../src/results/api.js';
import { staticPaths } from '../../../src/results/static/layout.js';
import { openStaticSite } from '../../../src/results/static/reader.js';
import { blockCell, memberSheetOrder } from '../../../src/results/sprites.js';
import type { SheetPlan } from '../../../src/results/sheet-loader.js';
import type { DataSource } from './source.js';

/**
 * Plans the block sheets (layout.ts) of a sequence of `count` images that hold `keys`, where `position`
 * says where a key lies in the sequence (-1: nowhere, left out).
 */
function blockPlans(
  keys: readonly number[],
  count: number,
  position: (key: number) => number,
  url: (sheet: number) => string,
): SheetPlan[] {
  const plans = new Map<number, SheetPlan>();
  for (const key of keys) {
    const at = position(key);
    if (at < 0) continue;
    const { sheet, grid, cell } = blockCell(at, count);
    let plan = plans.get(sheet);
    if (plan === undefined) plans.set(sheet, (plan = { url: url(sheet), grid, cells: new Map() }));
    plan.cells.set(key, cell);
  }
  return [...plans.values()];
}

/** The files of the export whose data folder is at `base`. */
export async function staticSource(base: URL): Promise<DataSource> {
  const { reader, results } = await openStaticSite(base);
  const api = createResultsApi(reader);
  const file = (relative: string) => new URL(relative, base).href;
  const missing = () => '';
  /** Where each pattern member of a clustering lies in its member sheets (layout.ts). */
  const memberSheets = new Map<number, Promise<{ position: Map<number, number>; count: number }>>();
  const memberPositions = (clusteringId: number) => {
    let found = memberSheets.get(clusteringId);
    if (found === undefined) {
      found = api.tables.memberships(clusteringId).then((memberships) => {
        const order = memberSheetOrder(memberships.patternId, memberships.inputIndex);
        return { position: new Map(order.map((row, k) => [memberships.inputIndex[row]!, k])), count: order.length };
      });
      memberSheets.set(clusteringId, found);
    }
    return found;
  };
  return {
    kind: 'static',
    api,
    // Single images exist only as sheet cells here (the *Sheets methods below).
    thumbnailUrl: missing,
    averageImageUrl: missing,
    heatmapUrl: missing,
    featureImageUrl: missing,
    thumbnailSheets: async (runId, inputIndex, _size, _v, clusteringId) => {
      const inputs = await api.tables.inputs(runId);
      const members = clusteringId === undefined ? null : await memberPositions(clusteringId);
      const inPattern = members === null ? [] : inputIndex.filter((input) => members.position.has(input));
      const rest = members === null ? inputIndex : inputIndex.filter((input) => !members.position.has(input));
      const memberPlans =
        members === null
          ? []
          : blockPlans(
              inPattern,
              members.count,
              (input) => members.position.get(input)!,
              (sheet) => file(staticPaths.memberSheet(clusteringId!, sheet)),
            );
      return memberPlans.concat(
        blockPlans(
          rest,
          inputs.inputIndex.length,
          (input) => inputs.rows.rowOf(input),
          (sheet) => file(staticPaths.thumbnailSheet(sheet)),
        ),
      );
    },
    averageSheets: async (clusteringId, patternIds) => {
      const order = (await results()).averageImages[clusteringId] ?? [];
      return blockPlans(
        patternIds,
        order.length,
        (p) => order.indexOf(p),
        (sheet) => file(staticPaths.averageSheet(clusteringId, sheet)),
      );
    },
    featureSheets: async (runId, layer, rows) => {
      const count = (await api.tables.featureImages(runId, layer)).target.length;
      return blockPlans(
        rows,
        count,
        (row) => (row < count ? row : -1),
        (sheet) => file(staticPaths.featureSheet(layer, sheet)),
      );
    },
    heatmapSheets: async (clusteringId, patternId, inputIndex) => {
      const index = await api.tables.heatmapIndex(clusteringId);
      const rows = new Map<number, number>();
      for (let row = 0; row < index.patternId.length; row++)
        if (index.patternId[row] === patternId) rows.set(index.inputIndex[row]!, row);
      return blockPlans(
        inputIndex,
        index.patternId.length,
        (input) => rows.get(input) ?? -1,
        (sheet) => file(staticPaths.heatmapSheet(clusteringId, sheet)),
      );
    },
  };
}
