import type { Matrix } from '../matrix.js';
import type { TaskControl } from '../../progress.js';
import { Checkpoint } from './checkpoint.js';
import { computeCoreDistances } from './core-distances.js';
import { rowDistance } from './distance.js';
import type { MstBuilder, MstResult } from './types.js';

/**
 * The simple exact baseline: dense O(N^2) Prim over mutual-reachability distances computed on
 * the fly (memory O(N D + N)), step for step as hdbscan's `mst_linkage_core`: start at node 0,
 * keep the remaining nodes in increasing index order, take the first minimum, and record the
 * edge as (previously added node, newly added node, weight).
 */
export const referenceMst: MstBuilder = async (matrix: Matrix, options, control?: TaskControl): Promise<MstResult> => {
  const coreDistances = await computeCoreDistances(matrix, options, control);
  const count = matrix.count;
  const edges = Math.max(0, count - 1);
  const from = new Int32Array(edges);
  const to = new Int32Array(edges);
  const weight = new Float64Array(edges);
  const distance = rowDistance(matrix, options.metric);

  const remaining = new Int32Array(count);
  const best = new Float64Array(count).fill(Infinity);
  for (let i = 0; i < count; i++) remaining[i] = i;
  let remainingCount = count;
  let current = 0;
  const checkpoint = new Checkpoint(control, 'spanning tree', edges);
  for (let step = 0; step < edges; step++) {
    const currentCore = coreDistances[current]!;
    let kept = 0;
    let bestIndex = -1;
    let bestValue = Infinity;
    for (let r = 0; r < remainingCount; r++) {
      const node = remaining[r]!;
      if (node === current) continue;
      const left = best[r]!;
      let right = distance(current, node);
      if (currentCore > right) right = currentCore;
      if (coreDistances[node]! > right) right = coreDistances[node]!;
      const value = left < right ? left : right;
      remaining[kept] = node;
      best[kept] = value;
      if (bestIndex < 0 || value < bestValue) {
        bestIndex = kept;
        bestValue = value;
      }
      kept++;
    }
    remainingCount = kept;
    const added = remaining[bestIndex]!;
    from[step] = current;
    to[step] = added;
    weight[step] = bestValue;
    current = added;
    await checkpoint.tick(step + 1);
  }
  checkpoint.finish();
  return { tree: { from, to, weight }, coreDistances };
};
