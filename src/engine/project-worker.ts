/**
 * A worker thread that makes layers' maps (projectMatrix) for projectionThread, one job at a time: their
 * progress goes back as messages, and their coordinates as transferred buffers.
 */
import { makeMatrix } from '../compute/matrix.js';
import { threadSide } from '../compute/threads.js';
import { errorToWire, type WireError } from '../errors.js';
import { projectMatrix } from './project-layer.js';
import type { ProjectionPlan } from './projection-options.js';

export interface ProjectWorkerJob {
  count: number;
  dim: number;
  data: Float32Array;
  plan: ProjectionPlan;
}

export type ProjectWorkerMessage =
  | { progress: { stage: string; done: number; total: number } }
  | { x: Float32Array; y: Float32Array }
  | { error: WireError };

const port = threadSide<{ role: string } | undefined>();
if (port && port.data?.role === 'project-layers') {
  const post = (message: ProjectWorkerMessage, transfer?: ArrayBuffer[]) => port.post(message, transfer);
  port.onMessage((message) => {
    const job = message as ProjectWorkerJob;
    void (async () => {
      try {
        const matrix = makeMatrix(job.count, job.dim, job.data);
        const { x, y } = await projectMatrix(matrix, job.plan, {
          onProgress: ({ stage, done, total }) => post({ progress: { stage, done, total } }),
        });
        post({ x, y }, [x.buffer as ArrayBuffer, y.buffer as ArrayBuffer]);
      } catch (error) {
        post({ error: errorToWire(error) });
      }
    })();
  });
}
