import { startThread, type Thread } from '../../threads.js';
import type { Checkpoint } from '../checkpoint.js';
import type { ParallelFlush, PrimWorkers } from './certified-prim.js';
import type { DotKernels } from './dot-kernel.js';
import { CandidateHeaps, type ParallelNeighbours } from './neighbours.js';
import type { FlushSide } from './pair-flush.js';
import { float32s, float64s, type Screen } from './screen.js';
import {
  CANCELLED,
  CONTROL_SLOTS,
  DONE,
  NEXT,
  type HeapParts,
  type WorkerReply,
  type WorkerSetup,
  type WorkerTask,
} from './worker-protocol.js';

/** How often the main thread reports progress and forwards cancellation while workers run (ms). */
const POLL_MS = 40;

/** One worker thread with one request in flight at a time. */
class MstWorker {
  private waiting: ((reply: WorkerReply) => void) | undefined;
  private failure: Error | undefined;
  /** Set once the worker has loaded its dot kernel and listens (it reports `ready` once). */
  isReady = false;

  constructor(private readonly worker: Thread) {
    worker.onMessage((message) => {
      const reply = message as WorkerReply;
      if ('ready' in reply) this.isReady = true;
      else this.deliver(reply);
    });
    worker.onError((error) => {
      this.failure = error;
      this.deliver({ error: error.message });
    });
  }

  private deliver(reply: WorkerReply): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(reply);
  }

  /** Posts `task` (queued by the worker until it is ready) and resolves with its reply. */
  ask(task: WorkerTask): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      this.waiting = (message) =>
        'error' in message ? reject(new Error(`fastMst worker failed: ${message.error}`)) : resolve(message);
    });
    this.worker.post(task);
    return reply;
  }

  terminate(): Promise<void> {
    return this.worker.terminate();
  }
}

/**
 * Worker threads for both passes of fastMst. They read the screened rows and the caller's rows
 * from shared memory and write Prim keys into a shared array; each claims the next tile or column
 * chunk from a shared counter.
 */
export class MstWorkerPool {
  private constructor(
    private readonly workers: MstWorker[],
    private readonly control: Int32Array,
    readonly key: Float64Array,
    readonly core: Float64Array,
  ) {}

  /**
   * Starts `size` workers over `screen` (whose arrays must be shared) and the caller's rows, each
   * with a one-thread kernel of `kernels`. They take a while to load it; tasks posted meanwhile wait.
   */
  static start(screen: Screen, data: Float32Array, size: number, kernels: DotKernels): MstWorkerPool {
    const { count, dim } = screen;
    const shared = float32s(count * dim, true);
    shared.set(data);
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
    const setup: WorkerSetup = {
      role: 'fast-mst',
      metric: screen.metric,
      count,
      dim,
      maxScale: screen.maxScale,
      unit: screen.unit,
      tile: screen.tile,
      kernels: kernels.module,
      vectors: screen.vectors,
      norms: screen.norms,
      scales: screen.scales,
      data: shared,
      core: float64s(count, true),
      key: float64s(count, true),
      control,
    };
    const url = new URL('../worker-mst.js', import.meta.url);
    const workers = Array.from({ length: size }, () => new MstWorker(startThread(url, setup)));
    return new MstWorkerPool(workers, control, setup.key, setup.core);
  }

  private get allReady(): boolean {
    return this.workers.every((worker) => worker.isReady);
  }

  /** Runs `task` on every worker with a fresh claim counter, reporting progress as tasks finish. */
  private async everyone(task: WorkerTask, checkpoint: Checkpoint | undefined): Promise<WorkerReply[]> {
    return (await this.everyoneAnd(task, checkpoint, undefined))[0];
  }

  /**
   * `everyone`, with `alongside` run on this thread too: it gets a claim function on the same
   * counter that stops handing out work once every worker is ready (this thread only fills in
   * while they start up).
   */
  private async everyoneAnd<T>(
    task: WorkerTask,
    checkpoint: Checkpoint | undefined,
    alongside: ((claim: () => number, done: () => Promise<void>) => Promise<T>) | undefined,
  ): Promise<[WorkerReply[], T | undefined]> {
    const { control } = this;
    Atomics.store(control, NEXT, 0);
    Atomics.store(control, DONE, 0);
    Atomics.store(control, CANCELLED, 0);
    let polling: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      polling = polling
        .then(() => checkpoint?.tick(Atomics.load(control, DONE)))
        .catch(() => {
          Atomics.store(control, CANCELLED, 1);
        });
    }, POLL_MS);
    try {
      const replies = Promise.all(this.workers.map((worker) => worker.ask(task)));
      const claim = (): number =>
        this.allReady || Atomics.load(control, CANCELLED) ? -1 : Atomics.add(control, NEXT, 1);
      const done = (): Promise<void> => {
        Atomics.add(control, DONE, 1);
        return Promise.resolve();
      };
      const mine = alongside ? await alongside(claim, done) : undefined;
      return [await replies, mine];
    } finally {
      clearInterval(timer);
      await polling;
    }
  }

  /** The neighbour pass, split over the workers (see nearestNeighbours). */
  neighbours: ParallelNeighbours = {
    scan: async (width, checkpoint, alongside) => {
      const [replies, mine] = await this.everyoneAnd({ type: 'neighbours', width }, checkpoint, alongside);
      const heaps = (replies as HeapParts[]).map(
        (parts) => new CandidateHeaps(parts.sizes.length, width, parts.bar, parts),
      );
      return mine ? [mine, ...heaps] : heaps;
    },
    exact: async (candidates, width) => {
      const shared = new Int32Array(new SharedArrayBuffer(4 * candidates.length));
      shared.set(candidates);
      const ids = new Int32Array(new SharedArrayBuffer(4 * candidates.length));
      const distances = float64s(candidates.length, true);
      await this.everyone({ type: 'exact', candidates: shared, width, ids, distances }, undefined);
      return { ids, distances };
    },
    rescan: async (rows, reach, width, sorted) => {
      const sharedRows = new Int32Array(new SharedArrayBuffer(4 * rows.length));
      sharedRows.set(rows);
      await this.everyone(
        { type: 'rescan', rows: sharedRows, reach, width, ids: sorted.ids, distances: sorted.distances },
        undefined,
      );
    },
  };

  flush: ParallelFlush = async (rows: FlushSide, columns: FlushSide) => {
    await this.everyone({ type: 'flush', rows, columns }, undefined);
  };

  primWorkers(): PrimWorkers {
    return { key: this.key, core: this.core, flush: this.flush };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
