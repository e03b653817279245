import { CancelledError } from './errors.js';

/** One progress report: `done` of `total` units of work in `stage` (total 0 when unknown). */
export interface Progress {
  stage: string;
  done: number;
  total: number;
}

export type ProgressCallback = (progress: Progress) => void;

/** What every long-running entry point accepts to report progress and be cancelled. */
export interface TaskControl {
  /** Called as work advances; `done` never goes backwards within a stage. */
  onProgress?: ProgressCallback;
  /** Aborting it makes the task throw CancelledError at its next checkpoint. */
  signal?: AbortSignal;
}

export function throwIfCancelled(signal: AbortSignal | undefined, stage: string): void {
  if (signal?.aborted) throw new CancelledError(stage);
}
