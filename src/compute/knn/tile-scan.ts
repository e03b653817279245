import type { ScanWorkspace } from '../hdbscan/kernels/tiles.js';
import type { NeighbourLists } from './neighbour-lists.js';

/**
 * Offers every pair of one leaf's tile (upper triangle) to both rows' lists; `unseen`: no pair of
 * the leaf was offered before (the first tree's leaves, which are disjoint).
 */
export function scanLeaf(
  workspace: ScanWorkspace,
  ids: Int32Array,
  norms: Float64Array,
  lists: NeighbourLists,
  unseen = false,
): void {
  const size = ids.length;
  const { tile, hits } = workspace;
  const columnNorms = workspace.norms;
  const columnBars = workspace.bars;
  for (let j = 0; j < size; j++) {
    columnNorms[j] = norms[ids[j]!]!;
    columnBars[j] = lists.bar(ids[j]!);
  }
  for (let i = 0; i < size; i++) {
    const row = ids[i]!;
    const rowNorm = columnNorms[i]!;
    const offset = i * size;
    const found = workspace.scanRow(offset, size, i + 1, rowNorm, lists.bar(row), 0);
    for (let h = 0; h < found; h++) {
      const j = hits[h]!;
      const other = ids[j]!;
      const key = rowNorm + columnNorms[j]! - 2 * tile[offset + j]!;
      lists.offer(row, key, other, unseen);
      if (lists.offer(other, key, row, unseen)) columnBars[j] = lists.bar(other);
    }
  }
}

/** Offers every pair of a rows x columns tile (disjoint row sets) to both rows' lists. */
export function scanRectangle(
  workspace: ScanWorkspace,
  rowIds: Int32Array,
  columnIds: Int32Array,
  norms: Float64Array,
  lists: NeighbourLists,
): void {
  const m = rowIds.length;
  const n = columnIds.length;
  const { tile, hits } = workspace;
  const columnNorms = workspace.norms;
  const columnBars = workspace.bars;
  for (let j = 0; j < n; j++) {
    columnNorms[j] = norms[columnIds[j]!]!;
    columnBars[j] = lists.bar(columnIds[j]!);
  }
  for (let i = 0; i < m; i++) {
    const row = rowIds[i]!;
    const rowNorm = norms[row]!;
    const offset = i * n;
    const found = workspace.scanRow(offset, n, 0, rowNorm, lists.bar(row), 0);
    for (let h = 0; h < found; h++) {
      const j = hits[h]!;
      const other = columnIds[j]!;
      const key = rowNorm + columnNorms[j]! - 2 * tile[offset + j]!;
      lists.offer(row, key, other);
      if (lists.offer(other, key, row)) columnBars[j] = lists.bar(other);
    }
  }
}
