/**
 * The test-time shift stage of an analysis (`nap analyze --test-time-shifts N`): after the extraction, the
 * model's class output alone (no intermediate layer) is computed again on every copy of each stored input's
 * preprocessed image moved by -N..N pixels along each axis, and per input the renormalized geometric mean of
 * the passes' probabilities is stored (src/io/store/shifted-probabilities.ts) for `nap triage`. The
 * extraction's own pipeline and results are not touched: this stage reads the inputs again, commits batch by
 * batch, and a resumed stage computes only the inputs not yet stored.
 */
import { GeometricMean, shiftGrid, shiftImages, type ImageLayout } from '../compute/test-time-shifts.js';
import { toProbabilities } from '../compute/predictions.js';
import { InputError, option } from '../errors.js';
import { openOnnxBytes } from '../io/onnx/runner.js';
import type { ShiftedProbabilityWriter, StoreReader } from '../io/store/index.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import type { PreparedAnalysis } from './analyze.js';
import type { Feeding } from './feeding.js';

const STAGE = 'test-time shifts';

/** The image layout of a feeding that test-time shifts can move; an InputError for inputs that are not images. */
export function shiftableLayout(feeding: Feeding, shifts: number, data: string): ImageLayout {
  const layout = feeding.imageLayout;
  if (layout === undefined) {
    throw new InputError(
      `${option('testTimeShifts', shifts)} moves images, but ${data} feeds the model arrays (${feeding.modelLayout}), not images`,
      {
        hint: `leave out ${option('testTimeShifts')} (or set it to 0) for inputs that are not images; arrays of images [N, C, H, W] or [N, H, W, C] feeding a model's only input are shifted`,
      },
    );
  }
  return layout;
}

/**
 * Computes and stores the shifted probabilities of the run's inputs that have none for `shifts` yet (those
 * of another shift setting are replaced). Nothing to do when `shifts` is 0.
 */
export async function storeShiftedProbabilities(
  store: StoreReader & ShiftedProbabilityWriter,
  runId: number,
  prepared: PreparedAnalysis,
  shifts: number,
  control: TaskControl = {},
): Promise<void> {
  if (shifts === 0) return;
  const { config, feeding } = prepared;
  const layout = shiftableLayout(feeding, shifts, config.data);
  await store.clearShiftedProbabilities(runId, shifts);
  const stored = await store.readShiftedProbabilities(runId);
  const done = new Set(stored?.inputIndex ?? []);
  const inputs = (await store.readInputs(runId)).index;
  const pending = Int32Array.from(inputs).filter((row) => !done.has(row));
  const total = inputs.length;
  control.onProgress?.({ stage: STAGE, done: total - pending.length, total });
  if (pending.length === 0) return;
  const runner = await openOnnxBytes(prepared.model, config.model, {
    layers: [],
    threads: prepared.threads,
    device: prepared.device,
  });
  const grid = shiftGrid(shifts);
  try {
    for (let start = 0; start < pending.length; start += config.batchSize) {
      throwIfCancelled(control.signal, STAGE);
      const rows = pending.subarray(start, start + config.batchSize);
      const items = Int32Array.from(rows, (row) => prepared.items[row]!);
      const batch = await feeding.load(items, control);
      const failed = batch.failed[0];
      if (failed) {
        throw new InputError(`cannot read input ${failed.path} again for the test-time shifts: ${failed.reason}`, {
          hint: 'the images changed since they were analyzed: analyze them again',
        });
      }
      const [feed] = batch.feeds as [(typeof batch.feeds)[number]];
      const data = feed.data as Float32Array;
      // Every shifted copy is handed to the runner at once: its worker runs them back to back.
      const outputs = await Promise.all(
        grid.map((shift) => runner.run(shiftImages(data, feed.dims, layout, shift), feed.dims)),
      );
      const classes = outputs[0]!.output.data.length / rows.length;
      const mean = new GeometricMean(rows.length, classes);
      for (const { output } of outputs) mean.add(toProbabilities(output.data, rows.length, classes));
      await store.appendShiftedProbabilities(runId, {
        shifts,
        classes,
        inputIndex: rows,
        probabilities: mean.mean(),
      });
      control.onProgress?.({ stage: STAGE, done: total - pending.length + start + rows.length, total });
    }
  } finally {
    await runner.close();
  }
}
