/**
 * compute/'s one door to Node: worker threads and the core count. Every thread that compute starts or
 * serves goes through this small interface, so the rest of compute imports no Node built-in (the
 * layer rule in eslint.config.js enforces it) and could run on another host's workers.
 */
import { availableParallelism } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';

/** A worker thread started by this one. */
export interface Thread {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  /** Called once the thread has stopped, with its exit code (0: it ended by itself). */
  onExit(listener: (code: number) => void): void;
  terminate(): Promise<void>;
}

/** Starts the compiled ES module `script` on a new thread, which receives `data` as its start data. */
export function startThread(script: URL, data: unknown): Thread {
  const worker = new Worker(script, { workerData: data });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on('message', listener),
    onError: (listener) => void worker.on('error', listener),
    onExit: (listener) => void worker.on('exit', listener),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The result of `thread`: the first value `result` makes of one of its messages (undefined: not yet; a
 * throw rejects). Rejects when the thread fails, or stops before such a message (a message still in
 * flight when it ends by itself gets its turn first). `name` names the thread in that error.
 */
export function threadResult<Result>(
  thread: Thread,
  name: string,
  result: (message: unknown) => Result | undefined,
): Promise<Result> {
  return new Promise<Result>((resolve, reject) => {
    thread.onMessage((message) => {
      try {
        const value = result(message);
        if (value !== undefined) resolve(value);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    thread.onError(reject);
    thread.onExit((code) => {
      // Rejecting a settled promise does nothing.
      const failure = new Error(`${name} exited with code ${code} before finishing`);
      if (code !== 0) reject(failure);
      else setImmediate(() => reject(failure));
    });
  });
}

/** What a worker thread sees of its starter: the start data, and a port back. */
export interface ThreadSide<Data> {
  data: Data;
  /** Sends `message` to the starter; the buffers in `transfer` move instead of being copied. */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** This thread's side when it is a worker started by {@link startThread}; undefined on the main thread. */
export function threadSide<Data>(): ThreadSide<Data> | undefined {
  const port = parentPort;
  if (!port) return undefined;
  return {
    data: workerData as Data,
    post: (message, transfer) => port.postMessage(message, transfer),
    onMessage: (listener) => void port.on('message', listener),
  };
}

/** Threads this process may use at once (at least 1). */
export function availableCores(): number {
  return Math.max(1, availableParallelism());
}
