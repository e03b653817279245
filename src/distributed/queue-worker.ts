/**
 * `nap worker redis://HOST:PORT`: takes jobs of any run from the queue, one at a time, until stopped. Each
 * job runs in a sandboxed worker thread (sandboxed-job.ts) so that this thread only renews the job's lock.
 */
import { hostname } from 'node:os';
import { ChildPool, Worker, type Job } from 'bullmq';
import type { TaskControl } from '../progress.js';
import { describeJob, QUEUE_NAME, type JobData, type JobProgress } from './jobs.js';
import type { SandboxData } from './sandboxed-job.js';
import { redisOptions, requireRedis } from './redis-address.js';

export interface QueueWorkerOptions {
  /** onnxruntime and map threads of each job; default the run's setting. */
  threads?: number;
  /**
   * How long a job stays locked without renewal: a worker that dies gives its job back after about
   * this long (BullMQ's stalled-job check); default 30 s.
   */
  lockSeconds?: number;
  /** The sandboxed processor file; default processor.js (benchmarks give a throttled one). */
  processor?: URL;
  /** One line per event (job started, progress, finished, failed, Redis trouble). */
  log?: (line: string) => void;
}

/** Progress lines of one job at most this often. */
const LOG_MS = 1000;

/** Runs until `control.signal` aborts, then lets the current job finish; returns the jobs completed and failed. */
export async function runQueueWorker(
  address: string,
  options: QueueWorkerOptions = {},
  control: TaskControl = {},
): Promise<{ completed: number; failed: number }> {
  await requireRedis(address);
  const log = options.log ?? (() => undefined);
  const lockDuration = Math.round((options.lockSeconds ?? 30) * 1000);
  const settings: SandboxData = { address, ...(options.threads !== undefined ? { threads: options.threads } : {}) };
  const name = `${hostname()}:${process.pid}`;
  const processor = options.processor ?? new URL('./processor.js', import.meta.url);
  const worker = new Worker<JobData>(QUEUE_NAME, processor, {
    connection: redisOptions(address),
    name,
    concurrency: 1,
    useWorkerThreads: true,
    workerThreadsOptions: { workerData: settings },
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 3,
  });
  const counts = { completed: 0, failed: 0 };
  const lastLine = new Map<string, number>();
  const title = (job: Job<JobData>) => `${describeJob(job.data)} of run ${job.data.run.key}`;
  worker.on('active', (job) => log(`${title(job)}: started`));
  worker.on('progress', (job, progress) => {
    const now = Date.now();
    const id = job.id ?? '';
    if (now - (lastLine.get(id) ?? 0) < LOG_MS) return;
    lastLine.set(id, now);
    const { stage, done, total } = progress as JobProgress;
    log(`${title(job)}: ${stage} ${done}/${total}`);
  });
  worker.on('completed', (job) => {
    counts.completed++;
    log(
      `${title(job)}: done in ${(((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000).toFixed(1)} s`,
    );
  });
  worker.on('failed', (job, error) => {
    counts.failed++;
    log(`${job ? title(job) : 'a job'}: failed: ${error.message}`);
  });
  let lastError = '';
  worker.on('error', (error) => {
    // Redis away: BullMQ reconnects by itself; say so once per distinct error.
    if (error.message === lastError) return;
    lastError = error.message;
    log(`queue at ${address}: ${error.message} (reconnecting)`);
  });
  await worker.waitUntilReady();
  await warmSandbox(worker, processor);
  log(`waiting for jobs on ${address} as ${name}`);
  await new Promise<void>((resolve) => {
    if (control.signal?.aborted) resolve();
    control.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  log('stopping after the current job');
  await worker.close();
  return counts;
}

/**
 * Starts the sandbox's worker thread (which loads nap's modules) now rather than on the first job: BullMQ
 * keeps the thread for the next jobs, so a run's first shard then pays only the run's own set-up (dataset,
 * model session). The pool is not BullMQ's public API: where it is missing, the first job starts the thread.
 */
async function warmSandbox(worker: Worker, processor: URL): Promise<void> {
  const pool = (worker as unknown as { childPool?: unknown }).childPool;
  if (!(pool instanceof ChildPool)) return;
  // A thread that cannot start fails again on the first job, which reports why on the queue.
  const child = await pool.retain(processor.href).catch(() => undefined);
  if (child) pool.release(child);
}
