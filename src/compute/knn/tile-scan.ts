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
  prepareLeafColumns(workspace, ids, norms, lists);
  scanLeafBand(workspace, ids, 0, ids.length, lists, unseen);
}

/** Writes the norms and admission bars of a leaf's rows to the workspace's columns (see scanLeafBand). */
export function prepareLeafColumns(
  workspace: ScanWorkspace,
  ids: Int32Array,
  norms: Float64Array,
  lists: NeighbourLists,
): void {
  const columnNorms = workspace.norms;
  const columnBars = workspace.bars;
  for (let j = 0; j < ids.length; j++) {
    columnNorms[j] = norms[ids[j]!]!;
    columnBars[j] = lists.bar(ids[j]!);
  }
}

/**
 * Offers the pairs (i, j), first <= i < end and i < j, of a leaf whose columns prepareLeafColumns
 * set up, to both rows' lists, from the tile of its rows [first, end) by its rows [first, size)
 * (row-major, size - first wide). Bands taken in order offer the same pairs in the same order as
 * one band of the whole leaf, and their tiles hold only the upper triangle's blocks.
 */
export function scanLeafBand(
  workspace: ScanWorkspace,
  ids: Int32Array,
  first: number,
  end: number,
  lists: NeighbourLists,
  unseen: boolean,
): void {
  const width = ids.length - first;
  const { tile, hits } = workspace;
  const columnNorms = workspace.norms;
  const columnBars = workspace.bars;
  for (let i = first; i < end; i++) {
    const row = ids[i]!;
    const rowNorm = columnNorms[i]!;
    const offset = (i - first) * width;
    const found = workspace.scanRow(offset, width, i + 1 - first, rowNorm, lists.bar(row), first);
    for (let h = 0; h < found; h++) {
      const j = first + hits[h]!;
      const other = ids[j]!;
      const key = rowNorm + columnNorms[j]! - 2 * tile[offset + j - first]!;
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
