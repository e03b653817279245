import type { DotKernel } from './dot-kernel.js';
import type { Screen } from './screen.js';
import { createWasmScanner, scanRowJs, type ScanRow } from './wasm-scan.js';

/** Fills `out` (m x n, row-major) with the screen's tile values for the given row and column vectors. */
export type TileFiller = (
  rows: Float32Array,
  m: number,
  cols: Float32Array,
  n: number,
  out: Float32Array,
) => Promise<void>;

/** The tile kernel of `screen`; `remote` marks a filler that worker threads replace (never called here). */
export function tileFiller(screen: Screen, kernel: DotKernel | undefined, remote = false): TileFiller {
  const { dim } = screen;
  if (screen.tile === 'manhattan') {
    return (rows, m, cols, n, out) => {
      manhattanTile(rows, m, cols, n, dim, out);
      return Promise.resolve();
    };
  }
  if (remote) return () => Promise.reject(new Error('tiles of this pass run on worker threads'));
  if (!kernel) throw new Error('a dot-product screen needs a dot kernel');
  return (rows, m, cols, n, out) => kernel.dot(rows, m, cols, n, dim, out);
}

/**
 * Tile edge length: big enough to amortise a GEMM call, small enough that a tile of float32
 * results (edge^2 * 4 bytes) and its operands stay in the last-level cache.
 */
export function tileEdge(dim: number, count: number): number {
  const edge = dim <= 96 ? 2048 : 1024;
  return Math.max(1, Math.min(edge, count));
}

/**
 * The buffers one pass scans, laid out in one WebAssembly memory so the SIMD scanner can read them
 * (plain arrays where WebAssembly SIMD is unavailable): `norms` and `bars` (per column: the norm
 * term of s and the value s must undercut), a tile of `edge^2` float32 values, and the hit list.
 */
export class ScanWorkspace {
  readonly norms: Float64Array;
  readonly bars: Float64Array;
  readonly tile: Float32Array;
  readonly hits: Int32Array;
  private readonly wasmScan: ScanRow | undefined;
  private readonly tileByte: number;
  private readonly normsByte: number;
  private readonly barsByte: number;
  private readonly hitsByte: number;

  constructor(columns: number, edge: number, useWasm = true) {
    this.normsByte = 0;
    this.barsByte = 8 * columns;
    this.hitsByte = 16 * columns;
    this.tileByte = this.hitsByte + 4 * edge + 16;
    const scanner = useWasm ? createWasmScanner(this.tileByte + 4 * edge * edge) : undefined;
    const buffer = scanner?.memory.buffer ?? new ArrayBuffer(this.tileByte + 4 * edge * edge);
    this.norms = new Float64Array(buffer, this.normsByte, columns);
    this.bars = new Float64Array(buffer, this.barsByte, columns);
    this.hits = new Int32Array(buffer, this.hitsByte, edge);
    this.tile = new Float32Array(buffer, this.tileByte, edge * edge);
    this.wasmScan = scanner?.scanRow;
  }

  /**
   * Writes to `hits` the j in [start, n) with s = (rowNorm + norms[col + j]) - 2 tile[at + j]
   * below `rowBar` or below `bars[col + j]`; returns how many.
   */
  scanRow(at: number, n: number, start: number, rowNorm: number, rowBar: number, col: number): number {
    if (this.wasmScan) {
      return this.wasmScan(
        this.tileByte + 4 * at,
        n,
        start,
        rowNorm,
        rowBar,
        this.normsByte + 8 * col,
        this.barsByte + 8 * col,
        this.hitsByte,
      );
    }
    return scanRowJs(this.tile, at, n, start, rowNorm, rowBar, this.norms, this.bars, col, this.hits);
  }
}

/**
 * The manhattan tile: exact float64 L1 sums in the reference's order, stored as -d/2 so that the
 * shared screening formula s = 0 + 0 - 2 t gives s = d (rounded to float32).
 */
export function manhattanTile(
  rows: Float32Array,
  m: number,
  cols: Float32Array,
  n: number,
  dim: number,
  out: Float32Array,
): void {
  for (let i = 0; i < m; i++) {
    const a = i * dim;
    for (let j = 0; j < n; j++) {
      const b = j * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += Math.abs(rows[a + k]! - cols[b + k]!);
      out[i * n + j] = -0.5 * sum;
    }
  }
}
