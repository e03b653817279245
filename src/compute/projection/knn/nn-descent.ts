import type { StageCheckpoint } from '../checkpoint.js';
import { runWorkers } from '../run-workers.js';
import {
  DESCENT_CONTROL,
  DESCENT_CONTROL_SLOTS,
  MAX_CANDIDATES,
  ROUND_PAIRS,
  type DescentShared,
} from './descent-party.js';
import { graphFromSortedRows, keyToDistance, type NeighborGraph, type SearchRows } from './neighbor-graph.js';
import { sortByKeyThenId } from './neighbor-heaps.js';
import { paddedDim, rowMemory } from './row-kernels.js';

/** Iterations umap-learn asks NN-descent for: log2 of the row count, at least 5. */
export function descentIterations(count: number): number {
  return Math.max(5, Math.round(Math.log2(count)));
}

/**
 * Approximate k nearest neighbours (k counts the row itself) by NN-descent (Dong et al. 2011, as in
 * pynndescent) seeded from a random-projection forest, on `threads` worker threads (see
 * descent-party.ts). Deterministic for a seed, whatever the thread count. Progress counts rows
 * visited: one pass for the forest, one per iteration.
 */
export async function descentNeighbors(
  rows: SearchRows,
  k: number,
  seed: number,
  threads: number,
  checkpoint: StageCheckpoint,
): Promise<NeighborGraph> {
  const { count } = rows;
  const width = k - 1;
  const { ids, keys } = await searchedHeaps(rows, width, seed, threads, checkpoint);
  // Each heap is sorted where it lies: no copy of the heaps beside the graph made from them.
  for (let r = 0; r < count; r++) sortByKeyThenId(ids, keys, r * width, (r + 1) * width);
  return graphFromSortedRows(ids, keys, count, width, (key) => keyToDistance(key, rows.metric));
}

/**
 * Runs the parties; returns only the heaps' arrays, so that the rest of their shared state (the
 * candidate lists, the padded rows: most of the search's memory) is garbage before the graph is made.
 */
async function searchedHeaps(
  rows: SearchRows,
  width: number,
  seed: number,
  threads: number,
  checkpoint: StageCheckpoint,
): Promise<{ ids: Int32Array; keys: Float64Array }> {
  const parties = Math.max(1, Math.min(threads, Math.floor(rows.count / 64) || 1));
  const shared = sharedState(rows, width, seed, parties);
  const progress = () => checkpoint.report(Atomics.load(shared.control, DESCENT_CONTROL.progress));
  await runWorkers<true>(
    {
      script: new URL('./descent-worker.js', import.meta.url),
      inputs: Array.from({ length: parties }, (_, index) => ({ shared, index, parties })),
      onMessage: () => true,
      poll: progress,
    },
    checkpoint,
  );
  progress();
  return { ids: shared.ids, keys: shared.keys };
}

/**
 * Every array the parties share, in SharedArrayBuffers, the heaps empty; the rows padded for the
 * SIMD kernels, in their shared WebAssembly memory when there is one (see row-kernels.ts).
 */
function sharedState(rows: SearchRows, width: number, seed: number, parties: number): DescentShared {
  const { count } = rows;
  const dim = paddedDim(rows.dim);
  const limit = Math.min(MAX_CANDIDATES, count - 1);
  const ints = (length: number) => new Int32Array(new SharedArrayBuffer(4 * length));
  const doubles = (length: number) => new Float64Array(new SharedArrayBuffer(8 * length));
  const wasmRows = rowMemory(count, dim, parties);
  const data = wasmRows?.data ?? new Float32Array(new SharedArrayBuffer(4 * count * dim));
  for (let r = 0; r < count; r++) data.set(rows.data.subarray(r * rows.dim, (r + 1) * rows.dim), r * dim);
  const arena = Math.min(ROUND_PAIRS, Math.max(1, count * ((limit * (limit - 1)) / 2 + limit * limit)));
  return {
    count,
    dim,
    width,
    limit,
    leafSize: Math.max(10, width + 1),
    iterations: descentIterations(count),
    seed: seed | 0,
    metric: rows.metric,
    data,
    memory: wasmRows?.memory,
    ids: ints(count * width).fill(-1),
    keys: doubles(count * width).fill(Infinity),
    fresh: new Uint8Array(new SharedArrayBuffer(count * width)),
    candidates: ints(2 * count * width),
    candidateStart: ints(count + 1),
    oldStart: ints(count),
    newSizes: ints(count),
    oldSizes: ints(count),
    priorities: new Uint32Array(new SharedArrayBuffer(4 * 2 * count * width)),
    roundStarts: ints(count + 1),
    rowOffset: ints(count),
    rowUpdates: ints(count),
    updateP: ints(arena),
    updateQ: ints(arena),
    updateKey: doubles(arena),
    treeOrder: ints(parties * count),
    treeBounds: ints(parties * (count + 1)),
    treeLeaves: ints(parties),
    successes: doubles(parties),
    control: ints(DESCENT_CONTROL_SLOTS),
  };
}
