import { CancelledError } from '../../errors.js';
import os from 'node:os';

/**
 * Default number of decodes in flight: one per core. More (twice the cores was tried) only takes CPU from
 * the model, which runs beside the decoding: on 2 cores with 1 onnxruntime thread, engine throughput went
 * from 0.80 to 0.89 of bare session.run (scripts/bench-engine.ts).
 */
export function defaultConcurrency(): number {
  return os.availableParallelism();
}

/**
 * Runs task(0..count-1) with at most `limit` in flight. The first error (or an abort, checked before
 * each task starts) stops new tasks; it is thrown once the running ones have settled.
 */
export async function forEachConcurrent(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
  cancel: { signal?: AbortSignal | undefined; stage: string },
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      if (cancel.signal?.aborted) {
        failure = { error: new CancelledError(cancel.stage) };
        return;
      }
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(limit, count));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure.error;
}
