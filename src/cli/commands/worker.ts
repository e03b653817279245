import { runIndexedShard } from '../../distributed/extract-shard.js';
import { runQueueWorker } from '../../distributed/queue-worker.js';
import { parseShard, shardFromEnvironment } from '../../distributed/shards.js';
import { RUN_OPTIONS, type RunOptions } from '../../engine/config.js';
import { InputError } from '../../errors.js';
import { OptionSchema, realNumber, valueOption, wholeNumber } from '../../options/schema.js';
import { cliCommand, onlyPositional, parseOptions } from '../args.js';
import { createReporter } from '../progress-reporter.js';
import { DISTRIBUTED_FIELDS, OUTPUT_FIELDS, type DistributedArgs } from './analyze.js';

const HELP = `Usage: nap worker redis://HOST:PORT [--threads N] [--lock-seconds 30]
       nap worker --shard i/N --shared DIR --model m.onnx --data <dataset> [analyze options]
       nap worker --shards N --shared DIR --model m.onnx --data <dataset> [analyze options]   (shard i from JOB_COMPLETION_INDEX)

With a queue: takes the jobs of 'nap analyze ... --queue redis://HOST:PORT' (shards of inputs, layer
patterns, layer maps), one at a time, until stopped (Ctrl-C or SIGTERM let the current job finish). The
model, the dataset and the shared folder must be at the same paths as on the coordinator. A worker whose
model or dataset differs from the run's refuses its jobs.

  --threads N          onnxruntime and map threads per job (default: the run's --threads, else all cores)
  --lock-seconds S     a job whose worker stops answering goes to another worker after about S seconds (default 30)

Without a queue (Kubernetes Indexed Jobs, any batch system that numbers its workers): runs shard i of N of
the analysis given by the analyze options (the same on every worker, --out left out) and writes it to the
shared folder; 'nap gather --shared DIR --out results.duckdb' then builds the results file. A shard that is
already written intact is not run again.

  --shard i/N          shard i (0 to N-1) of N
  --shards N           with JOB_COMPLETION_INDEX set: shard JOB_COMPLETION_INDEX of N
  --shared DIR         the run's shared folder (required)
  --json --quiet`;

/** `nap worker redis://...`: the queue worker's settings. */
const QUEUE_WORKER_CLI = new OptionSchema<{ threads?: number; lockSeconds?: number }>('worker', {
  threads: valueOption(wholeNumber({ example: 2, min: 1, max: 1024 }), {
    flag: 'threads',
    help: "onnxruntime and map threads per job (default: the run's --threads, else all cores)",
  }),
  lockSeconds: valueOption(realNumber({ example: 30, min: 1, max: 86_400, placeholder: 'S' }), {
    flag: 'lock-seconds',
    help: 'a job whose worker stops answering goes to another worker after about S seconds (default 30)',
  }),
});

/**
 * `nap worker --shard i/N`: the analyze options without --out (a shard worker writes shard files only), and
 * the indexed job's flags. --queue is read only to say that the queue is the worker's argument.
 */
const SHARD_WORKER_CLI = RUN_OPTIONS.forCommand('worker').extend<{
  json?: boolean;
  quiet?: boolean;
  distributed?: DistributedArgs;
}>({
  'distributed.shard': DISTRIBUTED_FIELDS.shard,
  'distributed.shards': DISTRIBUTED_FIELDS.shards,
  'distributed.shared': DISTRIBUTED_FIELDS.shared,
  'distributed.queue': DISTRIBUTED_FIELDS.queue,
  ...OUTPUT_FIELDS,
});

export async function runWorkerCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const first = argv.find((arg) => !arg.startsWith('-'));
  if (first !== undefined && /^rediss?:/i.test(first)) return queueWorker(argv, signal);
  return indexedWorker(argv, signal);
}

const queueWorker = cliCommand(QUEUE_WORKER_CLI, async (argv, signal) => {
  const { options, positionals } = parseOptions(QUEUE_WORKER_CLI, argv);
  const address = onlyPositional(positionals, 'worker', 'queue address', HELP);
  const { threads, lockSeconds } = options;
  // SIGTERM (Kubernetes, systemd) stops as Ctrl-C does: after the current job.
  const stop = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(), { once: true });
  process.once('SIGTERM', () => stop.abort());
  const counts = await runQueueWorker(
    address,
    {
      ...(threads !== undefined ? { threads } : {}),
      ...(lockSeconds !== undefined ? { lockSeconds } : {}),
      log: (line) => console.error(`nap worker: ${line}`),
    },
    { signal: stop.signal },
  );
  console.error(`nap worker: stopped; ${counts.completed} jobs done, ${counts.failed} failed`);
  return 0;
});

/** The indexed worker's command line: the run's options, the shard to run and its shared folder. */
export function parseShardWorkerArgs(argv: string[]): {
  options: RunOptions;
  json: boolean;
  quiet: boolean;
  distributed: DistributedArgs;
} {
  // Before the options: --activations has no --model or --data, which would be named missing first.
  if (argv.some((arg) => arg === '--activations' || arg.startsWith('--activations='))) {
    throw new InputError("nap worker extracts a model's activations; --activations has none to extract", {
      hint: 'run nap analyze --activations on one machine',
    });
  }
  const { options, positionals } = parseOptions(SHARD_WORKER_CLI, argv);
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}'`, { hint: HELP });
  const { json, quiet, distributed = {}, ...runOptions } = options;
  if (distributed.queue !== undefined) {
    throw new InputError('nap worker takes the queue as its argument, not --queue', {
      hint: 'write it like nap worker redis://10.0.0.5:6379',
    });
  }
  return { options: runOptions as RunOptions, json: json ?? false, quiet: quiet ?? false, distributed };
}

const indexedWorker = cliCommand(SHARD_WORKER_CLI, async (argv, signal) => {
  const parsed = parseShardWorkerArgs(argv);
  const { shard: shardText, shards, shared } = parsed.distributed;
  if (shared === undefined) {
    throw new InputError('--shared DIR is required', { hint: 'give the folder every worker and nap gather see' });
  }
  const which = shardText !== undefined ? parseShard(shardText) : shardFromEnvironment(process.env, shards);
  if (which === undefined) {
    throw new InputError('which shard to run is not given', {
      hint: 'pass --shard i/N, or --shards N with JOB_COMPLETION_INDEX set (Kubernetes Indexed Job); for a queue pass its redis:// address',
    });
  }
  if (shards !== undefined && shards !== which.shards) {
    throw new InputError(`--shard ${shardText} and --shards ${shards} disagree`, { hint: 'give one of them' });
  }
  const reporter = createReporter(process.stderr, { quiet: parsed.quiet || parsed.json });
  try {
    const { record, reused, run } = await runIndexedShard(parsed.options, which.shard, which.shards, shared, {
      onProgress: reporter.progress,
      ...(signal ? { signal } : {}),
    });
    reporter.done();
    const summary = {
      run: run.key,
      shard: record.shard,
      shards: run.shards,
      rows: record.rows,
      skipped: record.skipped.length,
      reused,
    };
    console.log(
      parsed.json
        ? JSON.stringify(summary, null, 2)
        : `shard ${record.shard}/${run.shards} of run ${run.key}: ${record.rows} inputs ${reused ? 'already written' : `written in ${record.seconds.toFixed(1)} s`} to ${shared}`,
    );
    return 0;
  } finally {
    reporter.done();
  }
});
