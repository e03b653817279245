/** Encoding tables as Arrow IPC streams (the server's bulk answers, the static export's files); see arrow.ts. */
import {
  dictionary,
  float32,
  float64,
  int16,
  int32,
  int8,
  tableFromArrays,
  tableToIPC,
  uint16,
  uint8,
  utf8,
  type DataType,
} from '@uwdata/flechette';
import {
  FIXED_NAN,
  FIXED_STEPS,
  META_FIELDS,
  META_RANGE,
  META_SEQUENCES,
  META_SHIFTED_SEQUENCES,
  type ColumnSpec,
  type TableSpec,
} from './arrow.js';

function arrowType(spec: ColumnSpec): DataType {
  if (spec.wire === 'float32') return float32();
  if (spec.wire === 'fixed16') return uint16();
  switch (spec.kind) {
    case 'int32':
      return int32();
    case 'uint8':
      return uint8();
    case 'float32':
      return float32();
    case 'float64':
      return float64();
    case 'text':
      return utf8();
    case 'label':
      // Labels repeat: each distinct one is sent once.
      return dictionary(utf8());
  }
}

/** Values as 16-bit steps over their finite range [min, max]; NaN as FIXED_NAN. */
function toFixed16(values: ArrayLike<number>): { steps: Uint16Array; min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) [min, max] = [0, 0];
  const scale = max > min ? FIXED_STEPS / (max - min) : 0;
  const steps = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    steps[i] = Number.isFinite(v) ? Math.round((v - min) * scale) : FIXED_NAN;
  }
  return { steps, min, max };
}

/** The start of a column that counts up by one (s, s + 1, ...), null for any other column or an empty one. */
function sequenceStart(values: Int32Array): number | null {
  if (values.length === 0) return null;
  const start = values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i] !== start + i) return null;
  return start;
}

/** An int32 column in the narrowest signed integer type that holds every value, with its values in that type. */
function narrowest(values: Int32Array): { type: DataType; data: ArrayLike<number> } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  if (min >= -0x80 && max < 0x80) return { type: int8(), data: new Int8Array(values) };
  if (min >= -0x8000 && max < 0x8000) return { type: int16(), data: new Int16Array(values) };
  return { type: int32(), data: values };
}

export function encodeTable<T>(spec: TableSpec<T>, value: T): Uint8Array {
  const { columns } = spec;
  const names = Object.keys(columns);
  const record = value as Record<string, unknown>;
  const data: Record<string, ArrayLike<unknown>> = {};
  const types: Record<string, DataType> = {};
  const sequences: string[] = [];
  const shiftedSequences: string[] = [];
  const metadata = new Map<string, string>();
  for (const name of names) {
    const column = columns[name]!;
    const values = record[name] as ArrayLike<unknown>;
    if (column.kind === 'int32') {
      const start = sequenceStart(values as Int32Array);
      if (start === 0) sequences.push(`${name}:${values.length}`);
      else if (start !== null) shiftedSequences.push(`${name}:${start}:${values.length}`);
      else ({ type: types[name], data: data[name] } = narrowest(values as Int32Array));
      continue;
    }
    types[name] = arrowType(column);
    if (column.wire === 'fixed16') {
      const { steps, min, max } = toFixed16(values as ArrayLike<number>);
      data[name] = steps;
      metadata.set(META_RANGE + name, `${min},${max}`);
    } else data[name] = column.wire === 'float32' ? Float32Array.from(values as ArrayLike<number>) : values;
  }
  const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !names.includes(key)));
  const table = tableFromArrays(data as Parameters<typeof tableFromArrays>[0], { types });
  metadata.set(META_FIELDS, JSON.stringify(fields));
  metadata.set(META_SEQUENCES, sequences.join(','));
  if (shiftedSequences.length > 0) metadata.set(META_SHIFTED_SEQUENCES, shiftedSequences.join(','));
  table.schema.metadata = metadata;
  return tableToIPC(table, { format: 'stream' })!;
}
