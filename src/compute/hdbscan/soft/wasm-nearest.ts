/**
 * The float64 re-measure of the soft memberships' screened exemplars in WebAssembly SIMD: the smallest
 * euclidean distance from one float64 row to the listed rows of a float64 matrix, for a width that is a
 * multiple of 4. Each f64x2 lane pair keeps one of row-metric.ts's four running sums (terms k mod 4), with
 * a separate multiply and add, and the four are added in its order: the same bits as the JavaScript loop.
 *
 * The module is assembled byte by byte (see wasm/assembler.ts).
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

/**
 * nearest(point, rows, candidates, count, rowBytes) -> the smallest distance from the row at byte `point` to
 * rows `candidates[0 .. count)` (int32 row numbers at byte `candidates`) of the matrix at byte `rows`, rows
 * `rowBytes` apart (8 x width, a multiple of 32); Infinity when count is 0.
 */
export type NearestRow = (point: number, rows: number, candidates: number, count: number, rowBytes: number) => number;

export interface WasmNearest {
  memory: WasmMemory;
  nearest: NearestRow;
}

const P = { point: 0, rows: 1, candidates: 2, count: 3, rowBytes: 4 };
const L = { c: 5, k: 6, rowAt: 7, low: 8, high: 9, d: 10, best: 11, s: 12 };

/** acc = acc + (v128.load(point + k + offset) - v128.load(rowAt + k + offset))^2, lane by lane. */
function accumulate(acc: number, offset: number): number[] {
  return [
    ...op.localGet(acc),
    ...op.localGet(P.point),
    ...op.localGet(L.k),
    ...op.i32Add,
    ...simd.load(offset),
    ...op.localGet(L.rowAt),
    ...op.localGet(L.k),
    ...op.i32Add,
    ...simd.load(offset),
    ...simd.f64x2Sub,
    ...op.localTee(L.d),
    ...op.localGet(L.d),
    ...simd.f64x2Mul,
    ...simd.f64x2Add,
    ...op.localSet(acc),
  ];
}

function body(): number[] {
  const code = [
    ...op.f64Const(Infinity),
    ...op.localSet(L.best),
    ...op.block,
    ...op.loop,
    ...op.localGet(L.c),
    ...op.localGet(P.count),
    ...op.i32GeS,
    ...op.brIf(1),
    // rowAt = rows + candidates[c] * rowBytes
    ...op.localGet(P.candidates),
    ...op.localGet(L.c),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.i32Load(0),
    ...op.localGet(P.rowBytes),
    ...op.i32Mul,
    ...op.localGet(P.rows),
    ...op.i32Add,
    ...op.localSet(L.rowAt),
    ...op.f64Const(0),
    ...simd.f64x2Splat,
    ...op.localTee(L.low),
    ...op.localSet(L.high),
    ...op.i32Const(0),
    ...op.localSet(L.k),
    ...op.block,
    ...op.loop,
    ...op.localGet(L.k),
    ...op.localGet(P.rowBytes),
    ...op.i32GeS,
    ...op.brIf(1),
    ...accumulate(L.low, 0),
    ...accumulate(L.high, 16),
    ...op.localGet(L.k),
    ...op.i32Const(32),
    ...op.i32Add,
    ...op.localSet(L.k),
    ...op.br(0),
    ...op.end,
    ...op.end,
    // s = sqrt(((s0 + s1) + s2) + s3)
    ...op.localGet(L.low),
    ...simd.f64x2ExtractLane(0),
    ...op.localGet(L.low),
    ...simd.f64x2ExtractLane(1),
    ...op.f64Add,
    ...op.localGet(L.high),
    ...simd.f64x2ExtractLane(0),
    ...op.f64Add,
    ...op.localGet(L.high),
    ...simd.f64x2ExtractLane(1),
    ...op.f64Add,
    ...op.f64Sqrt,
    ...op.localTee(L.s),
    ...op.localGet(L.best),
    ...op.f64Lt,
    ...op.if,
    ...op.localGet(L.s),
    ...op.localSet(L.best),
    ...op.end,
    ...op.localGet(L.c),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.localSet(L.c),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.localGet(L.best),
  ];
  const locals = vector([
    [3, I32],
    [3, V128],
    [2, F64],
  ]);
  return [...locals, ...code, ...op.end];
}

function assemble(): Uint8Array {
  const types = section(1, vector([[0x60, ...vector([I32, I32, I32, I32, I32].map((p) => [p])), ...vector([[F64]])]]));
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]));
  const functions = section(3, vector([[0]]));
  const exports = section(7, vector([[...name('nearest'), 0x00, 0x00]]));
  const bytes = body();
  const code = section(10, vector([[...unsigned(bytes.length), ...bytes]]));
  return moduleBinary(types, imports, functions, exports, code);
}

const compiledModule = lazyModule(assemble);

/** The kernel over a fresh memory of at least `bytes`, or undefined where WebAssembly SIMD is unavailable. */
export function createWasmNearest(bytes: number): WasmNearest | undefined {
  const compiled = compiledModule();
  if (compiled === null || !wasm) return undefined;
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const instance = new wasm.Instance(compiled, { env: { memory } });
  return { memory, nearest: instance.exports.nearest as NearestRow };
}
