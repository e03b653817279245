/**
 * Sprite sheets: many equally sized images in one PNG, so that a gallery of hundreds of tiles costs a few
 * requests. A sheet is a grid of at most SHEET_COLUMNS columns (more for a static export's larger sheets);
 * cell k (row-major) holds the k-th image. `nap serve` makes sheets of thumbnails for a list of inputs; a
 * static export holds sheets of thumbnails, pattern members, average images and heatmaps written once, each
 * kind one sequence cut into sheets of a size chosen so that the kind's files stay under a budget.
 * Browser-safe: shared by the server, the exporter and the app.
 */

/** Cells per sheet row. */
export const SHEET_COLUMNS = 16;
/** Cells in one sheet: 16 x 16, a 1024 x 1024 PNG of 64-pixel thumbnails. */
export const SHEET_CELLS = 256;
/** The sheet sizes of a static export, each square (16, 32, 64 and 128 columns); the smallest that fits wins. */
export const SHEET_SIZES = [SHEET_CELLS, 4 * SHEET_CELLS, 16 * SHEET_CELLS, 64 * SHEET_CELLS] as const;
/** The most pixels a sheet larger than SHEET_CELLS may have: 4096 x 4096 (64 MiB decoded as RGBA). */
export const MAX_SHEET_PIXELS = 4096 * 4096;

export interface SheetGrid {
  columns: number;
  rows: number;
}

/** The grid of a sheet of `cells` images: one row when they fit, else `columns` wide. */
export function sheetGrid(cells: number, columns: number = SHEET_COLUMNS): SheetGrid {
  const width = Math.max(1, Math.min(cells, columns));
  return { columns: width, rows: Math.max(1, Math.ceil(cells / width)) };
}

/** Columns of a full sheet of `sheetCells` (one of SHEET_SIZES): a square grid. */
export function sheetColumns(sheetCells: number): number {
  return Math.max(SHEET_COLUMNS, Math.round(Math.sqrt(sheetCells)));
}

/**
 * Cells per sheet for a sequence of `count` images of `cellPixels` pixels each: the smallest of SHEET_SIZES
 * that cuts it into at most `maxSheets` sheets, or the largest whose sheets stay within MAX_SHEET_PIXELS.
 */
export function sheetCellsFor(count: number, cellPixels: number, maxSheets: number): number {
  const allowed = SHEET_SIZES.filter((cells) => cells === SHEET_CELLS || cells * cellPixels <= MAX_SHEET_PIXELS);
  return allowed.find((cells) => Math.ceil(count / cells) <= maxSheets) ?? allowed[allowed.length - 1]!;
}

/** Column and row of cell `cell` in a sheet of `grid`. */
export function cellOf(grid: SheetGrid, cell: number): { column: number; row: number } {
  return { column: cell % grid.columns, row: Math.floor(cell / grid.columns) };
}

/** Sheets of a sequence of `count` images cut into blocks of `sheetCells`: sheet s holds images s*sheetCells.. */
export function blockSheets(count: number, sheetCells: number = SHEET_CELLS): number {
  return Math.ceil(count / sheetCells);
}

/** Positions of sheet `sheet` of a sequence of `count` images cut into blocks of `sheetCells`. */
export function blockPositions(count: number, sheet: number, sheetCells: number = SHEET_CELLS): number[] {
  const start = sheet * sheetCells;
  return Array.from({ length: Math.max(0, Math.min(sheetCells, count - start)) }, (_, k) => start + k);
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

/**
 * Where image `position` of a sequence of `count` cut into blocks of `sheetCells` lies: its block sheet,
 * that sheet's grid and its cell.
 */
export function blockCell(
  position: number,
  count: number,
  sheetCells: number = SHEET_CELLS,
): { sheet: number; grid: SheetGrid; cell: number } {
  const sheet = Math.floor(position / sheetCells);
  const cells = Math.min(sheetCells, count - sheet * sheetCells);
  return { sheet, grid: sheetGrid(cells, sheetColumns(sheetCells)), cell: position - sheet * sheetCells };
}
