/** Shards into the results store: each shard's rows are committed as the batches the model gave, then the engine goes on as in one process. */
import type { BatchSource } from '../engine/analyze.js';
import type { ExtractedBatch } from '../engine/extract.js';
import type { TaskControl } from '../progress.js';
import type { RunManifest } from './manifest.js';
import { readShard, type ShardRecord } from './shard-files.js';
import { shardRange, type ShardRange } from './shards.js';

/** The runs of rows of `range` that no staged range covers (a store may hold part of a run extracted in one process). */
export function unstaged(range: ShardRange, staged: readonly ShardRange[]): ShardRange[] {
  const covered = new Uint8Array(range.count);
  for (const s of staged) {
    const from = Math.max(s.start, range.start) - range.start;
    const to = Math.min(s.start + s.count, range.start + range.count) - range.start;
    if (to > from) covered.fill(1, from, to);
  }
  const out: ShardRange[] = [];
  for (let i = 0; i < range.count; i++) {
    if (covered[i]) continue;
    let end = i;
    while (end < range.count && !covered[end]) end++;
    out.push({ start: range.start + i, count: end - i });
    i = end;
  }
  return out;
}

/** The rows [start, start + count) of a batch that covers them. */
export function sliceBatch(batch: ExtractedBatch, { start, count }: ShardRange): ExtractedBatch {
  if (start === batch.start && count === batch.count) return batch;
  const keep = Int32Array.from(batch.rows.keys()).filter(
    (i) => batch.rows[i]! >= start && batch.rows[i]! < start + count,
  );
  const first = keep[0] ?? 0;
  const end = keep.length > 0 ? keep[keep.length - 1]! + 1 : 0;
  const rows = (values: Float32Array, width: number) => values.slice(first * width, end * width);
  return {
    start,
    count,
    rows: batch.rows.slice(first, end),
    prediction: batch.prediction.slice(first, end),
    probability: batch.probability.slice(first, end),
    probabilities: rows(batch.probabilities, batch.classes),
    classes: batch.classes,
    digest: batch.digest.slice(first, end),
    layers: batch.layers.map(({ values, unitMax }) => ({
      values: rows(values, values.length / Math.max(1, batch.rows.length)),
      unitMax: rows(unitMax, unitMax.length / Math.max(1, batch.rows.length)),
    })),
    unitMaps: batch.unitMaps.map(({ values, unitMax }) => ({
      values: rows(values, values.length / Math.max(1, batch.rows.length)),
      unitMax: rows(unitMax, unitMax.length / Math.max(1, batch.rows.length)),
    })),
    skipped: batch.skipped,
  };
}

/** Commits the rows of a published shard that the store does not hold yet. */
export async function stageShard(
  folder: string,
  run: RunManifest,
  record: ShardRecord,
  staged: readonly ShardRange[],
  commit: (batch: ExtractedBatch) => Promise<void>,
): Promise<void> {
  const pieces = unstaged(record, staged);
  if (pieces.length === 0) return;
  const batch = await readShard(folder, run, record);
  for (const piece of pieces) await commit(sliceBatch(batch, piece));
}

/** Shards of the run that the store does not fully hold. */
export function shardsToStage(run: RunManifest, staged: readonly ShardRange[]): number[] {
  return Array.from({ length: run.shards }, (_, shard) => shard).filter(
    (shard) => unstaged(shardRange(run.rows, run.batchSize, shard, run.shards), staged).length > 0,
  );
}

/** The shards of the folder from their verified records (see verifyShard), those the store lacks staged in order. */
export function folderSource(
  folder: string,
  run: RunManifest,
  records: ShardRecord[],
  control: TaskControl,
): BatchSource {
  return async (staged, commit) => {
    const shards = new Set(shardsToStage(run, staged));
    const missing = records.filter((record) => shards.has(record.shard));
    for (const [done, record] of missing.entries()) {
      control.onProgress?.({ stage: 'gathering shards', done, total: missing.length });
      await stageShard(folder, run, record, staged, commit);
    }
    control.onProgress?.({ stage: 'gathering shards', done: missing.length, total: missing.length });
  };
}
