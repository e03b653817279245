/**
 * The shard contract: the rows of an analysis (its dataset items, in order) cut into N contiguous ranges
 * whose boundaries fall on batch boundaries, so that every batch a shard runs is exactly a batch of the
 * single-process run (onnxruntime may round a row differently in another batch) and the results match.
 */
import { InputError } from '../errors.js';

export interface ShardRange {
  /** First row of the shard. */
  start: number;
  /** Rows of the shard. */
  count: number;
}

/** Rows a default shard aims at: big enough that a job's fixed costs (files, model start) stay small. */
export const DEFAULT_SHARD_ROWS = 4096;

/** Batches of `batchSize` rows in `rows` rows, the last one possibly smaller. */
export function batchCount(rows: number, batchSize: number): number {
  return Math.ceil(rows / batchSize);
}

/** The number of shards: `requested`, else one per DEFAULT_SHARD_ROWS rows; never more than the batches. */
export function shardCount(rows: number, batchSize: number, requested?: number): number {
  const batches = batchCount(rows, batchSize);
  if (requested === undefined) return Math.max(1, Math.min(batches, Math.ceil(rows / DEFAULT_SHARD_ROWS)));
  if (!Number.isInteger(requested) || requested < 1) {
    throw new InputError(`shards ${requested} is not a positive whole number`, { hint: 'give --shards as e.g. 16' });
  }
  if (requested > batches) {
    throw new InputError(
      `${requested} shards is more than the ${batches} batches of ${rows} inputs at batch size ${batchSize}: a shard holds whole batches`,
      { hint: `use at most --shards ${batches}, or a smaller --batch-size` },
    );
  }
  return requested;
}

/** Rows of shard `shard` (0-based) of `shards`: batches floor(i B / N) .. floor((i + 1) B / N) - 1 of the B batches. */
export function shardRange(rows: number, batchSize: number, shard: number, shards: number): ShardRange {
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new InputError(`shard ${shard} does not exist in a run of ${shards} shards`, {
      hint: `shards are numbered 0 to ${shards - 1}`,
    });
  }
  const batches = batchCount(rows, batchSize);
  const first = Math.floor((shard * batches) / shards);
  const end = Math.floor(((shard + 1) * batches) / shards);
  const start = first * batchSize;
  return { start, count: Math.min(rows, end * batchSize) - start };
}

/** `i/N` (as `nap worker --shard` takes it) into shard i of N. */
export function parseShard(text: string): { shard: number; shards: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const shard = Number(match?.[1]);
  const shards = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(shard) || !Number.isSafeInteger(shards) || shards < 1 || shard >= shards) {
    throw new InputError(`--shard '${text}' is not i/N with 0 <= i < N`, {
      hint: 'write it like --shard 3/16 (shard 3 of 16, counted from 0)',
    });
  }
  return { shard, shards };
}

/**
 * The shard of a Kubernetes Indexed Job pod: JOB_COMPLETION_INDEX (0 .. completions - 1) of `shards`.
 * Returns undefined when the variable is not set.
 */
export function shardFromEnvironment(
  env: NodeJS.ProcessEnv,
  shards: number | undefined,
): { shard: number; shards: number } | undefined {
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined) return undefined;
  if (shards === undefined) {
    throw new InputError(`JOB_COMPLETION_INDEX is ${index}, but the number of shards is not given`, {
      hint: "pass --shards N with the Job's completions (or --shard i/N)",
    });
  }
  return parseShard(`${index}/${shards}`);
}

/** `shard-00003`: the name every file of shard 3 carries. */
export function shardName(shard: number): string {
  return `shard-${String(shard).padStart(5, '0')}`;
}
