/**
 * The screening scan in WebAssembly SIMD: for one row of a tile it finds the columns j with
 *   s = (rowNorm + colNorm[j]) - 2 * tile[j]  <  rowBar   or   s < colBar[j],
 * computing s in float64 exactly as the JavaScript fallback does, two columns per f64x2 lane pair,
 * and writes their indices to `hits`. Callers re-check each hit in JavaScript, so a stale (too
 * high) bar only costs a spurious hit, never a missed one.
 *
 * The module is assembled byte by byte (a few dozen instructions; see wasm/assembler.ts); `scanRowJs` is the same function in JavaScript, used to test it and as a fallback.
 */

import {
  F64,
  I32,
  lazyModule,
  moduleBinary,
  name,
  op,
  section,
  simd,
  unsigned,
  V128,
  vector,
  wasm,
  type WasmMemory,
} from '../../wasm/assembler.js';

export type ScanRow = (
  tile: number,
  n: number,
  start: number,
  rowNorm: number,
  rowBar: number,
  colNorm: number,
  colBar: number,
  hits: number,
) => number;

export interface WasmScanner {
  memory: WasmMemory;
  /** Byte offsets are into `memory`; returns the number of hits written. */
  scanRow: ScanRow;
}

/** Reference semantics of the kernel on plain arrays (element, not byte, offsets). */
export function scanRowJs(
  tile: Float32Array,
  tileStart: number,
  n: number,
  start: number,
  rowNorm: number,
  rowBar: number,
  colNorm: Float64Array,
  colBar: Float64Array,
  colStart: number,
  hits: Int32Array,
): number {
  let count = 0;
  for (let j = start; j < n; j++) {
    const s = rowNorm + colNorm[colStart + j]! - 2 * tile[tileStart + j]!;
    if (s < rowBar || s < colBar[colStart + j]!) hits[count++] = j;
  }
  return count;
}

// Parameters shared by both functions: 0 tile, 1 n, 2 start, 3 rowNorm, 4 rowBar, 5 colNorm,
// 6 colBar, 7 hits. The scalar helper has an extra 8 = hit count in, and returns the new count.
const P = { tile: 0, n: 1, start: 2, rowNorm: 3, rowBar: 4, colNorm: 5, colBar: 6, hits: 7 };

/** scalar(tile, end, k, rowNorm, rowBar, colNorm, colBar, hits, count) -> count: columns k..end-1. */
function scalarBody(): number[] {
  const count = 8;
  const s = 9;
  const address = (base: number, shift: number) => [
    ...op.localGet(base),
    ...op.localGet(P.start),
    ...op.i32Const(shift),
    ...op.i32Shl,
    ...op.i32Add,
  ];
  const code = [
    ...op.block,
    ...op.loop,
    ...op.localGet(P.start),
    ...op.localGet(P.n),
    ...op.i32GeS,
    ...op.brIf(1),
    // s = (rowNorm + colNorm[k]) - 2 * tile[k]
    ...op.localGet(P.rowNorm),
    ...address(P.colNorm, 3),
    ...op.f64Load(0),
    ...op.f64Add,
    ...op.f64Const(2),
    ...address(P.tile, 2),
    ...op.f32Load(0),
    ...op.f64PromoteF32,
    ...op.f64Mul,
    ...op.f64Sub,
    ...op.localTee(s),
    ...op.localGet(P.rowBar),
    ...op.f64Lt,
    ...op.localGet(s),
    ...address(P.colBar, 3),
    ...op.f64Load(0),
    ...op.f64Lt,
    ...op.i32Or,
    ...op.if,
    ...op.localGet(P.hits),
    ...op.localGet(count),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.localGet(P.start),
    ...op.i32Store,
    ...op.localGet(count),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.localSet(count),
    ...op.end,
    ...op.localGet(P.start),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.localSet(P.start),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.localGet(count),
  ];
  return [...vector([[1, F64]]), ...code, ...op.end];
}

