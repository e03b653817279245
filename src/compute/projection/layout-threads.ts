import type { StageCheckpoint } from './checkpoint.js';
import type { EpochConstants, LayoutArrays } from './layout-epochs.js';
import { runWorkers } from './run-workers.js';

/** Slots of the Int32 control block shared with layout workers. */
export const CONTROL = { arrived: 0, generation: 1, epochsDone: 2, nextTicket: 3 } as const;

export interface LayoutWorkerInput {
  arrays: LayoutArrays;
  constants: EpochConstants;
  /** Boundaries of every vertex block. */
  blocks: number[];
  parties: number;
  index: number;
  control: SharedArrayBuffer;
}

/**
 * Runs every epoch on `threads` workers, which share out the blocks (`blocks` holds their
 * boundaries) and meet at a barrier after each epoch (see layout-worker.ts); what the last epoch's
 * edges owe is left for the caller to settle. `arrays` must live in SharedArrayBuffers.
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
  const inputs = Array.from({ length: threads }, (_, index): LayoutWorkerInput => ({
    arrays,
    constants,
    blocks,
    parties: threads,
    index,
    control,
  }));
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
