import { throwIfCancelled, type TaskControl } from '../../progress.js';

/** How long a synchronous stretch may run before handing the event loop a turn (ms). */
const YIELD_INTERVAL_MS = 40;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Progress and cancellation for one stage of a long loop. `tick` checks the signal at every call
 * and yields to the event loop now and then, so that an abort coming from a timer or a request can
 * actually land while the computation runs.
 */
export class Checkpoint {
  private lastYield = performance.now();

  constructor(
    private readonly control: TaskControl | undefined,
    private readonly stage: string,
    private readonly total: number,
  ) {
    throwIfCancelled(control?.signal, stage);
    control?.onProgress?.({ stage, done: 0, total });
  }

  /**
   * True when `tick` would do more than find the signal clear: the signal is aborted or a yield is
   * due. A loop of many cheap steps calls `tick` only then, which spares it an await per step.
   */
  due(): boolean {
    return this.control?.signal?.aborted === true || performance.now() - this.lastYield >= YIELD_INTERVAL_MS;
  }

  async tick(done: number): Promise<void> {
    throwIfCancelled(this.control?.signal, this.stage);
    const now = performance.now();
    if (now - this.lastYield < YIELD_INTERVAL_MS) return;
    this.control?.onProgress?.({ stage: this.stage, done, total: this.total });
    await yieldToEventLoop();
    this.lastYield = performance.now();
    throwIfCancelled(this.control?.signal, this.stage);
  }

  finish(): void {
    throwIfCancelled(this.control?.signal, this.stage);
    this.control?.onProgress?.({ stage: this.stage, done: this.total, total: this.total });
  }
}
