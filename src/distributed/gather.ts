/**
 * `nap gather`: the results file of a run whose shards were written by indexed workers (`nap worker
 * --shard i/N`): the shards are verified, staged as the model's batches, and the engine normalizes,
 * clusters, maps and stores exactly as a single-process analysis of the same options does.
 */
import { analyzePrepared, prepareAnalysis, type AnalyzeResult } from '../engine/analyze.js';
import { OptionSchema, text, valueOption, wholeNumber } from '../options/schema.js';
import type { TaskControl } from '../progress.js';
import { identityOf, readManifest, requireSameRun, type RunManifest } from './manifest.js';
import { verifyShard } from './shard-files.js';
import { folderSource } from './stage-shards.js';

export interface GatherOptions {
  /** The shared folder the workers wrote. */
  folder: string;
  /** Results database (DuckDB file). */
  out: string;
  /** Threads for clustering and maps; default the run's setting. */
  threads?: number;
}

/** The options of gather and `nap gather` (see src/options/schema.ts). */
export const GATHER_OPTIONS = new OptionSchema<GatherOptions>('gather', {
  folder: valueOption(text({ example: '/shared/run', placeholder: 'DIR' }), {
    flag: 'shared',
    help: "the run's shared folder, where the workers wrote its shards",
    required: true,
  }),
  out: valueOption(text({ example: 'results.duckdb', placeholder: 'FILE' }), {
    flag: 'out',
    help: 'the results file; created when missing, the run is added to it',
    required: true,
  }),
  threads: valueOption(wholeNumber({ example: 2, min: 1, max: 1024 }), {
    flag: 'threads',
    help: "threads for clustering and maps (default: the run's --threads)",
  }),
});

export async function gather(
  options: GatherOptions,
  control: TaskControl = {},
): Promise<AnalyzeResult & { run: RunManifest }> {
  GATHER_OPTIONS.resolve(options);
  const run = await readManifest(options.folder);
  // Every shard is checked (sizes and SHA-256) before anything is written: a gather that cannot finish writes nothing.
  const records = [];
  for (let shard = 0; shard < run.shards; shard++) {
    control.onProgress?.({ stage: 'checking shards', done: shard, total: run.shards });
    records.push(await verifyShard(options.folder, run, shard));
  }
  // Gathering runs no batch, so it needs none of the workers' devices.
  const prepared = await prepareAnalysis({
    ...run.options,
    device: 'cpu',
    out: options.out,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  requireSameRun(run, identityOf(prepared), 'nap gather');
  const result = await analyzePrepared(prepared, folderSource(options.folder, run, records, control), control);
  return { ...result, run };
}
