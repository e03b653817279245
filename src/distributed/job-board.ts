/**
 * The coordinator's view of its jobs on the queue. The shared folder, not Redis, says whether a job is
 * done: a job whose result is there is done whatever the queue says, and a job the queue does not know
 * (never added, or lost with a Redis restart) is added again under its fixed id. So a coordinator started
 * again, or a Redis server restarted empty, resumes the run instead of losing it.
 */
import { Queue, type Job } from 'bullmq';
import { InputError, NapError } from '../errors.js';
import { throwIfCancelled, type TaskControl } from '../progress.js';
import { describeJob, jobId, QUEUE_NAME, type JobData, type JobProgress } from './jobs.js';
import { redisOptions } from './redis-address.js';

export interface BoardJob {
  data: JobData;
  /** Units of work (rows) it counts for in progress. */
  weight: number;
  /** True when its result is in the shared folder. */
  done(): Promise<boolean>;
}

export interface BoardOptions {
  /** Between two looks at the jobs; default 250 ms. */
  pollMs?: number;
  /** Tries of a job that fails (not of one whose worker dies: that is BullMQ's stalled check); default 3. */
  attempts?: number;
}

/** After this long without an answer from Redis, progress says that the coordinator waits for it. */
const REDIS_PATIENCE_MS = 3000;
/** After this long with no job active, progress says whether any worker is connected. */
const WORKER_PATIENCE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class JobBoard {
  private readonly queue: Queue;
  private readonly since = Date.now();
  /** Jobs failed before this coordinator started, retried once by it. */
  private readonly retried = new Set<string>();
  private readonly pollMs: number;
  /** The workers (BullMQ names, `host:pid`) that ran this board's active jobs at the last complete look. */
  private working = new Set<string>();
  private readonly attempts: number;

  constructor(
    private readonly address: string,
    options: BoardOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.attempts = options.attempts ?? 3;
    this.queue = new Queue(QUEUE_NAME, { connection: redisOptions(address) });
    // Connection errors come back on every command while Redis is away; the polls wait for it.
    this.queue.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  /** Adds each job that is not done and that the queue does not hold. */
  async submit(jobs: BoardJob[]): Promise<void> {
    for (const job of jobs) {
      if (await job.done()) continue;
      const state = await this.queue.getJobState(jobId(job.data));
      if (state === 'unknown') await this.add(job.data);
    }
  }

  private async add(data: JobData): Promise<void> {
    await this.queue.add(data.kind, data, {
      jobId: jobId(data),
      attempts: this.attempts,
      backoff: { type: 'fixed', delay: 2000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /**
   * Waits until every job is done, adding those the queue lacks; `onDone` runs here as each one ends (in
   * the order they end). Progress counts the weight of finished jobs plus the progress of active ones.
   */
  async complete(
    jobs: BoardJob[],
    stage: string,
    control: TaskControl,
    onDone?: (job: BoardJob) => Promise<void>,
  ): Promise<void> {
    const left = new Set(jobs);
    const total = jobs.reduce((n, job) => n + job.weight, 0);
    let finished = 0;
    let lastActive = Date.now();
    while (left.size > 0) {
      throwIfCancelled(control.signal, stage);
      let active = 0;
      const working = new Set<string>();
      const waiting = setTimeout(
        () =>
          control.onProgress?.({
            stage: `${stage}: waiting for the queue at ${this.address} (Redis does not answer)`,
            done: 0,
            total: 0,
          }),
        REDIS_PATIENCE_MS,
      );
      try {
        for (const job of [...left]) {
          if (await job.done()) {
            left.delete(job);
            finished += job.weight;
            await onDone?.(job);
            continue;
          }
          const id = jobId(job.data);
          const state = await this.queue.getJobState(id);
          if (state === 'unknown') await this.add(job.data);
          else if (state === 'failed') await this.failed(job, id);
          else if (state === 'completed' && !(await job.done())) {
            const queued = await this.job(id);
            throw new InputError(
              `${describeJob(job.data)} was finished by ${workerOf(queued)}, but its result is not in ${job.data.folder} on this machine`,
              {
                hint: 'mount the shared folder at the same path on every machine (workers write where the coordinator reads)',
              },
            );
          } else if (state === 'active') {
            const queued = await this.job(id);
            if (queued?.processedBy) working.add(queued.processedBy);
            active += progressOf(queued, job.weight);
          }
        }
        this.working = working;
        if (active > 0) lastActive = Date.now();
        else if (left.size > 0 && Date.now() - lastActive > WORKER_PATIENCE_MS) {
          lastActive = Date.now();
          if ((await this.queue.getWorkersCount()) === 0) {
            control.onProgress?.({
              stage: `${stage}: no worker is connected (start nap worker ${this.address})`,
              done: 0,
              total: 0,
            });
          }
        }
      } finally {
        clearTimeout(waiting);
      }
      control.onProgress?.({ stage, done: Math.min(total, finished + active), total });
      if (left.size > 0) await sleep(this.pollMs);
    }
  }

  /** True when a worker on the machine `host` ran one of the jobs active at the last look. */
  workingOn(host: string): boolean {
    return [...this.working].some((name) => name.startsWith(`${host}:`));
  }

  private async job(id: string): Promise<Job<JobData> | undefined> {
    return (await this.queue.getJob(id)) as Job<JobData> | undefined;
  }

  /** A failed job: one that failed before this coordinator started gets another chance, else the run stops. */
  private async failed(job: BoardJob, id: string): Promise<void> {
    const queued = await this.job(id);
    if (queued && (queued.finishedOn ?? 0) < this.since && !this.retried.has(id)) {
      this.retried.add(id);
      await queued.retry('failed');
      return;
    }
    const reason = queued?.failedReason ?? 'no reason was kept';
    const what = describeJob(job.data);
    // A worker that refuses the run fails the job at once, before its attempts are used up.
    if (queued && queued.attemptsMade < this.attempts && !/stalled/i.test(reason)) {
      throw new InputError(`${what}: ${reason}`, {
        hint: 'fix that worker (or stop it), then run the same command again: it resumes the run',
      });
    }
    throw new NapError(`${what} failed ${queued?.attemptsMade ?? '?'} times, last on ${workerOf(queued)}: ${reason}`, {
      hint: "see that worker's output; run the same command again to retry the run from where it stopped",
    });
  }
}

function workerOf(job: Job<JobData> | undefined): string {
  return job?.processedBy ? `worker ${job.processedBy}` : 'a worker';
}

/** The active job's progress in its weight's units. */
function progressOf(job: Job<JobData> | undefined, weight: number): number {
  const progress = job?.progress as Partial<JobProgress> | number | undefined;
  if (typeof progress !== 'object' || !progress.total || progress.done === undefined) return 0;
  return Math.min(weight, Math.round((weight * progress.done) / progress.total));
}
