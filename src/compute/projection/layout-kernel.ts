/**
 * The inner loop of a layout block epoch (runBlockEpoch's edge loop in layout-epochs.ts) in
 * WebAssembly, over the layout's arrays placed in one shared WebAssembly memory (layoutMemory). It
 * performs the same float64 operations in the same order, rounding to float32 exactly where the
 * JavaScript stores into the Float32Arrays, draws the same xorshift32 streams, and calls the same
 * Math.pow outside the gradient tables, so its maps are bit-identical to the JavaScript loop's. Its
 * gain is in the negative samples: no bounds checks, no float32 rounding through a scratch array in
 * the table lookup, and integer draws kept in registers.
 */
import {
  F64,
  I32,
  lazyModule,
  moduleBinary,
  name,
  op,
  section,
  unsigned,
  vector,
  wasm,
  type WasmMemory,
} from '../wasm/assembler.js';
import { FIRST_STEP, FRACTION_BITS, TABLE_HIGH, TABLE_LOW } from './gradient-tables.js';

/**
 * (from, to, epoch, alpha, drawScale, key, then the byte offsets of rowStart, columns, owedSlot,
 * schedule, live, snapshot, owed, attraction, repulsion, then a, b, negativeSampleRate, repulsionStrength).
 */
export type BlockEpochKernel = (
  from: number,
  to: number,
  epoch: number,
  alpha: number,
  drawScale: number,
  key: number,
  rowStart: number,
  columns: number,
  owedSlot: number,
  schedule: number,
  live: number,
  snapshot: number,
  owed: number,
  attraction: number,
  repulsion: number,
  a: number,
  b: number,
  negativeSampleRate: number,
  repulsionStrength: number,
) => void;

const PAGE = 65536;
const MAX_PAGES = 65536;
const GRADIENT_CLIP = 4;

// Parameters of blockEpoch, then its locals.
const P = {
  from: 0,
  to: 1,
  epoch: 2,
  alpha: 3,
  drawScale: 4,
  key: 5,
  rowStart: 6,
  columns: 7,
  owedSlot: 8,
  schedule: 9,
  live: 10,
  snapshot: 11,
  owed: 12,
  attraction: 13,
  repulsion: 14,
  a: 15,
  b: 16,
  rate: 17,
  gamma: 18,
};
const PARAMS = [I32, I32, F64, F64, F64, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64];
const I32_LOCALS = [
  'j',
  'edge',
  'end',
  'at',
  'k',
  'inBlock',
  'address',
  'state',
  'p',
  'negatives',
  'other',
  'bits',
  'entry',
];
const F64_LOCALS = ['x', 'y', 'due', 'dx', 'dy', 'd2', 'coefficient', 'gx', 'gy', 'perSample', 'perNegative'];
const F64_LOCALS_2 = ['nextNegative', 'negatives64', 'pushX', 'pushY', 'low'];
const L: Record<string, number> = {};
[...I32_LOCALS, ...F64_LOCALS, ...F64_LOCALS_2].forEach((local, i) => (L[local] = PARAMS.length + i));

// Function indices: the imported Math.pow, then the exact coefficients, then blockEpoch.
const POW = 0;
const ATTRACT = 1;
const REPEL = 2;

const get = (local: string | number): number[] => op.localGet(typeof local === 'number' ? local : L[local]!);
const set = (local: string): number[] => op.localSet(L[local]!);
const ifF64 = [0x04, F64];
const loadF32 = (offset: number): number[] => [...op.f32Load(offset), ...op.f64PromoteF32];
/** Stores the f64 on the stack, rounded to float32, at `address` + offset (the address pushed by `at`). */
const storeF32 = (at: number[], value: number[], offset: number): number[] => [
  ...at,
  ...value,
  ...op.f32DemoteF64,
  ...op.f32Store(offset),
];
/** base + (index << shift). */
const element = (base: number[], index: number[], shift: number): number[] => [
  ...base,
  ...index,
  ...op.i32Const(shift),
  ...op.i32Shl,
  ...op.i32Add,
];
const clip = [...op.f64Const(-GRADIENT_CLIP), ...op.f64Max, ...op.f64Const(GRADIENT_CLIP), ...op.f64Min];
const increment = (local: string): number[] => [...get(local), ...op.i32Const(1), ...op.i32Add, ...set(local)];

