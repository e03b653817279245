/**
 * A minimal WebAssembly assembler, so that the project's few SIMD kernels (the HDBSCAN* screening
 * scan, the NN-descent distances) are written here byte by byte and need no toolchain.
 */

/** The slice of the WebAssembly JavaScript API used here (the project's TypeScript libs omit it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
export const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function signed(value: number): number[] {
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

export function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

export function section(id: number, content: number[]): number[] {
  return [id, ...unsigned(content.length), ...content];
}

/** A name as the binary format spells it (length, then UTF-8 bytes; ASCII here). */
export function name(text: string): number[] {
  return vector([...text].map((c) => [c.charCodeAt(0)]));
}

/** The module's header, magic number and version 1, before its sections. */
export const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module's binary: the header, then its sections (in the order the format requires: type, import, function, export, code). */
export function moduleBinary(...sections: number[][]): Uint8Array {
  return Uint8Array.from([...MODULE_HEADER, ...sections.flat()]);
}

/**
 * The module `assemble` makes, compiled once per thread on first use; null where it cannot be (no
 * WebAssembly, or a feature it uses such as SIMD or shared memory missing), so that callers fall back.
 */
export function lazyModule(assemble: () => Uint8Array): () => object | null {
  let compiled: object | null | undefined;
  return () => {
    if (compiled === undefined) {
      const binary = assemble();
      try {
        compiled = wasm?.validate(binary) ? new wasm.Module(binary) : null;
      } catch {
        compiled = null;
      }
    }
    return compiled;
  };
}

export const op = {
  localGet: (i: number) => [0x20, ...unsigned(i)],
  localSet: (i: number) => [0x21, ...unsigned(i)],
  localTee: (i: number) => [0x22, ...unsigned(i)],
  i32Const: (v: number) => [0x41, ...signed(v)],
  f64Const: (v: number) => [0x44, ...f64Bytes(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Xor: [0x73],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32ShrU: [0x76],
  i32Eq: [0x46],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32GeS: [0x4e],
  i32LtU: [0x49],
  i32Or: [0x72],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f64Min: [0xa4],
  f64Max: [0xa5],
  f64Neg: [0x9a],
  f64Floor: [0x9c],
  f64Trunc: [0x9d],
  f64Sqrt: [0x9f],
  f64Lt: [0x63],
  f64Gt: [0x64],
  f64Le: [0x65],
  f64Ge: [0x66],
  f64Load: (offset: number) => [0x2b, 3, ...unsigned(offset)],
  f32Load: (offset: number) => [0x2a, 2, ...unsigned(offset)],
  i32Load: (offset: number) => [0x28, 2, ...unsigned(offset)],
  f32Store: (offset: number) => [0x38, 2, ...unsigned(offset)],
  f64PromoteF32: [0xbb],
  f32DemoteF64: [0xb6],
  i32ReinterpretF32: [0xbc],
  f64ConvertI32S: [0xb7],
  f64ConvertI32U: [0xb8],
  i32TruncF64S: [0xaa],
  i32TruncSatF64S: [0xfc, 0x02],
  i32Store: [0x36, 2, 0],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...unsigned(depth)],
  brIf: (depth: number) => [0x0d, ...unsigned(depth)],
  call: (index: number) => [0x10, ...unsigned(index)],
  simd: (code: number, ...immediates: number[]) => [0xfd, ...unsigned(code), ...immediates],
};

export const simd = {
  load: (offset: number) => op.simd(0x00, 4, ...unsigned(offset)),
  load64Zero: (offset: number) => op.simd(0x5d, 3, ...unsigned(offset)),
  f32x4ExtractLane: (lane: number) => op.simd(0x1f, lane),
  f64x2ExtractLane: (lane: number) => op.simd(0x21, lane),
  f32x4Add: op.simd(0xe4),
  f32x4Sub: op.simd(0xe5),
  f32x4Mul: op.simd(0xe6),
  f64x2Splat: op.simd(0x14),
  f64x2Add: op.simd(0xf0),
  f64x2Sub: op.simd(0xf1),
  f64x2Mul: op.simd(0xf2),
  f64x2Lt: op.simd(0x49),
  f64x2PromoteLow: op.simd(0x5f),
  or: op.simd(0x50),
  anyTrue: op.simd(0x53),
};
