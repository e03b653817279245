/**
 * The two products NN-descent spends most of its time in: the search key between two rows (see
 * SearchRows) and a row's dot product with a random-projection tree's hyperplane normal. In
 * WebAssembly SIMD (four float32 lanes; about 3x faster than JavaScript on 64-D rows) when the rows
 * live in a shared WebAssembly memory (see rowMemory), else in JavaScript (float64 sums).
 *
 * The SIMD kernels sum in float32 lanes, so their keys differ from the JavaScript ones by rounding
 * (relative 1e-6 or less); a run uses one kind throughout, on every thread, so its graph still does
 * not depend on the thread count.
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
import { pairKey, type SearchRows } from './neighbor-graph.js';

export interface RowKernels {
  /** The search key between rows a and b. */
  key(a: number, b: number): number;
  /** Sets the normal that `project` takes dot products with (rows.dim values). */
  setNormal(normal: Float64Array): void;
  /** normal . row */
  project(row: number): number;
}

/** Floats per row in the kernels' layout: the row's values, then zeros up to a multiple of 4 (SIMD lanes). */
export function paddedDim(dim: number): number {
  return Math.ceil(dim / 4) * 4;
}

/**
 * A shared WebAssembly memory for `count` rows of `stride` floats followed by `normals` hyperplane
 * normals of `stride` floats each (one per thread building trees), with `data` over the rows; or
 * undefined where shared memory or SIMD is unavailable (callers then use SharedArrayBuffers and
 * JavaScript kernels).
 */
export function rowMemory(
  count: number,
  stride: number,
  normals: number,
): { memory: WasmMemory; data: Float32Array } | undefined {
  if (!compiledModule()) return undefined;
  const bytes = 4 * stride * (count + normals);
  if (bytes > MAX_PAGES * PAGE) return undefined;
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  try {
    const memory = new wasm!.Memory({ initial: pages, maximum: pages, shared: true });
    return { memory, data: new Float32Array(memory.buffer, 0, count * stride) };
  } catch {
    return undefined;
  }
}

/**
 * The kernels over `rows` (rows.dim a multiple of 4 when `memory` is given): SIMD ones when the rows
 * are the start of `memory` (from rowMemory), using normal slot `normalSlot`; JavaScript ones otherwise.
 */
export function rowKernels(rows: SearchRows, memory: WasmMemory | undefined, normalSlot: number): RowKernels {
  const module = memory ? compiledModule() : undefined;
  if (!memory || !module) return new JsRowKernels(rows);
  const exports = new wasm!.Instance(module, { env: { memory } }).exports;
  return new WasmRowKernels(rows, memory, normalSlot, exports.distance as Product, exports.dot as Product);
}

/** (a, b, end) -> the sum over the float32 lanes from byte a (to end) and from byte b. */
type Product = (a: number, b: number, end: number) => number;

class JsRowKernels implements RowKernels {
  private readonly normal: Float64Array;

  constructor(private readonly rows: SearchRows) {
    this.normal = new Float64Array(rows.dim);
  }

  key(a: number, b: number): number {
    return pairKey(this.rows, a, b);
  }

  setNormal(normal: Float64Array): void {
    this.normal.set(normal);
  }

  /** With four accumulators so the additions do not wait on each other. */
  project(row: number): number {
    const { normal } = this;
    const { data, dim } = this.rows;
    const start = row * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = 0;
    for (const end = dim - (dim & 3); k < end; k += 4) {
      s0 += normal[k]! * data[start + k]!;
      s1 += normal[k + 1]! * data[start + k + 1]!;
      s2 += normal[k + 2]! * data[start + k + 2]!;
      s3 += normal[k + 3]! * data[start + k + 3]!;
    }
    for (; k < dim; k++) s0 += normal[k]! * data[start + k]!;
    return s0 + s1 + s2 + s3;
  }
}

class WasmRowKernels implements RowKernels {
  private readonly rowBytes: number;
  private readonly normalByte: number;
  private readonly normal: Float32Array;
  private readonly cosine: boolean;

  constructor(
    rows: SearchRows,
    memory: WasmMemory,
    normalSlot: number,
    private readonly distance: Product,
    private readonly dot: Product,
  ) {
    this.rowBytes = 4 * rows.dim;
    this.normalByte = this.rowBytes * (rows.count + normalSlot);
    this.normal = new Float32Array(memory.buffer, this.normalByte, rows.dim);
    this.cosine = rows.metric === 'cosine';
  }

  key(a: number, b: number): number {
    const start = a * this.rowBytes;
    const end = start + this.rowBytes;
    return this.cosine ? 1 - this.dot(start, b * this.rowBytes, end) : this.distance(start, b * this.rowBytes, end);
  }

  setNormal(normal: Float64Array): void {
    this.normal.set(normal);
  }

  project(row: number): number {
    const start = row * this.rowBytes;
    return this.dot(start, this.normalByte, start + this.rowBytes);
  }
}

const PAGE = 65536;
/** 4 GiB, the most a 32-bit memory addresses. */
const MAX_PAGES = 65536;

const compiledModule = lazyModule(assemble);

/**
 * product(a, b, end): four lanes at a time from bytes a and b until a reaches end, either
 * acc += (x - y)^2 (`difference`) or acc += x * y; returns the four lanes' sum in float64.
 */
function productBody(difference: boolean): number[] {
  const [a, b, end, acc, d] = [0, 1, 2, 3, 4];
  const lanes = [
    ...op.localGet(a),
    ...simd.load(0),
    ...op.localGet(b),
    ...simd.load(0),
    ...(difference ? [...simd.f32x4Sub, ...op.localTee(d), ...op.localGet(d)] : []),
    ...simd.f32x4Mul,
  ];
  const sumLane = (lane: number) => [...op.localGet(acc), ...simd.f32x4ExtractLane(lane), ...op.f64PromoteF32];
  const code = [
    ...op.loop,
    ...op.localGet(acc),
    ...lanes,
    ...simd.f32x4Add,
    ...op.localSet(acc),
    ...op.localGet(a),
    ...op.i32Const(16),
    ...op.i32Add,
    ...op.localTee(a),
    ...op.localGet(b),
    ...op.i32Const(16),
    ...op.i32Add,
    ...op.localSet(b),
    ...op.localGet(end),
    ...op.i32LtU,
    ...op.brIf(0),
    ...op.end,
    ...sumLane(0),
    ...sumLane(1),
    ...op.f64Add,
    ...sumLane(2),
    ...op.f64Add,
    ...sumLane(3),
    ...op.f64Add,
  ];
  return [...vector([[2, V128]]), ...code, ...op.end];
}

function assemble(): Uint8Array {
  const types = section(1, vector([[0x60, ...vector([[I32], [I32], [I32]]), ...vector([[F64]])]]));
  // A shared memory import: limits flag 3 (shared, with a maximum), at least 0 pages, at most MAX_PAGES.
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x03, 0x00, ...unsigned(MAX_PAGES)]]));
  const functions = section(3, vector([[0], [0]]));
  const exports = section(
    7,
    vector([
      [...name('distance'), 0x00, 0x00],
      [...name('dot'), 0x00, 0x01],
    ]),
  );
  const bodies = [productBody(true), productBody(false)].map((body) => [...unsigned(body.length), ...body]);
  return moduleBinary(types, imports, functions, exports, section(10, vector(bodies)));
}
