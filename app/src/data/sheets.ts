/** CSS for images drawn from sprite sheets (the loader: src/results/sheet-loader.ts). */
import type { SheetCell } from '../../../src/results/sheet-loader.js';
import { cellOf } from '../../../src/results/sprites.js';

/** CSS that shows one cell of a sheet scaled to the element's box. */
export function cellStyle(cell: SheetCell): Record<string, string> {
  const { column, row } = cellOf(cell.grid, cell.cell);
  const at = (i: number, n: number) => (n <= 1 ? '0%' : `${(i / (n - 1)) * 100}%`);
  return {
    backgroundImage: `url("${cell.url}")`,
    backgroundSize: `${cell.grid.columns * 100}% ${cell.grid.rows * 100}%`,
    backgroundPosition: `${at(column, cell.grid.columns)} ${at(row, cell.grid.rows)}`,
  };
}
