/** One shard of a run: the model over its rows (the engine's extraction, batch for batch), written to the shared folder. */
import { extractionPlan, openExtractionRunner, prepareAnalysis, type PreparedAnalysis } from '../engine/analyze.js';
import { mergeBatches } from '../engine/batch-buffer.js';
import type { RunOptions } from '../engine/config.js';
import { extractActivations, pendingBatches, type ExtractedBatch } from '../engine/extract.js';
import type { ModelRunner } from '../io/onnx/runner.js';
import type { TaskControl } from '../progress.js';
import { buildManifest, claimFolder, processName, type RunManifest } from './manifest.js';
import { ShardProblem, verifyShard, writeShard, type ShardRecord } from './shard-files.js';
import { shardCount, shardRange } from './shards.js';

/** How a worker runs the model; `wrapRunner` stands in for it (benchmarks throttle it to simulate a slower model). */
export interface ShardSettings {
  wrapRunner?: (runner: ModelRunner) => ModelRunner;
}

/** A shard just extracted: its record, and the seconds of the model's batches and of writing its files. */
export interface ExtractedShard {
  record: ShardRecord;
  modelSeconds: number;
  writeSeconds: number;
}

/**
 * Runs the model over shard `shard` of the run and publishes its files; returns the shard's record. A queue
 * worker passes the run's `session`, opened once for all its shards of the run (and closed by it); without
 * one, a session is opened for this shard and closed after it.
 */
export async function extractShard(
  prepared: PreparedAnalysis,
  run: RunManifest,
  folder: string,
  shard: number,
  control: TaskControl = {},
  settings: ShardSettings = {},
  session?: ModelRunner,
): Promise<ExtractedShard> {
  const started = Date.now();
  const { start, count } = shardRange(run.rows, run.batchSize, shard, run.shards);
  const outside = [
    { start: 0, count: start },
    { start: start + count, count: run.rows - start - count },
  ];
  const batches = pendingBatches(run.rows, outside, run.batchSize);
  const opened = session ?? (await openExtractionRunner(prepared));
  const runner = settings.wrapRunner ? settings.wrapRunner(opened) : opened;
  const extracted: ExtractedBatch[] = [];
  try {
    await extractActivations(
      extractionPlan(prepared, runner),
      batches,
      (batch) => {
        extracted.push(batch);
        return Promise.resolve();
      },
      {
        ...(control.signal ? { signal: control.signal } : {}),
        onProgress: ({ done }) => control.onProgress?.({ stage: `shard ${shard}/${run.shards}`, done, total: count }),
      },
    );
  } finally {
    if (session === undefined) await runner.close();
  }
  const written = Date.now();
  const record = await writeShard(
    folder,
    run,
    shard,
    mergeBatches(extracted),
    processName(),
    (written - started) / 1000,
  );
  return { record, modelSeconds: (written - started) / 1000, writeSeconds: (Date.now() - written) / 1000 };
}

/** The shard's record when it is published and intact; undefined when it has to be (re)done. */
export async function publishedShard(
  folder: string,
  run: RunManifest,
  shard: number,
): Promise<ShardRecord | undefined> {
  try {
    return await verifyShard(folder, run, shard);
  } catch (error) {
    if (error instanceof ShardProblem) return undefined;
    throw error;
  }
}

/**
 * `nap worker --shard i/N`: prepares the analysis as any process of the run does, claims the shared folder
 * for it (or checks that the folder holds this run), then extracts the shard unless it is published intact.
 */
export async function runIndexedShard(
  options: RunOptions,
  shard: number,
  shards: number,
  folder: string,
  control: TaskControl = {},
  settings: ShardSettings = {},
): Promise<{ record: ShardRecord; reused: boolean; run: RunManifest }> {
  const prepared = await prepareAnalysis(options);
  const count = shardCount(prepared.items.length, prepared.config.batchSize, shards);
  const run = buildManifest(prepared, options, count);
  await claimFolder(folder, run, processName());
  const existing = await publishedShard(folder, run, shard);
  if (existing) return { record: existing, reused: true, run };
  const { record } = await extractShard(prepared, run, folder, shard, control, settings);
  return { record, reused: false, run };
}
