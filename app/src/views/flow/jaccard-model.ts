/**
 * What the Jaccard matrix draws: the patterns of each side kept (the k largest by size or persistence, or
 * all), seriated so that patterns sharing members sit near each other, noise last when shown, and the
 * nonzero cells between them with each row's best column.
 */
import type { LayerFlowResponse } from '../../../../src/results/api-types.js';
import { seriate, topK, type WeightedCell } from '../../../../src/results/seriation.js';

export type RankBy = 'size' | 'persistence';

export interface MatrixCell {
  /** Positions in the drawn rows and columns. */
  i: number;
  j: number;
  jaccard: number;
  count: number;
  /** The largest value of its row (not noise): outlined. */
  best: boolean;
}

export interface JaccardModel {
  /** Pattern ids of the rows (from-layer) and columns (to-layer) in drawing order; -1 is noise. */
  rows: number[];
  cols: number[];
  cells: MatrixCell[];
  max: number;
}

export interface ModelOptions {
  k: number;
  rankBy: RankBy;
  noise: boolean;
  /** Persistence of each pattern of the rows' and the columns' layers, by pattern id. */
  rowPersistence: readonly number[];
  colPersistence: readonly number[];
}

export function jaccardModel(flow: LayerFlowResponse, options: ModelOptions): JaccardModel {
  const rowCount = flow.from.patternCount;
  const colCount = flow.to.patternCount;
  const stride = colCount + 1;
  const ids = (n: number) => Array.from({ length: n }, (_, p) => p);
  const rank = (sums: readonly number[], persistence: readonly number[]) => (p: number) =>
    options.rankBy === 'size' ? sums[p]! : (persistence[p] ?? 0);
  const keptRows = topK(ids(rowCount), rank(flow.rowSums, options.rowPersistence), options.k);
  const keptCols = topK(ids(colCount), rank(flow.colSums, options.colPersistence), options.k);
  const colSet = new Set(keptCols);
  const weighted: WeightedCell[] = [];
  for (const row of keptRows) {
    for (let col = 0; col < colCount; col++) {
      const jaccard = flow.jaccard[row * stride + col]!;
      if (jaccard > 0 && colSet.has(col)) weighted.push({ row, col, weight: jaccard });
    }
  }
  const order = seriate(keptRows, keptCols, weighted);
  const rows = options.noise ? [...order.rows, -1] : order.rows;
  const cols = options.noise ? [...order.cols, -1] : order.cols;
  const colAt = new Map(cols.map((c, j) => [c, j]));
  const cells: MatrixCell[] = [];
  let max = 0;
  rows.forEach((row, i) => {
    const r = row < 0 ? rowCount : row;
    let best: MatrixCell | undefined;
    for (let col = 0; col <= colCount; col++) {
      const at = r * stride + col;
      if (flow.counts[at] === 0) continue;
      const j = colAt.get(col === colCount ? -1 : col);
      if (j === undefined) continue;
      const cell = { i, j, jaccard: flow.jaccard[at]!, count: flow.counts[at]!, best: false };
      cells.push(cell);
      max = Math.max(max, cell.jaccard);
      if (row >= 0 && col < colCount && cell.jaccard > (best?.jaccard ?? 0)) best = cell;
    }
    if (best) best.best = true;
  });
  return { rows, cols, cells, max };
}
