/** What the commands that work on one results file share: the store opened for the command, and progress. */
import { closeAfter, NapStore, type OpenStoreOptions } from '../io/store/index.js';
import type { TaskControl } from '../progress.js';

import { createReporter } from './progress-reporter.js';

/** Opens the store at `file`, runs `body` with it and closes it, whatever `body` does. */
export async function withStore<T>(
  file: string,
  options: OpenStoreOptions,
  body: (store: NapStore) => Promise<T>,
): Promise<T> {
  const store = await NapStore.open(file, options);
  return closeAfter(store, () => body(store));
}

/**
 * Runs a long task with a progress reporter on stderr (silent when `quiet`: --quiet or --json, whose stdout
 * must stay machine-readable) and the command's abort signal; the reporter's line is cleared whatever happens.
 */
export async function withProgress<T>(
  quiet: boolean,
  signal: AbortSignal | undefined,
  task: (control: TaskControl) => Promise<T>,
): Promise<T> {
  const reporter = createReporter(process.stderr, { quiet });
  try {
    return await task({ onProgress: reporter.progress, ...(signal ? { signal } : {}) });
  } finally {
    reporter.done();
  }
}