/** gradient-tables.ts's lookup of d2 in the table at byte `table`. */
function lookup(table: number): number[] {
  return [
    ...get('d2'),
    ...op.f32DemoteF64,
    ...op.i32ReinterpretF32,
    ...set('bits'),
    ...element(
      get(table),
      [...get('bits'), ...op.i32Const(FRACTION_BITS), ...op.i32ShrS, ...op.i32Const(FIRST_STEP), ...op.i32Sub],
      2,
    ),
    ...set('entry'),
    ...get('entry'),
    ...loadF32(0),
    ...set('low'),
    ...get('low'),
    ...get('bits'),
    ...op.i32Const((1 << FRACTION_BITS) - 1),
    ...op.i32And,
    ...op.f64ConvertI32S,
    ...op.f64Const(1 / (1 << FRACTION_BITS)),
    ...op.f64Mul,
    ...get('entry'),
    ...loadF32(4),
    ...get('low'),
    ...op.f64Sub,
    ...op.f64Mul,
    ...op.f64Add,
  ];
}

/** The coefficient at d2: tabulated within the tables' range, else the exact formula `exact`. */
function coefficient(table: number, exact: number[]): number[] {
  return [
    ...get('d2'),
    ...op.f64Const(TABLE_LOW),
    ...op.f64Ge,
    ...get('d2'),
    ...op.f64Const(TABLE_HIGH),
    ...op.f64Lt,
    ...op.i32And,
    ...ifF64,
    ...lookup(table),
    ...op.else,
    ...exact,
    ...op.end,
  ];
}

/** dx, dy from (x, y) to the float32 pair at `address`, and d2. */
const offsets = [
  ...get('x'),
  ...get('address'),
  ...loadF32(0),
  ...op.f64Sub,
  ...set('dx'),
  ...get('y'),
  ...get('address'),
  ...loadF32(4),
  ...op.f64Sub,
  ...set('dy'),
  ...get('dx'),
  ...get('dx'),
  ...op.f64Mul,
  ...get('dy'),
  ...get('dy'),
  ...op.f64Mul,
  ...op.f64Add,
  ...set('d2'),
];

/** The positive sample of the edge (k in `k`, its schedule at byte `at`) and its schedule's update. */
const positiveSample = [
  ...get('k'),
  ...get(P.from),
  ...op.i32GeS,
  ...get('k'),
  ...get(P.to),
  ...op.i32LtS,
  ...op.i32And,
  ...set('inBlock'),
  ...element([...get(P.live), ...get(P.snapshot), ...get('inBlock'), 0x1b], get('k'), 3),
  ...set('address'),
  ...offsets,
  ...get('d2'),
  ...op.f64Const(0),
  ...op.f64Gt,
  ...op.if,
  ...coefficient(P.attraction, [...get('d2'), ...get(P.a), ...get(P.b), ...op.call(ATTRACT)]),
  ...set('coefficient'),
  ...get('coefficient'),
  ...get('dx'),
  ...op.f64Mul,
  ...clip,
  ...get(P.alpha),
  ...op.f64Mul,
  ...set('gx'),
  ...get('coefficient'),
  ...get('dy'),
  ...op.f64Mul,
  ...clip,
  ...get(P.alpha),
  ...op.f64Mul,
  ...set('gy'),
  ...get('x'),
  ...get('gx'),
  ...op.f64Add,
  ...set('x'),
  ...get('y'),
  ...get('gy'),
  ...op.f64Add,
  ...set('y'),
  ...get('inBlock'),
  ...op.if,
  ...storeF32(get('address'), [...get('address'), ...loadF32(0), ...get('gx'), ...op.f64Sub], 0),
  ...storeF32(get('address'), [...get('address'), ...loadF32(4), ...get('gy'), ...op.f64Sub], 4),
  ...op.else,
  ...element(get(P.owed), [...element(get(P.owedSlot), get('edge'), 2), ...op.i32Load(0)], 3),
  ...set('address'),
  ...storeF32(get('address'), [...get('gx'), ...op.f64Neg], 0),
  ...storeF32(get('address'), [...get('gy'), ...op.f64Neg], 4),
  ...op.end,
  ...op.end,
  // schedule: next sample, then the negative samples due.
  ...get('at'),
  ...loadF32(4),
  ...set('perSample'),
  ...storeF32(get('at'), [...get('due'), ...get('perSample'), ...op.f64Add], 0),
  ...get('perSample'),
  ...get(P.rate),
  ...op.f64Div,
  ...set('perNegative'),
  ...get('at'),
  ...loadF32(8),
  ...set('nextNegative'),
  ...get(P.epoch),
  ...get('nextNegative'),
  ...op.f64Sub,
  ...get('perNegative'),
  ...op.f64Div,
  ...op.f64Trunc,
  ...set('negatives64'),
  ...storeF32(
    get('at'),
    [...get('nextNegative'), ...get('negatives64'), ...get('perNegative'), ...op.f64Mul, ...op.f64Add],
    8,
  ),
  ...get('negatives64'),
  ...op.i32TruncSatF64S,
  ...set('negatives'),
];

