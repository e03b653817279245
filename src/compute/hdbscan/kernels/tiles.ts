import type { DotKernel } from './ort-dot.js';
import { manhattanTile } from './ort-dot.js';
import type { Screen } from './screen.js';

/** Fills `out` (m x n, row-major) with the screen's tile values for the given row and column vectors. */
export type TileFiller = (rows: Float32Array, m: number, cols: Float32Array, n: number, out: Float32Array) => Promise<void>;

export function tileFiller(screen: Screen, kernel: DotKernel | undefined): TileFiller {
  const { dim } = screen;
  if (screen.tile === 'manhattan') {
    return async (rows, m, cols, n, out) => manhattanTile(rows, m, cols, n, dim, out);
  }
  if (!kernel) throw new Error('a dot-product screen needs a dot kernel');
  return (rows, m, cols, n, out) => kernel.dot(rows, m, cols, n, dim, out);
}

/**
 * Tile edge length: big enough to amortise a GEMM call, small enough that a tile of float32
 * results (edge^2 * 4 bytes) and its operands stay in the last-level cache.
 */
export function tileEdge(dim: number, count: number): number {
  const edge = dim <= 96 ? 2048 : dim <= 768 ? 1024 : 512;
  return Math.max(1, Math.min(edge, count));
}

/** Copies the listed rows of a row-major matrix into `out`, one after another. */
export function gatherRows(source: Float32Array, dim: number, rows: Int32Array, start: number, end: number, out: Float32Array): void {
  for (let r = start, o = 0; r < end; r++, o += dim) {
    const from = rows[r] * dim;
    out.set(source.subarray(from, from + dim), o);
  }
}
