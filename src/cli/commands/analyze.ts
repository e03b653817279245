import { analyzeActivations, type ActivationsOptions } from '../../engine/analyze-activations.js';
import { analyzeOnQueue } from '../../distributed/coordinator.js';
import { analyze, type AnalyzeResult } from '../../engine/analyze.js';
import { ANALYZE_OPTIONS, type AnalyzeOptions } from '../../engine/config.js';
import { formatCoverage, percent } from '../../engine/coverage.js';
import { CancelledError, InputError } from '../../errors.js';
import {
  repeatedOption,
  switchOption,
  text,
  valueOption,
  wholeNumber,
  type OptionField,
} from '../../options/schema.js';
import { cliCommand, parseOptions, withFlags } from '../args.js';
import { createReporter } from '../progress-reporter.js';

/** Where a distributed analysis runs (see src/distributed/): the queue, or one shard of an indexed job. */
export interface DistributedArgs {
  queue?: string;
  shards?: number;
  shared?: string;
  /** `i/N` (nap worker only). */
  shard?: string;
}

/**
 * The flags of a distributed run, under the key `distributed` beside the analyze options (they are not
 * options of analyze()): nap analyze takes the queue's, nap worker the indexed job's (src/cli/commands/worker.ts).
 */
export const DISTRIBUTED_FIELDS = {
  queue: valueOption(text({ example: 'redis://10.0.0.5:6379', placeholder: 'redis://HOST:PORT' }), {
    flag: 'queue',
    help: "coordinate: shards and layers become jobs for 'nap worker redis://HOST:PORT'",
  }),
  shards: valueOption(wholeNumber({ example: 16, min: 1 }), {
    flag: 'shards',
    help: 'shards of the inputs on the queue (default one per 4,096 inputs)',
  }),
  shared: valueOption(text({ example: '/shared/run', placeholder: 'DIR' }), {
    flag: 'shared',
    help: 'folder of the shard files, the same path on every worker (default <out>.shards)',
  }),
  shard: valueOption(text({ example: '3/16', placeholder: 'i/N' }), {
    flag: 'shard',
    help: 'shard i (0 to N-1) of N',
  }),
} satisfies Record<keyof DistributedArgs, OptionField<unknown>>;

/** The CLI-only flags of nap analyze and nap worker --shard: output and where a distributed run goes. */
export const OUTPUT_FIELDS = {
  json: switchOption({ flag: 'json', help: 'print the result as JSON on stdout' }),
  quiet: switchOption({ flag: 'quiet', help: 'no progress output' }),
};

type CliOnly = { json?: boolean; quiet?: boolean; distributed?: DistributedArgs; activations?: string[] };

/** ANALYZE_OPTIONS with --model and --data left to the check after parsing: --activations replaces them. */
const ANALYZE_CLI = ANALYZE_OPTIONS.withOptional<AnalyzeOptions>('model')
  .withOptional<AnalyzeOptions>('data')
  .extend<CliOnly>({
    activations: repeatedOption(text({ example: 'acts.npy', placeholder: 'FILE' }), {
      flag: 'activations',
      help: 'activations computed elsewhere, no model: an .npy matrix [inputs, units] per layer, or an .npz / Parquet file with a layer per array / list column (repeatable)',
    }),
    'distributed.queue': DISTRIBUTED_FIELDS.queue,
    'distributed.shards': DISTRIBUTED_FIELDS.shards,
    'distributed.shared': DISTRIBUTED_FIELDS.shared,
    ...OUTPUT_FIELDS,
  });

/** ANALYZE_CLI with --shard, only to say that it belongs to nap worker. */
const ANALYZE_ARGS = ANALYZE_CLI.extend<CliOnly>({ 'distributed.shard': DISTRIBUTED_FIELDS.shard });

const HELP = `Usage: nap analyze --model m.onnx --data <dir|manifest|idx|mnist|fashion-mnist|file.npy|.npz|.parquet|.csv> --out results.duckdb [options]
       nap analyze --activations acts.npy [--activations more.npz] [--labels labels.csv] --out results.duckdb

Runs the model over the dataset, aggregates and normalizes every layer, finds its patterns (HDBSCAN*) and
stores everything in the results file. Interrupted, the same command resumes where it stopped. With --queue,
shards of the inputs and the layers' patterns and maps become jobs for 'nap worker' processes.

Options:
${ANALYZE_CLI.help()}`;

