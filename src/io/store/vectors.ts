/**
 * FLOAT[] columns written straight into a data chunk's memory through DuckDB's C API: the rows' offsets
 * and lengths plus one copy of the floats, where the node-api's values go through a JavaScript array and a
 * list value per row and a setter per float (a shard's aggregated activations cost as much to write that
 * way as the model took to compute them). Node-only, unlike bulk.ts, whose types the app's check reads.
 */
import { createRequire } from 'node:module';
import { FLOAT, LIST, listValue } from '@duckdb/node-api';
import type { Vector } from '@duckdb/node-bindings';
import type { BulkColumn } from './bulk.js';

type Bindings = typeof import('@duckdb/node-bindings');

/**
 * The native binding that @duckdb/node-api loads (its own dependency, at the version it pins): the chunks it
 * creates are handles of that copy, so the vectors are written through the same one.
 */
const bindings = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'))(
  '@duckdb/node-bindings',
) as Bindings;

export const FLOAT_LIST = LIST(FLOAT);

/** Row r is `data[r*dim .. (r+1)*dim)` as a FLOAT[] list. */
export function floatListColumn(data: Float32Array, dim: number): BulkColumn {
  return {
    type: FLOAT_LIST,
    valueAt: (row) => listValue(Array.from(data.subarray(row * dim, (row + 1) * dim))),
    fill: (chunk, column, from, size) =>
      fillFloatLists(bindings.data_chunk_get_vector(chunk.chunk, column), data, dim, from, size),
  };
}

/**
 * Sets rows [0, size) of a fresh chunk's FLOAT[] vector to rows [from, from + size) of `data`, `dim`
 * floats each. A fresh chunk's vectors are all valid (no NULLs), which is what every row is here.
 */
function fillFloatLists(vector: Vector, data: Float32Array, dim: number, from: number, size: number): void {
  const entries = new BigUint64Array(2 * size);
  for (let row = 0; row < size; row++) {
    entries[2 * row] = BigInt(row * dim);
    entries[2 * row + 1] = BigInt(dim);
  }
  const floats = size * dim;
  bindings.list_vector_reserve(vector, floats);
  bindings.list_vector_set_size(vector, floats);
  if (floats > 0) {
    // The binding copies from an ArrayBuffer; a view of shared memory is copied out first.
    const part = data.subarray(from * dim, from * dim + floats);
    const own = part.buffer instanceof ArrayBuffer ? part : part.slice();
    bindings.copy_data_to_vector(
      bindings.list_vector_get_child(vector),
      0,
      own.buffer as ArrayBuffer,
      own.byteOffset,
      own.byteLength,
    );
  }
  bindings.copy_data_to_vector(vector, 0, entries.buffer, 0, entries.byteLength);
}
