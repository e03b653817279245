import { CancelledError } from '../../errors.js';
import { startThread, threadResult, type Thread } from '../threads.js';
import type { StageCheckpoint } from './checkpoint.js';

const POLL_MS = 40;

export interface WorkerRun<Result> {
  /** The worker script (a compiled .js file beside its caller). */
  script: URL;
  /** One workerData per worker. */
  inputs: unknown[];
  /** Handles a message from worker `index`; returns that worker's result once the message is its last. */
  onMessage: (index: number, message: unknown) => Result | undefined;
  /** Called every 40 ms while the workers run (e.g. to report progress from shared memory). */
  poll?: () => void;
}

/**
 * Runs one worker per input until every one has delivered its result. Aborting the checkpoint's
 * signal rejects with CancelledError at once; a failing worker rejects with its error. The workers
 * are terminated in every case.
 */
export async function runWorkers<Result>(run: WorkerRun<Result>, checkpoint: StageCheckpoint): Promise<Result[]> {
  const workers: Thread[] = [];
  const signal = checkpoint.signal;
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const cancelled = new Promise<never>((_, reject) => {
      onAbort = () => reject(new CancelledError(checkpoint.stage));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const results = run.inputs.map((workerData, index) => {
      const worker = startThread(run.script, workerData);
      workers.push(worker);
      return threadResult(worker, `worker ${run.script.pathname}`, (message) => run.onMessage(index, message));
    });
    if (run.poll) timer = setInterval(run.poll, POLL_MS);
    return await Promise.race([Promise.all(results), cancelled]);
  } finally {
    clearInterval(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
