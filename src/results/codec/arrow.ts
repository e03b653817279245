/**
 * Tables as Arrow IPC streams (flechette): the bulk answers of the server to the app, and the tables of a
 * static export. Each table kind declares its columns once: the typed array it has in memory and the
 * Arrow type it travels as. The fields beside the columns (ids, totals, a projection's method) travel as
 * JSON in the schema's metadata. Three encodings save most of the bytes of a 70,000-input layer:
 * - an int32 column that is exactly 0..n-1 (the input indices of a run analysed in full) is not sent
 *   at all: its metadata says so and the reader counts it back; so is one that counts up by one from
 *   another start (a page of such a run's inputs: s..s+n-1), under its own key, which older readers
 *   refuse rather than misread;
 * - any other int32 column travels in the narrowest of int8, int16 and int32 that holds all its values
 *   (pattern ids, predicted classes); the reader widens it back to int32;
 * - a column may travel at a lower precision than it has in memory (`wire`), for what the app only
 *   draws: 'float32', or 'fixed16', 16-bit fixed point over the column's finite range (sent in the
 *   metadata): 1/65,534 of the range, e.g. 0.00002 for a probability, a hundredth of a pixel on a map
 *   that fits the screen. Float32 map coordinates and scores are random in their low bits and do not
 *   compress; 16 bits halve them. NaN travels as the reserved value 65535; other values are finite.
 */

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
  /** How a float column travels when not at its memory precision (see the top of this file). */
  wire?: 'float32' | 'fixed16';
}

export type ColumnSpecs = Record<string, ColumnSpec>;
export type ColumnsOf<S extends ColumnSpecs> = { [N in keyof S]: Memory<S[N]['kind']> };

/**
 * The Arrow form of a table type T: its columns; every other field of a T travels as metadata. The
 * encoder and the decoder are separate modules, so that a page that only reads loads no encoder.
 */
export interface TableSpec<T> {
  readonly columns: ColumnSpecs;
  /** Never set: carries T. */
  readonly value?: T;
}

/** The spec of table type T; columns that do not fit T fail to compile. */
export function tableSpec<T extends object>() {
  return <S extends ColumnSpecs>(
    columns: S & (ColumnsOf<S> extends Pick<T, keyof S & keyof T> ? unknown : never),
  ): TableSpec<T> => ({ columns });
}

export const META_FIELDS = 'nap:fields';
export const META_SEQUENCES = 'nap:sequences';
/** Entries `name:start:length`: the column is start, start + 1, ..., start + length - 1. */
export const META_SHIFTED_SEQUENCES = 'nap:sequences-from';
export const META_RANGE = 'nap:range:';
export const FIXED_NAN = 65535;
export const FIXED_STEPS = 65534;
