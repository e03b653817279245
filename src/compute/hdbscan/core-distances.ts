import type { Matrix } from '../matrix.js';
import type { TaskControl } from '../../progress.js';
import { Checkpoint } from './checkpoint.js';
import { rowDistance } from './distance.js';
import type { Metric } from './types.js';

/**
 * hdbscan's effective min_samples for N points: clamped to N-1, and at least 1
 * (hdbscan: `min(size - 1, min_samples)`, then 0 becomes 1).
 */
export function clampMinSamples(count: number, minSamples: number): number {
  return Math.max(1, Math.min(count - 1, minSamples));
}

/**
 * Core distance of every row: the distance to its k-th nearest other row, k = clampMinSamples
 * (hdbscan: `np.partition(D, k, axis=0)[k]` with the row itself at index 0). Keeps a bounded
 * max-heap of the k smallest distances per row: O(N^2 D) time, O(N + k) extra memory.
 */
export async function computeCoreDistances(
  matrix: Matrix,
  options: { minSamples: number; metric: Metric },
  control?: TaskControl,
): Promise<Float64Array> {
  const { count } = matrix;
  const core = new Float64Array(count);
  if (count < 2) return core;
  const k = clampMinSamples(count, options.minSamples);
  const distance = rowDistance(matrix, options.metric);
  const heap = new Float64Array(k);
  const checkpoint = new Checkpoint(control, 'core distances', count);
  for (let i = 0; i < count; i++) {
    let size = 0;
    for (let j = 0; j < count; j++) {
      if (j === i) continue;
      const d = distance(i, j);
      if (size < k) siftUp(heap, size++, d);
      else if (d < heap[0]!) replaceTop(heap, k, d);
    }
    core[i] = heap[0]!;
    await checkpoint.tick(i + 1);
  }
  checkpoint.finish();
  return core;
}

/** Max-heap insert of `value` at position `index` (the heap's current size). */
function siftUp(heap: Float64Array, index: number, value: number): void {
  let child = index;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (heap[parent]! >= value) break;
    heap[child] = heap[parent]!;
    child = parent;
  }
  heap[child] = value;
}

/** Replaces the maximum of a full max-heap of `size` with `value`. */
function replaceTop(heap: Float64Array, size: number, value: number): void {
  let parent = 0;
  for (;;) {
    const left = 2 * parent + 1;
    if (left >= size) break;
    const right = left + 1;
    const larger = right < size && heap[right]! > heap[left]! ? right : left;
    if (heap[larger]! <= value) break;
    heap[parent] = heap[larger]!;
    parent = larger;
  }
  heap[parent] = value;
}