/** murmur3's finaliser (random.ts's mix) of the i32 on the stack, via `state`. */
const mix = [
  ...set('state'),
  ...[...get('state'), ...get('state'), ...op.i32Const(16), ...op.i32ShrU, ...op.i32Xor],
  ...[...op.i32Const(0x85ebca6b | 0), ...op.i32Mul, ...set('state')],
  ...[...get('state'), ...get('state'), ...op.i32Const(13), ...op.i32ShrU, ...op.i32Xor],
  ...[...op.i32Const(0xc2b2ae35 | 0), ...op.i32Mul, ...set('state')],
  ...[...get('state'), ...get('state'), ...op.i32Const(16), ...op.i32ShrU, ...op.i32Xor],
];

/** state ^= state << shift (or >>> shift). */
const xorShift = (shift: number, right: boolean): number[] => [
  ...get('state'),
  ...get('state'),
  ...op.i32Const(shift),
  ...(right ? op.i32ShrU : op.i32Shl),
  ...op.i32Xor,
  ...set('state'),
];

/** The edge's negative samples, summed into (pushX, pushY) and applied to (x, y). */
const negativeSamples = [
  ...get(P.key),
  ...get('edge'),
  ...op.i32Const(0x9e3779b1 | 0),
  ...op.i32Mul,
  ...op.i32Xor,
  ...mix,
  ...op.i32Const(1),
  ...op.i32Or,
  ...set('state'),
  ...op.f64Const(0),
  ...set('pushX'),
  ...op.f64Const(0),
  ...set('pushY'),
  ...op.i32Const(0),
  ...set('p'),
  ...op.block,
  ...op.loop,
  ...get('p'),
  ...get('negatives'),
  ...op.i32GeS,
  ...op.brIf(1),
  ...increment('p'),
  ...xorShift(13, false),
  ...xorShift(17, true),
  ...xorShift(5, false),
  ...op.block,
  ...get('state'),
  ...op.f64ConvertI32U,
  ...get(P.drawScale),
  ...op.f64Mul,
  ...op.f64Floor,
  ...op.i32TruncF64S,
  ...set('other'),
  ...get('other'),
  ...get('j'),
  ...op.i32Eq,
  ...op.brIf(0),
  ...element(get(P.snapshot), get('other'), 3),
  ...set('address'),
  ...offsets,
  ...get('d2'),
  ...op.f64Const(0),
  ...op.f64Le,
  ...op.brIf(0),
  ...coefficient(P.repulsion, [...get('d2'), ...get(P.a), ...get(P.b), ...get(P.gamma), ...op.call(REPEL)]),
  ...set('coefficient'),
  ...get('pushX'),
  ...get('coefficient'),
  ...get('dx'),
  ...op.f64Mul,
  ...clip,
  ...op.f64Add,
  ...set('pushX'),
  ...get('pushY'),
  ...get('coefficient'),
  ...get('dy'),
  ...op.f64Mul,
  ...clip,
  ...op.f64Add,
  ...set('pushY'),
  ...op.end,
  ...op.br(0),
  ...op.end,
  ...op.end,
  ...get('x'),
  ...get('pushX'),
  ...get(P.alpha),
  ...op.f64Mul,
  ...op.f64Add,
  ...set('x'),
  ...get('y'),
  ...get('pushY'),
  ...get(P.alpha),
  ...op.f64Mul,
  ...op.f64Add,
  ...set('y'),
];

