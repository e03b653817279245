/**
 * Sprite sheets: many equally sized images in one PNG, so that a gallery of hundreds of tiles costs a few
 * requests. A sheet is a grid of at most SHEET_COLUMNS columns; cell k (row-major) holds the k-th image.
 * `nap serve` makes sheets of thumbnails for a list of inputs; a static export holds sheets of thumbnails,
 * average images and heatmaps written once. Browser-safe: shared by the server, the exporter and the app.
 */

/** Cells per sheet row. */
export const SHEET_COLUMNS = 16;
/** Cells in one sheet: 16 x 16, a 1024 x 1024 PNG of 64-pixel thumbnails. */
export const SHEET_CELLS = 256;

export interface SheetGrid {
  columns: number;
  rows: number;
}

/** The grid of a sheet of `cells` images: one row when they fit, else SHEET_COLUMNS wide. */
export function sheetGrid(cells: number): SheetGrid {
  const columns = Math.max(1, Math.min(cells, SHEET_COLUMNS));
  return { columns, rows: Math.max(1, Math.ceil(cells / columns)) };
}

/** Column and row of cell `cell` in a sheet of `grid`. */
export function cellOf(grid: SheetGrid, cell: number): { column: number; row: number } {
  return { column: cell % grid.columns, row: Math.floor(cell / grid.columns) };
}

/** Sheets of a sequence of `count` images cut into SHEET_CELLS blocks: sheet s holds images s*SHEET_CELLS.. */
export function blockSheets(count: number): number {
  return Math.ceil(count / SHEET_CELLS);
}

/**
 * The order of a clustering's member sheets in a static export: the rows of its memberships table whose
 * pattern is 0 or more, by pattern then input index, so a pattern's gallery lies on one sheet or a few
 * consecutive ones (its members' thumbnails are scattered over the input-order sheets).
 */
export function memberSheetOrder(patternId: ArrayLike<number>, inputIndex: ArrayLike<number>): number[] {
  const rows: number[] = [];
  for (let row = 0; row < patternId.length; row++) if (patternId[row]! >= 0) rows.push(row);
  return rows.sort((a, b) => patternId[a]! - patternId[b]! || inputIndex[a]! - inputIndex[b]!);
}

/** Where image `position` of a sequence of `count` lies: its block sheet, that sheet's grid and its cell. */
export function blockCell(position: number, count: number): { sheet: number; grid: SheetGrid; cell: number } {
  const sheet = Math.floor(position / SHEET_CELLS);
  const cells = Math.min(SHEET_CELLS, count - sheet * SHEET_CELLS);
  return { sheet, grid: sheetGrid(cells), cell: position - sheet * SHEET_CELLS };
}