/** scanRow: four columns per iteration with f64x2 lanes; any hit among them re-checks the four in scalar code. */
function vectorBody(): number[] {
  const count = 8;
  const rowNorm = 9;
  const rowBar = 10;
  const two = 11;
  const s = 12;
  const tileAt = 13;
  const normAt = 14;
  const barAt = 15;
  const j = P.start;
  const pair = (tileOffset: number, laneOffset: number) => [
    ...op.localGet(rowNorm),
    ...op.localGet(normAt),
    ...simd.load(laneOffset),
    ...simd.f64x2Add,
    ...op.localGet(two),
    ...op.localGet(tileAt),
    ...simd.load64Zero(tileOffset),
    ...simd.f64x2PromoteLow,
    ...simd.f64x2Mul,
    ...simd.f64x2Sub,
    ...op.localTee(s),
    ...op.localGet(rowBar),
    ...simd.f64x2Lt,
    ...op.localGet(s),
    ...op.localGet(barAt),
    ...simd.load(laneOffset),
    ...simd.f64x2Lt,
    ...simd.or,
  ];
  const scalarCall = (end: number[]) => [
    ...op.localGet(P.tile),
    ...end,
    ...op.localGet(j),
    ...op.localGet(P.rowNorm),
    ...op.localGet(P.rowBar),
    ...op.localGet(P.colNorm),
    ...op.localGet(P.colBar),
    ...op.localGet(P.hits),
    ...op.localGet(count),
    ...op.call(0),
    ...op.localSet(count),
  ];
  const code = [
    ...op.localGet(P.rowNorm),
    ...simd.f64x2Splat,
    ...op.localSet(rowNorm),
    ...op.localGet(P.rowBar),
    ...simd.f64x2Splat,
    ...op.localSet(rowBar),
    ...op.f64Const(2),
    ...simd.f64x2Splat,
    ...op.localSet(two),
    ...op.block,
    ...op.loop,
    ...op.localGet(j),
    ...op.i32Const(4),
    ...op.i32Add,
    ...op.localGet(P.n),
    ...op.i32GtS,
    ...op.brIf(1),
    ...op.localGet(P.tile),
    ...op.localGet(j),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.localSet(tileAt),
    ...op.localGet(P.colNorm),
    ...op.localGet(j),
    ...op.i32Const(3),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.localSet(normAt),
    ...op.localGet(P.colBar),
    ...op.localGet(j),
    ...op.i32Const(3),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.localSet(barAt),
    ...pair(0, 0),
    ...pair(8, 16),
    ...simd.or,
    ...simd.anyTrue,
    ...op.if,
    ...scalarCall([...op.localGet(j), ...op.i32Const(4), ...op.i32Add]),
    ...op.end,
    ...op.localGet(j),
    ...op.i32Const(4),
    ...op.i32Add,
    ...op.localSet(j),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...scalarCall(op.localGet(P.n)),
    ...op.localGet(count),
  ];
  const locals = vector([
    [1, I32],
    [3, V128],
    [1, V128],
    [3, I32],
  ]);
  return [...locals, ...code, ...op.end];
}

function assemble(): Uint8Array {
  const params = [I32, I32, I32, F64, F64, I32, I32, I32];
  const types = section(
    1,
    vector([
      [0x60, ...vector(params.map((p) => [p])), ...vector([[I32]])],
      [0x60, ...vector([...params, I32].map((p) => [p])), ...vector([[I32]])],
    ]),
  );
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]));
  const functions = section(3, vector([[1], [0]]));
  const exports = section(7, vector([[...name('scanRow'), 0x00, 0x01]]));
  const bodies = [scalarBody(), vectorBody()].map((body) => [...unsigned(body.length), ...body]);
  const code = section(10, vector(bodies));
  return moduleBinary(types, imports, functions, exports, code);
}

const compiledModule = lazyModule(assemble);

/** The SIMD scanner over a fresh memory of at least `bytes`, or undefined where WebAssembly SIMD is unavailable. */
export function createWasmScanner(bytes: number): WasmScanner | undefined {
  const compiled = compiledModule();
  if (compiled === null || !wasm) return undefined;
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const instance = new wasm.Instance(compiled, { env: { memory } });
  return { memory, scanRow: instance.exports.scanRow as ScanRow };
}
