/** The data source of a static export: the results API runs in the browser over the exported files. */
import { createResultsApi } from '../../../src/results/api.js';
import { staticPaths, type SheetKind, type SheetSequence } from '../../../src/results/static/layout.js';
import { openStaticSite } from '../../../src/results/static/reader.js';
import { blockCell, memberSheetOrder } from '../../../src/results/sprites.js';
import type { SheetPlan } from '../../../src/results/sheet-loader.js';
import type { DataSource } from './source.js';

/**
 * Plans the sheets of image kind `kind` (layout.ts) that hold `keys`, where `position` says where a key lies
 * in the kind's sequence (-1: nowhere, left out).
 */
function blockPlans(
  keys: readonly number[],
  sequence: SheetSequence,
  position: (key: number) => number,
  url: (sheet: number) => string,
): SheetPlan[] {
  const plans = new Map<number, SheetPlan>();
  for (const key of keys) {
    const at = position(key);
    if (at < 0) continue;
    const { sheet, grid, cell } = blockCell(at, sequence.count, sequence.cells);
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
  const sheetUrl = (kind: SheetKind) => (sheet: number) => new URL(staticPaths.sheet(kind, sheet), base).href;
  const sheets = async () => (await results()).sheets;
  /** Where a clustering's part of a kind's sequence starts; null when the kind holds none of it. */
  const partStart = async (kind: SheetKind, clusteringId: number) =>
    (await sheets())[kind].parts[clusteringId]?.[0] ?? null;
  const missing = () => '';
  /** Where each pattern member of a clustering lies in the member sheets (layout.ts); null without any. */
  const memberSheets = new Map<number, Promise<Map<number, number> | null>>();
  const memberPositions = (clusteringId: number) => {
    let found = memberSheets.get(clusteringId);
    if (found === undefined) {
      found = partStart('members', clusteringId).then(async (start) => {
        if (start === null) return null;
        const memberships = await api.tables.memberships(clusteringId);
        const order = memberSheetOrder(memberships.patternId, memberships.inputIndex);
        return new Map(order.map((row, k) => [memberships.inputIndex[row]!, start + k]));
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
      const { thumbnails, members: memberSequence } = await sheets();
      const members = clusteringId === undefined ? null : await memberPositions(clusteringId);
      const inPattern = members === null ? [] : inputIndex.filter((input) => members.has(input));
      const rest = members === null ? inputIndex : inputIndex.filter((input) => !members.has(input));
      const memberPlans =
        members === null
          ? []
          : blockPlans(inPattern, memberSequence, (input) => members.get(input)!, sheetUrl('members'));
      return memberPlans.concat(
        blockPlans(rest, thumbnails, (input) => inputs.rows.rowOf(input), sheetUrl('thumbnails')),
      );
    },
    averageSheets: async (clusteringId, patternIds) => {
      const order = (await results()).averageImages[clusteringId] ?? [];
      const start = await partStart('average', clusteringId);
      if (start === null) return [];
      return blockPlans(
        patternIds,
        (await sheets()).average,
        (p) => {
          const k = order.indexOf(p);
          return k < 0 ? -1 : start + k;
        },
        sheetUrl('average'),
      );
    },
    featureSheets: async (_runId, layer, rows) => {
      // Exports made before feature visualizations were exported have no such sequence.
      const sequence = (await sheets()).features as SheetSequence | undefined;
      const part = sequence?.parts[layer];
      if (sequence === undefined || part === undefined) return [];
      const [start, count] = part;
      return blockPlans(rows, sequence, (row) => (row < count ? start + row : -1), sheetUrl('features'));
    },
    heatmapSheets: async (clusteringId, patternId, inputIndex) => {
      const start = await partStart('heatmap', clusteringId);
      if (start === null) return [];
      const index = await api.tables.heatmapIndex(clusteringId);
      const rows = new Map<number, number>();
      for (let row = 0; row < index.patternId.length; row++)
        if (index.patternId[row] === patternId) rows.set(index.inputIndex[row]!, start + row);
      return blockPlans(inputIndex, (await sheets()).heatmap, (input) => rows.get(input) ?? -1, sheetUrl('heatmap'));
    },
  };
}
