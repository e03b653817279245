import type { TaskControl } from '../progress.js';

/**
 * Runs two tasks at once under one cancellation. The first to fail cancels the other, and its error is the
 * one thrown, once both have stopped: neither still writes to the store when the caller goes on (or closes
 * it), and the cause is reported rather than the other task's CancelledError.
 */
export async function sideBySide<A, B>(
  control: TaskControl,
  first: (control: TaskControl) => Promise<A>,
  second: (control: TaskControl) => Promise<B>,
): Promise<[A, B]> {
  const stop = new AbortController();
  const signal = control.signal ? AbortSignal.any([control.signal, stop.signal]) : stop.signal;
  const shared: TaskControl = { ...control, signal };
  const failures: unknown[] = [];
  const watched = async <T>(task: (control: TaskControl) => Promise<T>): Promise<T> => {
    try {
      return await task(shared);
    } catch (error) {
      failures.push(error);
      stop.abort();
      throw error;
    }
  };
  const [a, b] = await Promise.allSettled([watched(first), watched(second)]);
  if (a.status === 'rejected' || b.status === 'rejected') throw failures[0];
  return [a.value, b.value];
}
