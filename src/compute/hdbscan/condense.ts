import type { CondensedTree, SingleLinkageTree } from './types.js';

/**
 * hdbscan's `condense_tree`: walks the dendrogram breadth-first from the top; a split into two
 * parts of at least `minClusterSize` points creates two new clusters (ids N+1, N+2, ... in walk
 * order), a smaller part leaves its parent cluster point by point (breadth-first order) at the
 * split's lambda = 1 / distance (Infinity at distance 0). Rows come out in hdbscan's order.
 */
export function condenseTree(linkage: SingleLinkageTree, minClusterSize: number): CondensedTree {
  const merges = linkage.distance.length;
  const pointCount = merges + 1;
  const nodeCount = 2 * pointCount - 1;
  const root = nodeCount - 1;
  const sizeOf = (node: number): number => (node >= pointCount ? linkage.size[node - pointCount]! : 1);

  const rows = new RowBuffer(2 * pointCount);
  const relabel = new Int32Array(nodeCount);
  const ignore = new Uint8Array(nodeCount);
  const queue = new Int32Array(nodeCount);
  relabel[root] = pointCount;
  let nextLabel = pointCount + 1;

  /** Emits every point under `top` as leaving cluster `parent`, in breadth-first order. */
  const dropSubtree = (top: number, parent: number, lambda: number): void => {
    let head = 0;
    let tail = 0;
    queue[tail++] = top;
    while (head < tail) {
      const node = queue[head++]!;
      if (node < pointCount) rows.push(parent, node, lambda, 1);
      else {
        queue[tail++] = linkage.left[node - pointCount]!;
        queue[tail++] = linkage.right[node - pointCount]!;
      }
      ignore[node] = 1;
    }
  };

  const order = breadthFirst(linkage, root);
  for (const node of order) {
    if (node < pointCount || ignore[node]) continue;
    const row = node - pointCount;
    const left = linkage.left[row]!;
    const right = linkage.right[row]!;
    const distance = linkage.distance[row]!;
    const lambda = distance > 0 ? 1 / distance : Infinity;
    const leftCount = sizeOf(left);
    const rightCount = sizeOf(right);
    const parent = relabel[node]!;
    const leftIsCluster = leftCount >= minClusterSize;
    const rightIsCluster = rightCount >= minClusterSize;

    if (leftIsCluster && rightIsCluster) {
      relabel[left] = nextLabel++;
      rows.push(parent, relabel[left], lambda, leftCount);
      relabel[right] = nextLabel++;
      rows.push(parent, relabel[right], lambda, rightCount);
    } else if (!leftIsCluster && !rightIsCluster) {
      dropSubtree(left, parent, lambda);
      dropSubtree(right, parent, lambda);
    } else if (!leftIsCluster) {
      relabel[right] = parent;
      dropSubtree(left, parent, lambda);
    } else {
      relabel[left] = parent;
      dropSubtree(right, parent, lambda);
    }
  }
  return rows.toTree();
}

/** Every node under `top`, breadth-first, left before right (hdbscan's `bfs_from_hierarchy`). */
function breadthFirst(linkage: SingleLinkageTree, top: number): Int32Array {
  const pointCount = linkage.distance.length + 1;
  const order = new Int32Array(2 * pointCount - 1);
  let head = 0;
  let tail = 0;
  order[tail++] = top;
  while (head < tail) {
    const node = order[head++]!;
    if (node >= pointCount) {
      order[tail++] = linkage.left[node - pointCount]!;
      order[tail++] = linkage.right[node - pointCount]!;
    }
  }
  return order.subarray(0, tail);
}

class RowBuffer {
  private readonly parent: Int32Array;
  private readonly child: Int32Array;
  private readonly lambda: Float64Array;
  private readonly childSize: Int32Array;
  private length = 0;

  constructor(capacity: number) {
    this.parent = new Int32Array(capacity);
    this.child = new Int32Array(capacity);
    this.lambda = new Float64Array(capacity);
    this.childSize = new Int32Array(capacity);
  }

  push(parent: number, child: number, lambda: number, childSize: number): void {
    const i = this.length++;
    this.parent[i] = parent;
    this.child[i] = child;
    this.lambda[i] = lambda;
    this.childSize[i] = childSize;
  }

  toTree(): CondensedTree {
    const n = this.length;
    return {
      parent: this.parent.slice(0, n),
      child: this.child.slice(0, n),
      lambda: this.lambda.slice(0, n),
      childSize: this.childSize.slice(0, n),
    };
  }
}
