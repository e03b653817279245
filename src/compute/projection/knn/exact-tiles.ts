import type { NeighborHeaps } from './neighbor-heaps.js';
import type { SearchRows } from './neighbor-graph.js';

/** Rows per tile side: 256 rows of 64 float32 values (64 KiB) stay in L2 next to the other side. */
export const TILE_ROWS = 256;

/** Number of tiles (I, J), I <= J, that cover every unordered pair of rows once. */
export function tileCount(count: number): number {
  const blocks = Math.ceil(count / TILE_ROWS);
  return (blocks * (blocks + 1)) / 2;
}

/**
 * Offers every pair of rows in tile `index` (in the order of the upper-triangle enumeration
 * (0,0), (0,1), ..., (1,1), ...) to both rows' heaps. Each unordered pair lives in exactly one tile,
 * so callers that split tiles between threads never offer a pair twice.
 */
export function scanTileAt(rows: SearchRows, heaps: NeighborHeaps, index: number): void {
  const blocks = Math.ceil(rows.count / TILE_ROWS);
  let bi = 0;
  let remaining = index;
  while (remaining >= blocks - bi) {
    remaining -= blocks - bi;
    bi++;
  }
  const bj = bi + remaining;
  const aEnd = Math.min(rows.count, (bi + 1) * TILE_ROWS);
  const bEnd = Math.min(rows.count, (bj + 1) * TILE_ROWS);
  scanTile(rows, heaps, bi * TILE_ROWS, aEnd, bj * TILE_ROWS, bEnd);
}

/**
 * All pairs (a, b) with a in [aStart, aEnd), b in [bStart, bEnd) and b > a, in register blocks of
 * 2 x 4 dot products (each loaded value feeds 2 or 4 multiply-adds). A block that runs past the end
 * re-reads the last row and drops those results.
 */
function scanTile(rows: SearchRows, heaps: NeighborHeaps, aStart: number, aEnd: number, bStart: number, bEnd: number): void {
  const { data, dim } = rows;
  const lastB = bEnd - 1;
  for (let a = aStart; a < aEnd; a += 2) {
    const a0 = a * dim;
    const a1 = Math.min(a + 1, aEnd - 1) * dim;
    const firstB = Math.max(bStart, a + 1);
    for (let b = firstB - ((firstB - bStart) & 3); b < bEnd; b += 4) {
      const b0 = b * dim;
      const b1 = Math.min(b + 1, lastB) * dim;
      const b2 = Math.min(b + 2, lastB) * dim;
      const b3 = Math.min(b + 3, lastB) * dim;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let k = 0; k < dim; k++) {
        const x0 = data[a0 + k];
        const x1 = data[a1 + k];
        const y0 = data[b0 + k];
        const y1 = data[b1 + k];
        const y2 = data[b2 + k];
        const y3 = data[b3 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      const a1Row = a + 1 < aEnd ? a + 1 : -1;
      offerPair(rows, heaps, a, b, bEnd, s00);
      offerPair(rows, heaps, a, b + 1, bEnd, s01);
      offerPair(rows, heaps, a, b + 2, bEnd, s02);
      offerPair(rows, heaps, a, b + 3, bEnd, s03);
      if (a1Row < 0) continue;
      offerPair(rows, heaps, a1Row, b, bEnd, s10);
      offerPair(rows, heaps, a1Row, b + 1, bEnd, s11);
      offerPair(rows, heaps, a1Row, b + 2, bEnd, s12);
      offerPair(rows, heaps, a1Row, b + 3, bEnd, s13);
    }
  }
}

function offerPair(rows: SearchRows, heaps: NeighborHeaps, row: number, column: number, columnEnd: number, dot: number): void {
  if (column <= row || column >= columnEnd) return;
  const key = rows.offsets[row] + rows.offsets[column] - rows.dotWeight * dot;
  heaps.offer(row, key, column);
  heaps.offer(column, key, row);
}
