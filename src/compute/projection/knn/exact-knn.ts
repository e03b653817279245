import { availableParallelism } from 'node:os';
import type { StageCheckpoint } from '../checkpoint.js';
import { runWorkers } from '../run-workers.js';
import { scanTileAt, tileCount } from './exact-tiles.js';
import { graphFromSortedRows, type KnnMetric, type NeighborGraph, type SearchRows } from './neighbor-graph.js';
import { NeighborHeaps, sortByKeyThenId } from './neighbor-heaps.js';

/** Below this many multiply-adds (about 20 ms of work) starting workers costs more than it saves. */
const MIN_WORK_FOR_THREADS = 2e7;

export interface ExactWorkerInput {
  data: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  count: number;
  dim: number;
  dotWeight: number;
  metric: KnnMetric;
  width: number;
  first: number;
  stride: number;
}

/** One worker's heaps: `width` (id, key) slots per row. */
interface HeapPart {
  ids: Int32Array;
  keys: Float64Array;
}

export type ExactWorkerMessage = { type: 'progress'; scanned: number } | { type: 'done'; ids: Int32Array; keys: Float64Array };

/** Default thread count for the exact search: every core the process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Exact k nearest neighbours (k counts the row itself) by scanning every pair once in 2 x 4 register
 * blocks. With `threads` > 1 the tiles are dealt round-robin to worker threads that each keep
 * their own heaps, merged at the end; ties are broken by index, so the result is identical for
 * any thread count. Progress is counted in tiles.
 */
export async function exactNeighbors(rows: SearchRows, k: number, threads: number, checkpoint: StageCheckpoint): Promise<NeighborGraph> {
  const width = k - 1;
  const tiles = tileCount(rows.count);
  const work = (rows.count * rows.count * rows.dim) / 2;
  const workers = Math.min(threads, tiles, work < MIN_WORK_FOR_THREADS ? 1 : threads);
  if (workers <= 1) {
    const heaps = new NeighborHeaps(rows.count, width);
    for (let tile = 0; tile < tiles; tile++) {
      scanTileAt(rows, heaps, tile);
      await checkpoint.tick(tile + 1);
    }
    const ids = new Int32Array(rows.count * width);
    const keys = new Float64Array(rows.count * width);
    for (let r = 0; r < rows.count; r++) heaps.sortedRow(r, ids, keys, r * width);
    return graphFromSortedRows(ids, keys, rows.count, width, rows.metric);
  }
  const parts = await scanOnWorkers(rows, width, workers, checkpoint);
  return mergeParts(parts, rows.count, width, rows.metric);
}

async function scanOnWorkers(rows: SearchRows, width: number, workers: number, checkpoint: StageCheckpoint): Promise<HeapPart[]> {
  const data = new SharedArrayBuffer(rows.data.byteLength);
  new Float32Array(data).set(rows.data);
  const offsets = new SharedArrayBuffer(rows.offsets.byteLength);
  new Float64Array(offsets).set(rows.offsets);
  const scanned = new Array<number>(workers).fill(0);
  const inputs = Array.from(
    { length: workers },
    (_, index): ExactWorkerInput => ({
      data,
      offsets,
      count: rows.count,
      dim: rows.dim,
      dotWeight: rows.dotWeight,
      metric: rows.metric,
      width,
      first: index,
      stride: workers,
    }),
  );
  return runWorkers<HeapPart>(
    {
      script: new URL('./exact-knn-worker.js', import.meta.url),
      inputs,
      onMessage: (index, message) => {
        const update = message as ExactWorkerMessage;
        if (update.type === 'done') return { ids: update.ids, keys: update.keys };
        scanned[index] = update.scanned;
        checkpoint.report(scanned.reduce((sum, value) => sum + value, 0));
        return undefined;
      },
    },
    checkpoint,
  );
}

/** Each pair was offered in one worker only, so a row's k - 1 nearest are the best of the union of its heaps. */
function mergeParts(parts: HeapPart[], count: number, width: number, metric: KnnMetric): NeighborGraph {
  const pooled = parts.length * width;
  const poolIds = new Int32Array(pooled);
  const poolKeys = new Float64Array(pooled);
  const ids = new Int32Array(count * width);
  const keys = new Float64Array(count * width);
  for (let r = 0; r < count; r++) {
    parts.forEach((part, p) => {
      poolIds.set(part.ids.subarray(r * width, (r + 1) * width), p * width);
      poolKeys.set(part.keys.subarray(r * width, (r + 1) * width), p * width);
    });
    sortByKeyThenId(poolIds, poolKeys, 0, pooled);
    ids.set(poolIds.subarray(0, width), r * width);
    keys.set(poolKeys.subarray(0, width), r * width);
  }
  return graphFromSortedRows(ids, keys, count, width, metric);
}
