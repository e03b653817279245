import { throwIfCancelled, type TaskControl } from '../../progress.js';

/** How long a synchronous stretch may run before handing the event loop a turn (ms). */
const YIELD_INTERVAL_MS = 40;

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Progress and cancellation for one stage. `tick` checks the signal on every call, reports progress
 * (never backwards) and yields to the event loop now and then so an abort can land mid-computation.
 */
export class StageCheckpoint {
  private lastYield = performance.now();
  private lastDone = 0;

  constructor(
    private readonly control: TaskControl | undefined,
    readonly stage: string,
    private readonly total: number,
  ) {
    throwIfCancelled(control?.signal, stage);
    control?.onProgress?.({ stage, done: 0, total });
  }

  get signal(): AbortSignal | undefined {
    return this.control?.signal;
  }

  async tick(done: number): Promise<void> {
    throwIfCancelled(this.control?.signal, this.stage);
    const now = performance.now();
    if (now - this.lastYield < YIELD_INTERVAL_MS) return;
    this.report(done);
    await yieldToEventLoop();
    this.lastYield = performance.now();
    throwIfCancelled(this.control?.signal, this.stage);
  }

  /** Reports without yielding (for progress that arrives from workers). */
  report(done: number): void {
    if (done <= this.lastDone) return;
    this.lastDone = Math.min(done, this.total);
    this.control?.onProgress?.({ stage: this.stage, done: this.lastDone, total: this.total });
  }

  finish(): void {
    throwIfCancelled(this.control?.signal, this.stage);
    this.lastDone = this.total;
    this.control?.onProgress?.({ stage: this.stage, done: this.total, total: this.total });
  }
}