export function parseAnalyzeArgs(argv: string[]):
  | {
      options: AnalyzeOptions;
      json: boolean;
      quiet: boolean;
      distributed: DistributedArgs;
      activations?: ActivationsOptions;
    }
  | 'help' {
  const { options, positionals, help } = parseOptions(ANALYZE_ARGS, argv);
  if (help) return 'help';
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}'`, { hint: HELP });
  const { json, quiet, distributed = {}, activations: activationFiles, ...analyzeOptions } = options;
  if (distributed.shard !== undefined) {
    throw new InputError('--shard belongs to nap worker', { hint: 'run one shard with nap worker --shard i/N' });
  }
  if (activationFiles !== undefined) {
    const activations = activationsOptions(activationFiles, analyzeOptions, distributed);
    return {
      options: analyzeOptions as AnalyzeOptions,
      json: json ?? false,
      quiet: quiet ?? false,
      distributed,
      activations,
    };
  }
  try {
    ANALYZE_OPTIONS.requirePresent(analyzeOptions, true);
  } catch (error) {
    throw withFlags(ANALYZE_ARGS, error);
  }
  if (distributed.queue === undefined && (distributed.shards !== undefined || distributed.shared !== undefined)) {
    throw new InputError(
      `${distributed.shards !== undefined ? '--shards' : '--shared'} needs --queue redis://HOST:PORT`,
      {
        hint: 'without a queue, run the shards with nap worker --shard i/N and gather them with nap gather',
      },
    );
  }
  return { options: analyzeOptions as AnalyzeOptions, json: json ?? false, quiet: quiet ?? false, distributed };
}

/** The options of `nap analyze --activations`: no model, so only the clustering, maps and output apply. */
function activationsOptions(
  files: string[],
  options: Partial<AnalyzeOptions>,
  distributed: DistributedArgs,
): ActivationsOptions {
  if (options.out === undefined) throw new InputError('--out is required', { hint: HELP });
  if (options.model !== undefined || options.data !== undefined) {
    throw new InputError('--activations replaces --model and --data', {
      hint: 'analyze either a model on a dataset or activations computed elsewhere',
    });
  }
  if (distributed.queue !== undefined) {
    throw new InputError("--queue distributes a model's extraction; --activations has none to distribute", {
      hint: 'run nap analyze --activations without --queue (its clustering runs in this process)',
    });
  }
  return {
    activations: files,
    out: options.out,
    ...(options.labelsPath !== undefined ? { labels: options.labelsPath } : {}),
    ...(options.tensorData?.labelColumn !== undefined ? { labelColumn: options.tensorData.labelColumn } : {}),
    clustering: options.clustering ?? {},
    ...(options.projection ? { projection: options.projection } : {}),
    ...(options.clusterSpace ? { clusterSpace: options.clusterSpace } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.name ? { name: options.name } : {}),
  };
}

export function formatSummary(result: AnalyzeResult): string {
  const lines = result.layers.map(
    (l) =>
      `  ${l.layer}: ${l.patterns} patterns, ${percent(l.noise, l.inputs)} noise (${l.inputs} inputs${l.spanningTree === 'approximate' ? ', approximate tree' : ''}); ${formatCoverage(l.coverage)}`,
  );
  const skipped =
    result.skipped.length > 0
      ? `\n${result.skipped.length} unreadable images were skipped, e.g. ${result.skipped[0]!.path}: ${result.skipped[0]!.reason}`
      : '';
  return `run ${result.runId}${result.reusedActivations ? ' (stored activations reused)' : ''}\n${lines.join('\n')}${skipped}`;
}

export const runAnalyzeCommand = cliCommand(ANALYZE_ARGS, async (argv, signal) => {
  const parsed = parseAnalyzeArgs(argv);
  if (parsed === 'help') {
    console.log(HELP);
    return 0;
  }
  const reporter = createReporter(process.stderr, { quiet: parsed.quiet || parsed.json });
  const control = { onProgress: reporter.progress, ...(signal ? { signal } : {}) };
  const { queue, shards, shared } = parsed.distributed;
  try {
    const result = parsed.activations
      ? await analyzeActivations(parsed.activations, control)
      : queue === undefined
        ? await analyze(parsed.options, control)
        : await analyzeOnQueue(
            parsed.options,
            {
              address: queue,
              ...(shards !== undefined ? { shards } : {}),
              ...(shared !== undefined ? { folder: shared } : {}),
            },
            control,
          );
    reporter.done();
    console.log(parsed.json ? JSON.stringify(result, null, 2) : formatSummary(result));
    return 0;
  } catch (error) {
    reporter.done();
    if (error instanceof CancelledError) {
      console.error(`Stopped. Finished work is stored in ${parsed.options.out}: run the same command again to resume.`);
      return 130;
    }
    throw error;
  }
});
