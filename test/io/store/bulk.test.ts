import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBInstance } from '@duckdb/node-api';
import { appendRows, intColumn } from '../../../src/io/store/bulk.js';
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
});
