/** The file BullMQ's sandbox loads in each worker thread of `nap worker` (see sandboxed-job.ts). */
import type { SandboxedJob } from 'bullmq';
import type { JobData } from './jobs.js';
import { prepareAnnouncedRuns, runSandboxedJob } from './sandboxed-job.js';

await prepareAnnouncedRuns();

export default function process(job: SandboxedJob<JobData>): Promise<Record<string, unknown>> {
  return runSandboxedJob(job);
}
