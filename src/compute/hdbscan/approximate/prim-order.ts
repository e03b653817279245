import { NodeHeap } from '../kernels/node-heap.js';
import type { PrimTree } from '../types.js';
import type { TreeEdges } from './lightest-edges.js';

/**
 * Re-records a spanning tree the way hdbscan's `mst_linkage_core` records the exact one: Prim's
 * algorithm over the tree's own edges, starting at row 0 and taking the smallest key (the smallest
 * row among equal keys), each step recorded as (previously added row, newly added row, key).
 * Mutual reachability has many equal weights (every edge within a row's core distance weighs
 * that core distance), and the condensed tree takes equal-weight merges one at a time, in this
 * order: recording the approximate tree the same way keeps its ties broken as the exact path does.
 */
export function primOrder(edges: TreeEdges, count: number): PrimTree {
  const steps = Math.max(0, count - 1);
  const from = new Int32Array(steps);
  const to = new Int32Array(steps);
  const weight = new Float64Array(steps);
  if (steps === 0) return { from, to, weight };
  const start = new Int32Array(count + 1);
  for (let e = 0; e < edges.length; e++) {
    start[edges.from[e]! + 1]!++;
    start[edges.to[e]! + 1]!++;
  }
  for (let i = 0; i < count; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, count);
  const neighbour = new Int32Array(2 * edges.length);
  const edgeWeight = new Float64Array(2 * edges.length);
  for (let e = 0; e < edges.length; e++) {
    const a = edges.from[e]!;
    const b = edges.to[e]!;
    neighbour[fill[a]!] = b;
    edgeWeight[fill[a]!++] = edges.weight[e]!;
    neighbour[fill[b]!] = a;
    edgeWeight[fill[b]!++] = edges.weight[e]!;
  }
  const key = new Float64Array(count).fill(Infinity);
  const added = new Uint8Array(count);
  const heap = new NodeHeap(key, count);
  let current = 0;
  added[0] = 1;
  const relax = (node: number): void => {
    for (let at = start[node]!; at < start[node + 1]!; at++) {
      const other = neighbour[at]!;
      if (added[other] || !(edgeWeight[at]! < key[other]!)) continue;
      const fresh = key[other] === Infinity;
      key[other] = edgeWeight[at]!;
      if (fresh) heap.push(other);
      else heap.decreased(other);
    }
  };
  relax(0);
  for (let step = 0; step < steps; step++) {
    const next = heap.pop();
    from[step] = current;
    to[step] = next;
    weight[step] = key[next]!;
    added[next] = 1;
    current = next;
    relax(next);
  }
  return { from, to, weight };
}
