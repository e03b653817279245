/**
 * `nap gather`: the results file of a run whose shards were written by indexed workers (`nap worker
 * --shard i/N`): the shards are verified, staged as the model's batches, and the engine normalizes,
 * clusters, maps and stores exactly as a single-process analysis of the same options does.
 */
import { analyzePrepared, prepareAnalysis, type AnalyzeResult } from '../engine/analyze.js';
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

export async function gather(
  options: GatherOptions,
  control: TaskControl = {},
): Promise<AnalyzeResult & { run: RunManifest }> {
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
