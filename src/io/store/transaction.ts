import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs async tasks one at a time, in call order. A DuckDB connection runs one statement at a time and
 * a transaction must not interleave with other work on its connection.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}

/** Runs `work` in one transaction: all of its writes land, or (on any error) none do. */
export async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  let result: T;
  try {
    result = await work();
  } catch (error) {
    // The work's error explains the failure; a rollback that fails means DuckDB already ended the transaction.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await connection.run('COMMIT');
  return result;
}
