/**
 * Reads query results column by column into typed arrays, straight from DuckDB's vectors. Queries
 * always go through prepared statements with bound parameters.
 */
import {
  DuckDBBlobValue,
  DuckDBListValue,
  DuckDBListVector,
  DuckDBTimestampValue,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBVector,
} from '@duckdb/node-api';

export type Params = DuckDBValue[];

export class ResultColumns {
  private constructor(
    private readonly chunks: readonly DuckDBDataChunk[],
    private readonly names: readonly string[],
    readonly rowCount: number,
  ) {}

  static async query(
    connection: DuckDBConnection,
    sql: string,
    params: Params = [],
    types?: DuckDBType[],
  ): Promise<ResultColumns> {
    const result = await connection.run(sql, params, types);
    const chunks = await result.fetchAllChunks();
    const rowCount = chunks.reduce((sum, chunk) => sum + chunk.rowCount, 0);
    return new ResultColumns(chunks, result.columnNames(), rowCount);
  }

  /**
   * The result a chunk (up to 2048 rows) at a time, each read as its own ResultColumns: DuckDB streams
   * it instead of materializing it whole, so a large result is never held twice (DuckDB's copy and the
   * caller's arrays). Stop early only by throwing: the statement stays open until the stream ends.
   */
  static async *stream(connection: DuckDBConnection, sql: string, params: Params = []): AsyncGenerator<ResultColumns> {
    const result = await connection.stream(sql, params);
    const names = result.columnNames();
    for (
      let chunk = await result.fetchChunk();
      chunk !== null && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      yield new ResultColumns([chunk], names, chunk.rowCount);
    }
  }

  private vectors(name: string): DuckDBVector[] {
    const index = this.names.indexOf(name);
    if (index < 0) throw new Error(`result has no column ${name} (has ${this.names.join(', ')})`);
    return this.chunks.map((chunk) => chunk.getColumnVector(index));
  }

  private forEach(name: string, visit: (value: DuckDBValue, row: number) => void): void {
    let row = 0;
    for (const vector of this.vectors(name)) {
      for (let item = 0; item < vector.itemCount; item++) visit(vector.getItem(item), row++);
    }
  }

  int32(name: string): Int32Array {
    const out = new Int32Array(this.rowCount);
    this.forEach(name, (value, row) => {
      out[row] = Number(value);
    });
    return out;
  }

  float64(name: string): Float64Array {
    const out = new Float64Array(this.rowCount);
    this.forEach(name, (value, row) => {
      out[row] = Number(value);
    });
    return out;
  }

  text(name: string): (string | null)[] {
    const out = new Array<string | null>(this.rowCount);
    this.forEach(name, (value, row) => {
      out[row] = value === null ? null : String(value);
    });
    return out;
  }

  /** A BLOB column whose every value has `size` bytes, concatenated. */
  blobs(name: string, size: number): Uint8Array {
    const out = new Uint8Array(this.rowCount * size);
    this.forEach(name, (value, row) => {
      const bytes = (value as DuckDBBlobValue).bytes;
      if (bytes.length !== size) throw new Error(`${name} of row ${row} has ${bytes.length} bytes, expected ${size}`);
      out.set(bytes, row * size);
    });
    return out;
  }

  /** A BLOB column's values of any sizes, concatenated in row order (into a fresh, aligned buffer). */
  concatenatedBlobs(name: string): Uint8Array {
    const parts: Uint8Array[] = [];
    this.forEach(name, (value) => parts.push((value as DuckDBBlobValue).bytes));
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Each value of a BLOB column in row order, one at a time (no copy of the whole column is made). */
  forEachBlob(name: string, visit: (bytes: Uint8Array, row: number) => void): void {
    this.forEach(name, (value, row) => visit((value as DuckDBBlobValue).bytes, row));
  }

  /** A FLOAT[] column whose every list has `dim` items, as one row-major array. */
  floatLists(name: string, dim: number): Float32Array {
    const out = new Float32Array(this.rowCount * dim);
    let row = 0;
    for (const vector of this.vectors(name)) {
      const lists = vector as DuckDBListVector;
      const items = lists.childVector;
      for (let item = 0; item < lists.itemCount; item++, row++) {
        const length = lists.getEntryLength(item);
        if (length !== dim) throw new Error(`${name} of row ${row} has ${length} values, expected ${dim}`);
        const offset = lists.getEntryOffset(item);
        const base = row * dim;
        for (let k = 0; k < dim; k++) out[base + k] = items.getItem(offset + k) as number;
      }
    }
    return out;
  }

  /** Rows as objects of raw DuckDB values, for small metadata results. */
  rows(): Record<string, DuckDBValue>[] {
    return this.chunks.flatMap((chunk) => chunk.getRowObjects(this.names));
  }
}

export function asNumber(value: DuckDBValue): number {
  return Number(value);
}

export function asNullableNumber(value: DuckDBValue): number | null {
  return value === null ? null : Number(value);
}

export function asText(value: DuckDBValue): string {
  return String(value);
}

export function asDate(value: DuckDBValue): Date {
  return new Date(Number((value as DuckDBTimestampValue).micros / 1000n));
}

export function asJson(value: DuckDBValue): unknown {
  return value === null ? null : JSON.parse(String(value));
}

export function asNumberList(value: DuckDBValue): number[] {
  return (value as DuckDBListValue).items.map(Number);
}

export function timestampOf(date: Date): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);
}

/**
 * Whether a column scanned without ORDER BY came back ascending: DuckDB keeps insertion order for a plain
 * scan, so a sort is needed only for rows appended out of order.
 */
export function isAscending(values: Int32Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
}
