import type { StageCheckpoint } from './checkpoint.js';
import type { EpochConstants, LayoutArrays } from './layout-epochs.js';
import { runWorkers } from './run-workers.js';

/** Slots of the Int32 control block shared with layout workers. */
export const CONTROL = { arrived: 0, generation: 1, epochsDone: 2 } as const;

export interface LayoutWorkerInput {
  arrays: LayoutArrays;
  constants: EpochConstants;
  /** Boundaries of this worker's consecutive vertex blocks. */
  blocks: number[];
  parties: number;
  index: number;
  control: SharedArrayBuffer;
}

/**
 * Runs every epoch on `threads` workers, each taking a run of consecutive blocks (`blocks` holds
 * all block boundaries); the workers meet at a barrier after each phase (see layout-worker.ts).
 * `arrays` must live in SharedArrayBuffers.
 */
export async function layoutOnWorkers(
  arrays: LayoutArrays,
  constants: EpochConstants,
  blocks: number[],
  threads: number,
  checkpoint: StageCheckpoint,
): Promise<void> {
  const control = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const controlView = new Int32Array(control);
  const blockCount = blocks.length - 1;
  const inputs = Array.from({ length: threads }, (_, index): LayoutWorkerInput => {
    const first = Math.round((index * blockCount) / threads);
    const last = Math.round(((index + 1) * blockCount) / threads);
    return { arrays, constants, blocks: blocks.slice(first, last + 1), parties: threads, index, control };
  });
  await runWorkers<true>(
    {
      script: new URL('./layout-worker.js', import.meta.url),
      inputs,
      onMessage: () => true,
      poll: () => checkpoint.report(Atomics.load(controlView, CONTROL.epochsDone)),
    },
    checkpoint,
  );
}
