/**
 * An onnxruntime session in a worker thread. onnxruntime-node computes session.run on the calling thread,
 * so on the main thread a forward pass blocks the event loop from start to end: the next batch's images,
 * which libvips decodes on its own threads but JavaScript callbacks hand on and convert to floats, and the
 * previous batch's storage would wait for the model instead of running beside it.
 *
 * Inputs are copied into the message (the caller keeps its arrays); outputs come back by transfer. Runs
 * are served in the order they are asked. The worker holds the process open only while a call is pending.
 */
import { Worker } from 'node:worker_threads';
import { NapError } from '../../errors.js';
import { deviceStartError, type Device } from './device.js';
import { loadError } from './session.js';
import type { SessionReply, SessionRequest, SessionWorkerSetup, WireFeed, WireTensor } from './session-protocol.js';

export type { WireTensor } from './session-protocol.js';

interface Waiter {
  resolve: (reply: SessionReply) => void;
  reject: (error: Error) => void;
}

export class WorkerSession {
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();
  private closing: Promise<void> | undefined;
  /**
   * Milliseconds the worker waited with no run to serve, between runs (not before the first): the time the
   * model was starved by its caller. For benchmarks (scripts/bench/extraction-profile.ts).
   */
  idleMs = 0;
  /**
   * Why the worker thread is gone, once it is: a message to an exited worker is dropped without a word, so
   * every later call must fail here rather than wait for an answer that never comes.
   */
  private dead: NapError | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: SessionReply) => this.settle(reply));
    worker.on('error', (error) =>
      this.die(
        new NapError(`the onnxruntime worker thread failed: ${error.message}`, { hint: RESTART_HINT, cause: error }),
      ),
    );
    worker.on('exit', (code) =>
      this.die(new NapError(`the onnxruntime worker thread stopped (exit code ${code})`, { hint: RESTART_HINT })),
    );
    worker.unref();
  }

  /** Starts the worker and loads `model` in it; a model onnxruntime refuses is an InputError naming `source`. */
  static async open(
    model: Uint8Array,
    source: string,
    threads: number,
    device: Device = 'cpu',
  ): Promise<WorkerSession> {
    const setup: SessionWorkerSetup = { role: 'onnx-session', model, threads, device };
    const worker = new Worker(new URL('./session-worker.js', import.meta.url), { workerData: setup });
    const first = await new Promise<SessionReply>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`the onnxruntime worker thread stopped while loading ${source} (exit code ${code})`));
      worker.once('message', (reply: SessionReply) => {
        worker.off('error', reject).off('exit', onExit);
        resolve(reply);
      });
      worker.once('error', reject).once('exit', onExit);
    });
    if (first.type !== 'ready') {
      await worker.terminate();
      const cause = new Error(first.type === 'failed' ? first.message : `unexpected reply '${first.type}'`);
      throw device === 'cpu' ? loadError(source, cause) : deviceStartError(device, cause);
    }
    return new WorkerSession(worker);
  }

  /** session.run with the given feeds (float32 unless typed): the named fetches, each with its type, dims and data. */
  async run(
    feeds: Record<string, { data: WireFeed['data']; dims: number[]; type?: WireFeed['type'] }>,
    fetches: string[],
  ): Promise<Record<string, WireTensor>> {
    if (this.closing) throw new Error('the model session is closed');
    const copies = Object.fromEntries(
      Object.entries(feeds).map(([name, { data, dims, type }]): [string, WireFeed] => [
        name,
        { type: type ?? 'float32', data: data.slice(), dims: [...dims] },
      ]),
    );
    const reply = await this.ask(
      (id) => ({ type: 'run', id, feeds: copies, fetches }),
      // slice() made each copy on a fresh, unshared ArrayBuffer.
      Object.values(copies).map((feed) => feed.data.buffer as ArrayBuffer),
    );
    if (reply.type === 'error') throw new Error(reply.message);
    if (reply.type !== 'ran') throw new Error(`the onnxruntime worker thread answered '${reply.type}' to a run`);
    this.idleMs += reply.idleMs;
    return reply.outputs;
  }

  /**
   * Releases the session and stops the worker; later calls do nothing. Resolves even when the worker has
   * died (before or during the close): a thread that is gone holds nothing left to release.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.dead) await this.ask((id) => ({ type: 'close', id }));
      } catch {
        // Only a dying worker rejects a close (see die): it has stopped, which is all a close asks.
      } finally {
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }

  private ask(request: (id: number) => SessionRequest, transfer: ArrayBuffer[] = []): Promise<SessionReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<SessionReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request(id), transfer);
    });
  }

  private settle(reply: SessionReply): void {
    if (!('id' in reply)) return;
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    waiter.resolve(reply);
  }

  /** The worker is gone: pending calls fail with `error`, and so does every later one. */
  private die(error: NapError): void {
    // An 'error' event is followed by 'exit': the first says what happened.
    this.dead ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.dead);
    this.waiting.clear();
  }
}

const RESTART_HINT =
  'the model session went with the thread: run the command again, and if the thread stops again, check the free memory (a large model or batch can exhaust it)';
