import type { PrimTree, SingleLinkageTree } from './types.js';

/**
 * Orders the spanning tree's edges by weight with a stable sort, so edges of equal weight keep
 * the order Prim's algorithm added them (hdbscan with a stable `argsort`).
 */
export function sortEdgesByWeight(tree: PrimTree): PrimTree {
  const edges = tree.weight.length;
  const order = new Int32Array(edges);
  for (let i = 0; i < edges; i++) order[i] = i;
  const { weight } = tree;
  order.sort((a, b) => (weight[a]! < weight[b]! ? -1 : weight[a]! > weight[b]! ? 1 : a - b));
  const from = new Int32Array(edges);
  const to = new Int32Array(edges);
  const sorted = new Float64Array(edges);
  for (let i = 0; i < edges; i++) {
    from[i] = tree.from[order[i]!]!;
    to[i] = tree.to[order[i]!]!;
    sorted[i] = weight[order[i]!]!;
  }
  return { from, to, weight: sorted };
}

/**
 * hdbscan's `label()`: turns weight-sorted edges into a single-linkage dendrogram with a
 * union-find; merge k creates node N + k, and each row names the two roots it joins.
 */
export function singleLinkage(sortedEdges: PrimTree): SingleLinkageTree {
  const merges = sortedEdges.weight.length;
  const pointCount = merges + 1;
  const parent = new Int32Array(2 * pointCount - 1).fill(-1);
  const nodeSize = new Int32Array(2 * pointCount - 1);
  nodeSize.fill(1, 0, pointCount);
  const left = new Int32Array(merges);
  const right = new Int32Array(merges);
  const size = new Int32Array(merges);

  const find = (node: number): number => {
    let root = node;
    while (parent[root] !== -1) root = parent[root]!;
    for (let p = node; p !== root && parent[p] !== root;) {
      const next = parent[p]!;
      parent[p] = root;
      p = next;
    }
    return root;
  };

  for (let k = 0; k < merges; k++) {
    const a = find(sortedEdges.from[k]!);
    const b = find(sortedEdges.to[k]!);
    const merged = pointCount + k;
    left[k] = a;
    right[k] = b;
    size[k] = nodeSize[a]! + nodeSize[b]!;
    nodeSize[merged] = size[k]!;
    parent[a] = merged;
    parent[b] = merged;
  }
  return { left, right, distance: Float64Array.from(sortedEdges.weight), size };
}
