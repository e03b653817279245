import { startThread, threadResult } from '../compute/threads.js';
import { throwIfCancelled } from '../progress.js';
import type { ProjectMatrix } from './project-layer.js';
import type { ProjectWorkerMessage, ProjectWorkerSetup } from './project-worker.js';

const WORKER = new URL('./project-worker.js', import.meta.url);

/**
 * projectMatrix on a worker thread of its own. Beside the clustering (see analyze's mapsAlongside) the
 * map's single-threaded steps (fuzzy set, spectral layout) then take the idle core instead of the main
 * thread, where the clustering's own single-threaded steps wait for them. The maps are the same: the
 * projection does not depend on the thread it runs on.
 */
export const projectOnThread: ProjectMatrix = async (_layer, matrix, _inputIndex, plan, control) => {
  const stage = 'projection';
  throwIfCancelled(control.signal, stage);
  // A copy: the worker owns its rows, and the caller's stay usable.
  const setup: ProjectWorkerSetup = {
    role: 'project-layer',
    count: matrix.count,
    dim: matrix.dim,
    data: matrix.data.slice(),
    plan,
  };
  const thread = startThread(WORKER, setup);
  const stop = () => void thread.terminate();
  control.signal?.addEventListener('abort', stop, { once: true });
  try {
    const result = await threadResult(thread, 'projection worker', (message) => {
      const reply = message as ProjectWorkerMessage;
      if ('progress' in reply) {
        control.onProgress?.(reply.progress);
        return undefined;
      }
      if ('error' in reply) throw new Error(`projection worker failed: ${reply.error}`);
      return { x: reply.x, y: reply.y };
    });
    return result;
  } catch (error) {
    throwIfCancelled(control.signal, stage);
    throw error;
  } finally {
    control.signal?.removeEventListener('abort', stop);
    await thread.terminate();
  }
};
