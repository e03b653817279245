import { startThread, type Thread } from '../compute/threads.js';
import { errorFromWire } from '../errors.js';
import { throwIfCancelled } from '../progress.js';
import type { ProjectMatrix } from './project-layer.js';
import type { ProjectWorkerJob, ProjectWorkerMessage } from './project-worker.js';

const WORKER = new URL('./project-worker.js', import.meta.url);

/** Maps made on one worker thread, a layer at a time; `close` stops the thread. */
export interface ProjectionThread {
  project: ProjectMatrix;
  close(): Promise<void>;
}

interface Job {
  onProgress: ((progress: { stage: string; done: number; total: number }) => void) | undefined;
  resolve(value: { x: Float32Array; y: Float32Array }): void;
  reject(error: Error): void;
}

/**
 * projectMatrix on a worker thread of its own, started at the first map and kept for the next (its
 * start, loading the projection and ONNX Runtime, costs about 0.4 CPU s). Beside the clustering (see
 * analyze's mapsAlongside) the maps' single-threaded steps (fuzzy set, spectral layout) then take the
 * idle core instead of the main thread, where the clustering's own single-threaded steps would wait
 * for them. The maps are the same: the projection does not depend on the thread it runs on. Calls
 * are made one after another (storeRunProjections awaits each); aborting one stops the thread.
 */
export function projectionThread(): ProjectionThread {
  let thread: Thread | undefined;
  let job: Job | undefined;
  const fail = (error: Error) => {
    const failed = job;
    job = undefined;
    thread = undefined;
    failed?.reject(error);
  };
  const start = (): Thread => {
    const started = startThread(WORKER, { role: 'project-layers' });
    started.onMessage((message) => {
      const reply = message as ProjectWorkerMessage;
      const current = job;
      if (!current) return;
      if ('progress' in reply) {
        current.onProgress?.(reply.progress);
        return;
      }
      job = undefined;
      if ('error' in reply) current.reject(errorFromWire(reply.error, 'the projection worker failed'));
      else current.resolve({ x: reply.x, y: reply.y });
    });
    started.onError(fail);
    started.onExit((code) => fail(new Error(`projection worker exited with code ${code} before finishing`)));
    return started;
  };
  const project: ProjectMatrix = async (_layer, matrix, _inputIndex, plan, control) => {
    const stage = 'projection';
    throwIfCancelled(control.signal, stage);
    if (job) throw new Error('projectionThread makes one map at a time');
    const running = (thread ??= start());
    const stop = () => void running.terminate();
    control.signal?.addEventListener('abort', stop, { once: true });
    try {
      return await new Promise<{ x: Float32Array; y: Float32Array }>((resolve, reject) => {
        job = { onProgress: control.onProgress, resolve, reject };
        // The worker gets a copy of the rows (the caller's stay usable): of the rows alone, not a larger buffer they view.
        const { data } = matrix;
        const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
        const message: ProjectWorkerJob = {
          count: matrix.count,
          dim: matrix.dim,
          data: whole ? data : data.slice(),
          plan,
        };
        running.post(message);
      });
    } catch (error) {
      throwIfCancelled(control.signal, stage);
      throw error;
    } finally {
      control.signal?.removeEventListener('abort', stop);
    }
  };
  return {
    project,
    close: async () => {
      const running = thread;
      thread = undefined;
      await running?.terminate();
    },
  };
}
