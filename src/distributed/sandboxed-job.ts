/**
 * A queue job run inside BullMQ's sandbox (a worker thread of the worker process): the whole job, model and
 * clustering included, runs off the worker's event loop, which stays free to renew the job's lock. A worker
 * that dies stops renewing it, and BullMQ's stalled-job check gives the job to another worker.
 */
import { workerData } from 'node:worker_threads';
import type { SandboxedJob } from 'bullmq';
import {
  jobError,
  prepareAnnouncedRun,
  processJob,
  type JobData,
  type JobProgress,
  type WorkerSettings,
} from './jobs.js';
import { listenForRuns } from './run-announcements.js';

/** What the worker process gives its sandbox thread. */
export interface SandboxData extends WorkerSettings {
  /** The queue's address: the thread listens there for runs announced by coordinators. */
  address?: string;
}

/** Progress goes to Redis at most this often (and at the end of each stage). */
const PROGRESS_MS = 250;

/** Runs the sandboxed job with the worker's settings plus `extra` (a benchmark's stand-in model). */
export async function runSandboxedJob(
  job: SandboxedJob<JobData>,
  extra: Omit<WorkerSettings, 'threads'> = {},
): Promise<Record<string, unknown>> {
  const settings: WorkerSettings = { ...((workerData ?? {}) as SandboxData), ...extra };
  let last = 0;
  const onProgress = (progress: JobProgress) => {
    const now = Date.now();
    if (now - last < PROGRESS_MS && progress.done < progress.total) return;
    last = now;
    job.updateProgress({ stage: progress.stage, done: progress.done, total: progress.total }).catch(() => undefined);
  };
  try {
    return await processJob(job.data, settings, { onProgress });
  } catch (error) {
    throw jobError(error);
  }
}

/**
 * Prepares each run a coordinator announces on the queue while this thread runs no job (jobs.ts): the
 * processor file calls it once as BullMQ loads it, before the worker says it waits for jobs.
 */
export async function prepareAnnouncedRuns(): Promise<void> {
  const { address, threads } = (workerData ?? {}) as SandboxData;
  if (address !== undefined) await listenForRuns(address, (options) => void prepareAnnouncedRun(options, threads));
}
