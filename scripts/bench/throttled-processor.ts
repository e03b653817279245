/**
 * The sandboxed processor of the simulated workers of bench-distributed: the job as `nap worker` runs it,
 * with a stand-in for a slower model: each batch runs through the real model, then waits
 * NAP_BENCH_BATCH_MS milliseconds (a model that takes that long per batch without using the CPU, so that
 * many simulated workers fit on a small machine). Unlike processor.ts it does not set up announced runs
 * ahead of their jobs (see bench-distributed.ts).
 */
import type { SandboxedJob } from 'bullmq';
import type { JobData } from '../../src/distributed/jobs.js';
import { runSandboxedJob } from '../../src/distributed/sandboxed-job.js';
import type { ModelRunner } from '../../src/io/onnx/runner.js';

const batchMs = Number(process.env.NAP_BENCH_BATCH_MS ?? '1000');

function throttled(runner: ModelRunner): ModelRunner {
  return {
    inputName: runner.inputName,
    inputDims: runner.inputDims,
    outputName: runner.outputName,
    layerNames: runner.layerNames,
    pooledNames: runner.pooledNames,
    inputs: runner.inputs,
    run: async (batch, dims) => {
      const output = await runner.run(batch, dims);
      await new Promise((resolve) => setTimeout(resolve, batchMs));
      return output;
    },
    runFeeds: async (feeds) => {
      const output = await runner.runFeeds(feeds);
      await new Promise((resolve) => setTimeout(resolve, batchMs));
      return output;
    },
    close: () => runner.close(),
  };
}

export default function throttledJob(job: SandboxedJob<JobData>): Promise<Record<string, unknown>> {
  return runSandboxedJob(job, { wrapRunner: throttled });
}
