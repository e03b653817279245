import type { DotKernels } from '../hdbscan/kernels/dot-kernel.js';
import { startThread, type Thread } from '../threads.js';
import type { BlockRows } from './block-rows.js';
import type { LeafPartition } from './leaf-partition.js';
import {
  CANCELLED,
  controlSlots,
  doneSlot,
  nextSlot,
  type LeafReply,
  type LeafRequest,
  type LeafTask,
  type LeafWorkerSetup,
} from './leaf-protocol.js';
import type { LeafTiles } from './leaf-tile.js';
import type { NeighbourLists } from './neighbour-lists.js';

/** One tree's leaves, shared between this thread and the helper (see LeafHelper.begin). */
export interface LeafShare {
  task: number;
  partition: LeafPartition;
  unseen: boolean;
  finished: Promise<LeafReply>;
}

/**
 * A second thread for the leaf tiles of the neighbour search: for each tree, this thread and the
 * helper take its leaves from one shared counter, each multiplying whole leaves into the shared
 * lists. A tree's leaves are disjoint, so no row's list is offered pairs by both threads at once,
 * and every list gets the same offers in the same order whoever takes its leaf: the lists do not
 * depend on how the leaves were shared out. The helper loads its own kernel meanwhile (tens of
 * milliseconds); until it is ready this thread takes every leaf, and it never waits for it.
 */
export class LeafHelper {
  private readonly waiting = new Map<number, (reply: LeafReply) => void>();
  private failure: Error | undefined;
  private tasks = 0;
  /** Resolves once the helper has released its kernel (or ended, or failed). */
  private readonly stopped: Promise<void>;
  private onStopped: () => void = () => {};

  private constructor(
    private readonly thread: Thread,
    private readonly control: Int32Array,
    private readonly firstOrder: Int32Array,
  ) {
    this.stopped = new Promise<void>((resolve) => {
      this.onStopped = resolve;
      thread.onExit(() => resolve());
    });
    thread.onMessage((message) => {
      const reply = message as LeafReply;
      if ('task' in reply) this.deliver(reply.task, reply);
      else if ('closed' in reply) this.onStopped();
      else if ('error' in reply) this.fail(new Error(`neighbour search helper failed: ${reply.error}`));
    });
    thread.onError((error) => this.fail(error));
  }

  /**
   * Starts the helper over `rows`' ordered copy and `lists`, both shared (see keepOrderedCopy and
   * NeighbourLists), for up to `tasks` calls of begin; undefined when the copy is not shared.
   */
  static start(
    rows: BlockRows,
    lists: NeighbourLists,
    kernels: DotKernels,
    leafSize: number,
    tasks: number,
  ): LeafHelper | undefined {
    const ordered = rows.ordered();
    if (!ordered || !(ordered.copy.buffer instanceof SharedArrayBuffer)) return undefined;
    const control = new Int32Array(new SharedArrayBuffer(4 * controlSlots(tasks)));
    const setup: LeafWorkerSetup = {
      role: 'leaf-knn',
      kernels: kernels.module,
      metric: rows.metric,
      norms: rows.norms,
      squares: rows.squares,
      ...ordered,
      count: lists.count,
      width: lists.width,
      ids: lists.ids,
      keys: lists.keys,
      leafSize,
      control,
    };
    return new LeafHelper(startThread(new URL('./leaf-worker.js', import.meta.url), setup), control, ordered.order);
  }

  private deliver(task: number, reply: LeafReply): void {
    const waiting = this.waiting.get(task);
    this.waiting.delete(task);
    waiting?.(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.onStopped();
    for (const task of [...this.waiting.keys()]) this.deliver(task, { error: error.message });
  }

  /**
   * Hands the helper the leaves of `partition` to take from (it starts on them at once, while this
   * thread may do other work); {@link finish} takes the rest.
   */
  begin(partition: LeafPartition, unseen: boolean): LeafShare {
    const task = this.tasks++;
    const finished = new Promise<LeafReply>((resolve) => this.waiting.set(task, resolve));
    const { order, bounds } = partition;
    const message: LeafTask = { task, ...(order === this.firstOrder ? {} : { order }), bounds, unseen };
    this.thread.post(message);
    return { task, partition, unseen, finished };
  }

  /** Multiplies the leaves of `share` the helper has not taken (with `tiles`), and waits for those it has. */
  async finish(share: LeafShare, tiles: LeafTiles, tick: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    const { control } = this;
    const { task, partition, unseen, finished } = share;
    const { order, bounds } = partition;
    const next = nextSlot(task);
    const done = doneSlot(task);
    const leaves = bounds.length - 1;
    try {
      for (let leaf = Atomics.add(control, next, 1); leaf < leaves; leaf = Atomics.add(control, next, 1)) {
        await tiles.multiply(order, bounds[leaf]!, bounds[leaf + 1]!, unseen);
        Atomics.add(control, done, 1);
        await tick();
      }
    } catch (error) {
      Atomics.store(control, CANCELLED, 1);
      throw error;
    }
    // Leaves the helper took and has not finished: its reply says when it has.
    if (Atomics.load(control, done) < leaves) {
      const reply = await finished;
      if ('error' in reply) throw this.failure ?? new Error(reply.error);
    } else {
      this.waiting.delete(task);
    }
  }

  /**
   * Stops the helper: it releases its kernel first (once it has made it: a thread terminated inside
   * ONNX Runtime's session set-up or run aborts the process), then it is terminated.
   */
  async close(): Promise<void> {
    const request: LeafRequest = { close: true };
    this.thread.post(request);
    await this.stopped;
    await this.thread.terminate();
  }
}
