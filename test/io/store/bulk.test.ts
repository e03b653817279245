import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBInstance } from '@duckdb/node-api';
import { appendRows, intColumn } from '../../../src/io/store/bulk.js';
import { floatListColumn } from '../../../src/io/store/vectors.js';
import { inTransaction } from '../../../src/io/store/transaction.js';

/** The collector, exposed at run time: a failed appender's leftovers surface only when it is collected. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('bulk appends', () => {
  it('a failed append leaves nothing behind that could break a later transaction once collected', async () => {
    const gc = collectGarbage();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run('CREATE TABLE keyed (k INTEGER PRIMARY KEY)');
      await assert.rejects(
        inTransaction(connection, () => appendRows(connection, 'keyed', { k: intColumn(Int32Array.of(1, 2, 1)) }, 3)),
        /duplicate key "1"/,
      );
      await inTransaction(connection, async () => {
        await appendRows(connection, 'keyed', { k: intColumn(Int32Array.of(10)) }, 1);
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
        gc();
        await appendRows(connection, 'keyed', { k: intColumn(Int32Array.of(11)) }, 1);
      });
      const rows = (await connection.runAndReadAll('SELECT k FROM keyed ORDER BY k')).getRows();
      assert.deepEqual(
        rows.map((row) => row[0]),
        [10, 11],
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('float lists written into the chunk at once hold what the value-by-value path writes, across chunks', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      // More rows than one chunk (2048), a view that starts inside its buffer, and values that are easy to lose.
      const rows = 2500;
      const dim = 3;
      const backing = Float32Array.from({ length: (rows + 1) * dim }, (_, i) => Math.sin(i) * 1e3);
      backing.set([NaN, -0, Infinity, -Infinity, 1e-45, 3.4e38], dim);
      const data = backing.subarray(dim);
      for (const [table, wide] of [
        ['fast', floatListColumn(data, dim)],
        ['slow', { type: floatListColumn(data, dim).type, valueAt: floatListColumn(data, dim).valueAt }],
        ['empty', floatListColumn(new Float32Array(0), 0)],
      ] as const) {
        await connection.run(`CREATE TABLE ${table} (i INTEGER, v FLOAT[])`);
        const index = Int32Array.from({ length: rows }, (_, i) => i);
        await appendRows(connection, table, { i: intColumn(index), v: wide }, rows);
      }
      assert.ok(floatListColumn(data, dim).fill, 'the fast path is the one tested');
      const read = async (table: string) =>
        (await connection.runAndReadAll(`SELECT i, v::VARCHAR FROM ${table} ORDER BY i`)).getRows();
      const fast = await read('fast');
      assert.equal(fast.length, rows);
      assert.deepEqual(fast, await read('slow'));
      assert.deepEqual(fast[0], [0, '[nan, -0.0, inf]']);
      // Bit for bit: the floats DuckDB holds are the array's.
      const bits = (await connection.runAndReadAll('SELECT unnest(v)::FLOAT FROM fast ORDER BY i')).getRows();
      const back = Float32Array.from(bits, (row) => (row[0] === null ? NaN : Number(row[0])));
      assert.deepEqual(
        new Uint32Array(back.buffer).subarray(dim),
        new Uint32Array(Float32Array.from(data).buffer).subarray(dim),
      );
      const empty = (await connection.runAndReadAll('SELECT count(*) FILTER (WHERE len(v) = 0) FROM empty')).getRows();
      assert.equal(Number(empty[0]![0]), rows);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