function blockEpochBody(): number[] {
  const code = [
    ...get(P.from),
    ...set('j'),
    ...op.block,
    ...op.loop,
    ...get('j'),
    ...get(P.to),
    ...op.i32GeS,
    ...op.brIf(1),
    ...element(get(P.live), get('j'), 3),
    ...set('address'),
    ...get('address'),
    ...loadF32(0),
    ...set('x'),
    ...get('address'),
    ...loadF32(4),
    ...set('y'),
    ...element(get(P.rowStart), get('j'), 2),
    ...set('address'),
    ...get('address'),
    ...op.i32Load(0),
    ...set('edge'),
    ...get('address'),
    ...op.i32Load(4),
    ...set('end'),
    ...op.block,
    ...op.loop,
    ...get('edge'),
    ...get('end'),
    ...op.i32GeS,
    ...op.brIf(1),
    ...op.block,
    ...get(P.schedule),
    ...get('edge'),
    ...op.i32Const(12),
    ...op.i32Mul,
    ...op.i32Add,
    ...set('at'),
    ...get('at'),
    ...loadF32(0),
    ...set('due'),
    ...get('due'),
    ...get(P.epoch),
    ...op.f64Gt,
    ...op.brIf(0),
    ...element(get(P.columns), get('edge'), 2),
    ...op.i32Load(0),
    ...set('k'),
    ...positiveSample,
    ...negativeSamples,
    ...op.end,
    ...increment('edge'),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...element(get(P.live), get('j'), 3),
    ...set('address'),
    ...storeF32(get('address'), get('x'), 0),
    ...storeF32(get('address'), get('y'), 4),
    ...increment('j'),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
  const locals = vector([
    [...unsigned(I32_LOCALS.length), I32],
    [...unsigned(F64_LOCALS.length + F64_LOCALS_2.length), F64],
  ]);
  return [...locals, ...code, ...op.end];
}

/** gradient-tables.ts's attractionCoefficient(d2, a, b): ((-2a)b power) / (d2 (1 + a power)). */
function attractBody(): number[] {
  const power = 3;
  return [
    ...vector([[1, F64]]),
    ...[...op.localGet(0), ...op.localGet(2), ...op.call(POW), ...op.localSet(power)],
    ...[...op.f64Const(-2), ...op.localGet(1), ...op.f64Mul, ...op.localGet(2), ...op.f64Mul],
    ...[...op.localGet(power), ...op.f64Mul],
    ...[...op.localGet(0), ...op.f64Const(1), ...op.localGet(1), ...op.localGet(power), ...op.f64Mul],
    ...[...op.f64Add, ...op.f64Mul, ...op.f64Div],
    ...op.end,
  ];
}

/** repulsionCoefficient(d2, a, b, gamma): ((2 gamma) b) / ((0.001 + d2)(1 + a pow(d2, b))). */
function repelBody(): number[] {
  return [
    ...vector([]),
    ...[...op.f64Const(2), ...op.localGet(3), ...op.f64Mul, ...op.localGet(2), ...op.f64Mul],
    ...[...op.f64Const(0.001), ...op.localGet(0), ...op.f64Add],
    ...[...op.f64Const(1), ...op.localGet(1), ...op.localGet(0), ...op.localGet(2), ...op.call(POW)],
    ...[...op.f64Mul, ...op.f64Add, ...op.f64Mul, ...op.f64Div],
    ...op.end,
  ];
}

function assemble(): Uint8Array {
  const signature = (params: number[], results: number[]): number[] => [
    0x60,
    ...vector(params.map((p) => [p])),
    ...vector(results.map((r) => [r])),
  ];
  const types = section(
    1,
    vector([
      signature([F64, F64], [F64]),
      signature([F64, F64, F64], [F64]),
      signature([F64, F64, F64, F64], [F64]),
      signature(PARAMS, []),
    ]),
  );
  const imports = section(
    2,
    vector([
      [...name('env'), ...name('pow'), 0x00, 0],
      // A shared memory: limits flag 3 (shared, with a maximum), at least 0 pages, at most MAX_PAGES.
      [...name('env'), ...name('memory'), 0x02, 0x03, 0x00, ...unsigned(MAX_PAGES)],
    ]),
  );
  const functions = section(3, vector([[1], [2], [3]]));
  const exports = section(7, vector([[...name('blockEpoch'), 0x00, 3]]));
  const bodies = [attractBody(), repelBody(), blockEpochBody()].map((body) => [...unsigned(body.length), ...body]);
  const code = section(10, vector(bodies));
  return moduleBinary(types, imports, functions, exports, code);
}

const compiledModule = lazyModule(assemble);

/** A shared WebAssembly memory of at least `bytes` for the layout's arrays, or undefined where the kernel cannot run. */
export function layoutMemory(bytes: number): WasmMemory | undefined {
  if (!compiledModule() || bytes > MAX_PAGES * PAGE) return undefined;
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  try {
    return new wasm!.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return undefined;
  }
}

const instances = new WeakMap<WasmMemory, BlockEpochKernel>();

/** The kernel over `memory` (one instance per memory and thread). */
export function blockEpochKernel(memory: WasmMemory): BlockEpochKernel {
  let kernel = instances.get(memory);
  if (!kernel) {
    const instance = new wasm!.Instance(compiledModule()!, { env: { memory, pow: Math.pow } });
    kernel = instance.exports.blockEpoch as BlockEpochKernel;
    instances.set(memory, kernel);
  }
  return kernel;
}
