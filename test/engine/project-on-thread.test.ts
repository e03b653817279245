import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMatrix } from '../../src/compute/matrix.js';
import { projectMatrix } from '../../src/engine/project-layer.js';
import { projectionThread } from '../../src/engine/project-on-thread.js';
import { planProjection } from '../../src/engine/projection-options.js';
import { CancelledError, InputError } from '../../src/errors.js';
import type { Progress } from '../../src/progress.js';

function blobs(count: number, dim: number): ReturnType<typeof makeMatrix> {
  let state = 7;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return makeMatrix(
    count,
    dim,
    Float32Array.from({ length: count * dim }, (_, i) => (Math.floor(i / dim) % 3) * 4 + next()),
  );
}

describe('projectionThread', () => {
  it('makes the same maps as projectMatrix on this thread, one after another, and reports their progress', async () => {
    const thread = projectionThread();
    try {
      for (const [count, dim] of [
        [120, 5],
        [90, 3],
      ] as const) {
        const matrix = blobs(count, dim);
        const plan = planProjection({ nEpochs: 50 }, matrix)!;
        const stages = new Set<string>();
        const here = await projectMatrix(matrix, plan);
        const there = await thread.project('layer', matrix, new Int32Array(0), plan, {
          onProgress: (p: Progress) => stages.add(p.stage),
        });
        assert.deepEqual(Array.from(there.x), Array.from(here.x));
        assert.deepEqual(Array.from(there.y), Array.from(here.y));
        assert.ok(stages.size > 0, 'progress came back from the worker');
      }
    } finally {
      await thread.close();
    }
  });

  it("rethrows the worker's input errors as InputError, with the value they name", async () => {
    const matrix = blobs(120, 5);
    const plan = planProjection({ nEpochs: 50 }, matrix)!;
    matrix.data[7] = Number.NaN;
    const thread = projectionThread();
    try {
      await assert.rejects(
        thread.project('layer', matrix, new Int32Array(0), plan, {}),
        (error: unknown) => error instanceof InputError && /row 1, column 2 is NaN/.test(error.message),
      );
    } finally {
      await thread.close();
    }
  });

  it('stops the worker and throws CancelledError when aborted', async () => {
    const matrix = blobs(2000, 8);
    const plan = planProjection({ nEpochs: 500 }, matrix)!;
    const abort = new AbortController();
    const thread = projectionThread();
    const running = thread.project('layer', matrix, new Int32Array(0), plan, {
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    await assert.rejects(running, CancelledError);
    await thread.close();
  });
});
