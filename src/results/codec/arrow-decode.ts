/** Decoding Arrow IPC streams into tables (the app's bulk answers, the static site's files); see arrow.ts. */
import { tableFromIPC } from '@uwdata/flechette';
import {
  FIXED_NAN,
  FIXED_STEPS,
  META_FIELDS,
  META_RANGE,
  META_SEQUENCES,
  META_SHIFTED_SEQUENCES,
  type ColumnKind,
  type ColumnSpec,
  type TableSpec,
} from './arrow.js';

function fromFixed16(steps: ArrayLike<number>, range: string, kind: ColumnKind): Float32Array | Float64Array {
  const [min, max] = range.split(',').map(Number) as [number, number];
  const step = (max - min) / FIXED_STEPS;
  const out = kind === 'float32' ? new Float32Array(steps.length) : new Float64Array(steps.length);
  for (let i = 0; i < steps.length; i++) out[i] = steps[i] === FIXED_NAN ? NaN : min + steps[i]! * step;
  return out;
}

function toMemory(spec: ColumnSpec, values: ArrayLike<unknown>): unknown {
  switch (spec.kind) {
    case 'int32':
      // Sent as int8 or int16 when its values fit (arrow-encode.ts).
      if (values instanceof Int32Array) return values;
      return values instanceof Int8Array || values instanceof Int16Array
        ? new Int32Array(values)
        : Int32Array.from(values as ArrayLike<number>);
    case 'uint8':
      return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>);
    case 'float32':
      return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    case 'float64':
      return values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
    case 'text':
    case 'label':
      return Array.from(values as ArrayLike<string | null>);
  }
}

function sequence(start: number, length: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = start + i;
  return out;
}

export function decodeTable<T>(spec: TableSpec<T>, bytes: Uint8Array): T {
  const table = tableFromIPC(bytes, { useBigInt: false });
  const metadata = table.schema.metadata ?? new Map<string, string>();
  const out: Record<string, unknown> = JSON.parse(metadata.get(META_FIELDS) ?? '{}') as Record<string, unknown>;
  for (const entry of (metadata.get(META_SEQUENCES) ?? '').split(',')) {
    if (entry === '') continue;
    const at = entry.lastIndexOf(':');
    out[entry.slice(0, at)] = sequence(0, Number(entry.slice(at + 1)));
  }
  for (const entry of (metadata.get(META_SHIFTED_SEQUENCES) ?? '').split(',')) {
    if (entry === '') continue;
    const lengthAt = entry.lastIndexOf(':');
    const startAt = entry.lastIndexOf(':', lengthAt - 1);
    out[entry.slice(0, startAt)] = sequence(
      Number(entry.slice(startAt + 1, lengthAt)),
      Number(entry.slice(lengthAt + 1)),
    );
  }
  for (const [name, column] of Object.entries(spec.columns)) {
    if (name in out) continue;
    const child = table.getChild(name);
    if (child === null) throw new Error(`the Arrow table has no column ${name}`);
    const values = child.toArray() as ArrayLike<unknown>;
    const range = metadata.get(META_RANGE + name);
    out[name] =
      column.wire === 'fixed16' && range !== undefined
        ? fromFixed16(values as ArrayLike<number>, range, column.kind)
        : toMemory(column, values);
  }
  return out as T;
}
