/**
 * Tables as Arrow IPC streams (flechette): the bulk answers of the server to the app, and the tables of a
 * static export. Each table kind declares its columns once: the typed array it has in memory and the
 * Arrow type it travels as. The fields beside the columns (ids, totals, a projection's method) travel as
 * JSON in the schema's metadata. Two encodings save most of the bytes of a 70,000-input layer:
 * - an int32 column that is exactly 0..n-1 (the input indices of a run analysed in full) is not sent
 *   at all: its metadata says so and the reader counts it back;
 * - a column may travel at a lower precision than it has in memory (`wire`): probabilities and scores
 *   that the app only draws go as float32 and are widened back to float64 when read.
 */
import {
  dictionary,
  float32,
  float64,
  int32,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  uint8,
  utf8,
  type DataType,
} from '@uwdata/flechette';

export const ARROW_MIME = 'application/vnd.apache.arrow.stream';

/** How a column is held in memory; strings may be null. */
export type ColumnKind = 'int32' | 'uint8' | 'float32' | 'float64' | 'text' | 'label';

type Memory<K extends ColumnKind> = K extends 'int32'
  ? Int32Array
  : K extends 'uint8'
    ? Uint8Array
    : K extends 'float32'
      ? Float32Array
      : K extends 'float64'
        ? Float64Array
        : readonly (string | null)[];

export interface ColumnSpec<K extends ColumnKind = ColumnKind> {
  kind: K;
  /** Arrow type on the wire when it differs from the memory kind's: 'float32' for a float64 column. */
  wire?: 'float32';
}

export type ColumnSpecs = Record<string, ColumnSpec>;
export type ColumnsOf<S extends ColumnSpecs> = { [N in keyof S]: Memory<S[N]['kind']> };

/** Columns plus JSON-able fields (ids, totals) that travel in the metadata. */
export type Encodable<S extends ColumnSpecs, F> = ColumnsOf<S> & F;

const META_FIELDS = 'nap:fields';
const META_SEQUENCES = 'nap:sequences';

function arrowType(spec: ColumnSpec): DataType {
  if (spec.wire === 'float32') return float32();
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

function isSequence(values: Int32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== i) return false;
  return true;
}

function toMemory(spec: ColumnSpec, values: ArrayLike<unknown>): unknown {
  switch (spec.kind) {
    case 'int32':
      return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
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

export interface TableCodec<S extends ColumnSpecs, F extends object> {
  readonly columns: S;
  encode(value: Encodable<S, F>): Uint8Array;
  decode(bytes: Uint8Array): Encodable<S, F>;
}

/** The codec of a table kind: its columns; every other field of a value travels as metadata. */
export function tableCodec<S extends ColumnSpecs, F extends object = Record<never, never>>(
  columns: S,
): TableCodec<S, F> {
  const names = Object.keys(columns);
  return {
    columns,
    encode(value) {
      const record = value as Record<string, unknown>;
      const data: Record<string, ArrayLike<unknown>> = {};
      const types: Record<string, DataType> = {};
      const sequences: string[] = [];
      for (const name of names) {
        const spec = columns[name]!;
        const values = record[name] as ArrayLike<unknown>;
        if (spec.kind === 'int32' && isSequence(values as Int32Array)) {
          sequences.push(`${name}:${values.length}`);
          continue;
        }
        data[name] = spec.wire === 'float32' ? Float32Array.from(values as ArrayLike<number>) : values;
        types[name] = arrowType(spec);
      }
      const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !names.includes(key)));
      const table = tableFromArrays(data as Parameters<typeof tableFromArrays>[0], { types });
      table.schema.metadata = new Map([
        [META_FIELDS, JSON.stringify(fields)],
        [META_SEQUENCES, sequences.join(',')],
      ]);
      return tableToIPC(table, { format: 'stream' })!;
    },
    decode(bytes) {
      const table = tableFromIPC(bytes, { useBigInt: false });
      const metadata = table.schema.metadata ?? new Map<string, string>();
      const out: Record<string, unknown> = JSON.parse(metadata.get(META_FIELDS) ?? '{}') as Record<string, unknown>;
      for (const entry of (metadata.get(META_SEQUENCES) ?? '').split(',')) {
        if (entry === '') continue;
        const at = entry.lastIndexOf(':');
        out[entry.slice(0, at)] = Int32Array.from({ length: Number(entry.slice(at + 1)) }, (_, i) => i);
      }
      for (const name of names) {
        if (name in out) continue;
        const column = table.getChild(name);
        if (column === null) throw new Error(`the Arrow table has no column ${name}`);
        out[name] = toMemory(columns[name]!, column.toArray() as ArrayLike<unknown>);
      }
      return out as Encodable<S, F>;
    },
  };
}
