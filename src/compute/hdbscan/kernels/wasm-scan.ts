/**
 * The screening scan in WebAssembly SIMD: for one row of a tile it finds the columns j with
 *   s = (rowNorm + colNorm[j]) - 2 * tile[j]  <  rowBar   or   s < colBar[j],
 * computing s in float64 exactly as the JavaScript fallback does, two columns per f64x2 lane pair,
 * and writes their indices to `hits`. Callers re-check each hit in JavaScript, so a stale (too
 * high) bar only costs a spurious hit, never a missed one.
 *
 * The module is assembled here byte by byte (a few dozen instructions) so that it needs no
 * toolchain; `scanRowJs` is the same function in JavaScript, used to test it and as a fallback.
 */

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

/** The slice of the WebAssembly JavaScript API used here (the project's TypeScript libs omit it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

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

// ---- a minimal WebAssembly assembler -------------------------------------------------------

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signed(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

function f64Bytes(value: number): number[] {
  return Array.from(new Uint8Array(Float64Array.of(value).buffer));
}

function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsigned(content.length), ...content];
}

const op = {
  localGet: (i: number) => [0x20, ...unsigned(i)],
  localSet: (i: number) => [0x21, ...unsigned(i)],
  localTee: (i: number) => [0x22, ...unsigned(i)],
  i32Const: (v: number) => [0x41, ...signed(v)],
  f64Const: (v: number) => [0x44, ...f64Bytes(v)],
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32GtS: [0x4a],
  i32GeS: [0x4e],
  i32Or: [0x72],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Lt: [0x63],
  f64Load: (offset: number) => [0x2b, 3, ...unsigned(offset)],
  f32Load: (offset: number) => [0x2a, 2, ...unsigned(offset)],
  f64PromoteF32: [0xbb],
  i32Store: [0x36, 2, 0],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...unsigned(depth)],
  brIf: (depth: number) => [0x0d, ...unsigned(depth)],
  call: (index: number) => [0x10, ...unsigned(index)],
  simd: (code: number, ...immediates: number[]) => [0xfd, ...unsigned(code), ...immediates],
};

const simd = {
  load: (offset: number) => op.simd(0x00, 4, ...unsigned(offset)),
  load64Zero: (offset: number) => op.simd(0x5d, 3, ...unsigned(offset)),
  f64x2Splat: op.simd(0x14),
  f64x2Add: op.simd(0xf0),
  f64x2Sub: op.simd(0xf1),
  f64x2Mul: op.simd(0xf2),
  f64x2Lt: op.simd(0x49),
  f64x2PromoteLow: op.simd(0x5f),
  or: op.simd(0x50),
  anyTrue: op.simd(0x53),
};

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
  const imports = section(
    2,
    vector([
      [
        ...vector([...'env'].map((c) => [c.charCodeAt(0)])),
        ...vector([...'memory'].map((c) => [c.charCodeAt(0)])),
        0x02,
        0x00,
        0x01,
      ],
    ]),
  );
  const functions = section(3, vector([[1], [0]]));
  const exports = section(7, vector([[...vector([...'scanRow'].map((c) => [c.charCodeAt(0)])), 0x00, 0x01]]));
  const bodies = [scalarBody(), vectorBody()].map((body) => [...unsigned(body.length), ...body]);
  const code = section(10, vector(bodies));
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...types,
    ...imports,
    ...functions,
    ...exports,
    ...code,
  ]);
}

let compiled: object | null | undefined;

/** The SIMD scanner over a fresh memory of at least `bytes`, or undefined where WebAssembly SIMD is unavailable. */
export function createWasmScanner(bytes: number): WasmScanner | undefined {
  if (compiled === undefined) {
    const binary = assemble();
    compiled = wasm?.validate(binary) ? new wasm.Module(binary) : null;
  }
  if (compiled === null || !wasm) return undefined;
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const instance = new wasm.Instance(compiled, { env: { memory } });
  return { memory, scanRow: instance.exports.scanRow as ScanRow };
}
