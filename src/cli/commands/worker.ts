import { runIndexedShard } from '../../distributed/extract-shard.js';
import { runQueueWorker } from '../../distributed/queue-worker.js';
import { parseShard, shardFromEnvironment } from '../../distributed/shards.js';
import { InputError } from '../../errors.js';
import { onlyPositional, parseCommandArgs, wholeNumberOption, numberOption } from '../args.js';
import { createReporter } from '../progress-reporter.js';
import { parseAnalyzeArgs } from './analyze.js';

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

export async function runWorkerCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const first = argv.find((arg) => !arg.startsWith('-'));
  if (first !== undefined && /^rediss?:/i.test(first)) return queueWorker(argv, signal);
  return indexedWorker(argv, signal);
}

async function queueWorker(argv: string[], signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('worker', {
    args: argv,
    allowPositionals: true,
    options: {
      threads: { type: 'string' },
      'lock-seconds': { type: 'string' },
    },
  });
  const address = onlyPositional(positionals, 'worker', 'queue address', HELP);
  const threads = wholeNumberOption(values.threads, '--threads', { example: '2', min: 1, max: 1024 });
  const lockSeconds = numberOption(values['lock-seconds'], '--lock-seconds', { example: '30', min: 1, max: 86_400 });
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
}

async function indexedWorker(argv: string[], signal?: AbortSignal): Promise<number> {
  const parsed = parseAnalyzeArgs(argv, 'worker');
  if (parsed === 'help') {
    console.log(HELP);
    return 0;
  }
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
}
