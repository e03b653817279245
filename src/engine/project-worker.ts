/**
 * A worker thread that makes one layer's map (projectMatrix) for projectOnThread: its progress goes
 * back as messages, and its coordinates as transferred buffers.
 */
import { makeMatrix } from '../compute/matrix.js';
import { threadSide } from '../compute/threads.js';
import { projectMatrix } from './project-layer.js';
import type { ProjectionPlan } from './projection-options.js';

export interface ProjectWorkerSetup {
  role: 'project-layer';
  count: number;
  dim: number;
  data: Float32Array;
  plan: ProjectionPlan;
}

export type ProjectWorkerMessage =
  | { progress: { stage: string; done: number; total: number } }
  | { x: Float32Array; y: Float32Array }
  | { error: string };

const port = threadSide<ProjectWorkerSetup | undefined>();
const setup = port?.data;
if (port && setup?.role === 'project-layer') {
  const post = (message: ProjectWorkerMessage, transfer?: ArrayBuffer[]) => port.post(message, transfer);
  try {
    const matrix = makeMatrix(setup.count, setup.dim, setup.data);
    const { x, y } = await projectMatrix(matrix, setup.plan, {
      onProgress: ({ stage, done, total }) => post({ progress: { stage, done, total } }),
    });
    post({ x, y }, [x.buffer as ArrayBuffer, y.buffer as ArrayBuffer]);
  } catch (error) {
    post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
