/**
 * The icicle plot of a condensed tree: each cluster is a box as wide as the inputs it holds when it is born
 * and as tall as the lambda range it lives (birth to the lambda where it splits or its last input leaves).
 * Children sit side by side under their parent in the tree's row order, from the parent's left edge; the
 * parent's inputs that leave it as noise take the rest of its width. Every cluster's inputs are one
 * contiguous run of `pointOrder` (x0 .. x1), so a subtree's members and label mix need no tree walk.
 * Browser-safe: the app lays out and hit-tests with it.
 */
import { buildClusterTree, childrenOf, type ClusterTree } from '../compute/hdbscan/cluster-tree.js';
import { computeStability } from '../compute/hdbscan/stability.js';
import type { CondensedTree } from '../compute/hdbscan/types.js';

export interface IcicleLayout {
  pointCount: number;
  /** Cluster id of the root (= pointCount); node i of the arrays below is cluster root + i. */
  root: number;
  count: number;
  parent: Int32Array;
  depth: Int32Array;
  /** Horizontal extent in inputs, 0 .. pointCount. */
  x0: Int32Array;
  x1: Int32Array;
  /** Lambda where the cluster appears (0 for the root) and where it ends; Infinity capped at `maxLambda`. */
  birth: Float64Array;
  death: Float64Array;
  /** hdbscan's stability of each cluster (its persistence when selected). */
  stability: Float64Array;
  /** Pattern id of a selected cluster (its position in `selected`), else -1. */
  pattern: Int32Array;
  /** The largest finite lambda of the tree: the bottom of the plot. */
  maxLambda: number;
  /** Point ids (row positions) in layout order: cluster i holds pointOrder[x0[i] .. x1[i]). */
  pointOrder: Int32Array;
  clusters: ClusterTree;
}

/** Lays out `tree`; `selected` lists the selected cluster ids (pattern k = selected[k]). */
export function icicleLayout(tree: CondensedTree, selected: ArrayLike<number> = []): IcicleLayout {
  const clusters = buildClusterTree(tree);
  const { root, count } = clusters;
  let pointCount = 0;
  let maxLambda = 0;
  for (let i = 0; i < tree.child.length; i++) {
    if (tree.child[i]! < root) pointCount++;
    const lambda = tree.lambda[i]!;
    if (Number.isFinite(lambda) && lambda > maxLambda) maxLambda = lambda;
  }
  const cap = (lambda: number) => (Number.isFinite(lambda) ? lambda : maxLambda);
  const size = new Int32Array(count);
  size[0] = pointCount;
  const death = new Float64Array(count);
  // The points that leave each cluster, grouped by cluster (fallOut[fallStart[i] .. fallStart[i + 1])), in row order.
  const fallStart = new Int32Array(count + 1);
  for (let i = 0; i < tree.child.length; i++) {
    const p = tree.parent[i]! - root;
    const child = tree.child[i]!;
    death[p] = Math.max(death[p]!, cap(tree.lambda[i]!));
    if (child >= root) size[child - root] = tree.childSize[i]!;
    else fallStart[p + 1]!++;
  }
  for (let i = 0; i < count; i++) fallStart[i + 1]! += fallStart[i]!;
  const fallOut = new Int32Array(pointCount);
  const filled = fallStart.slice(0, count);
  for (let i = 0; i < tree.child.length; i++) {
    if (tree.child[i]! < root) fallOut[filled[tree.parent[i]! - root]!++] = tree.child[i]!;
  }
  const birth = Float64Array.from(clusters.birthLambda, cap);
  birth[0] = 0;
  const parent = Int32Array.from(clusters.parentOf, (id) => (id < 0 ? -1 : id - root));
  const depth = new Int32Array(count);
  const x0 = new Int32Array(count);
  const x1 = new Int32Array(count);
  const pointOrder = new Int32Array(pointCount);
  x1[0] = pointCount;
  // Children before their parent's own fall-out points; clusters are numbered below their parents.
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    let at = x0[i]!;
    for (const id of childrenOf(clusters, root + i)) {
      const c = id - root;
      depth[c] = depth[i]! + 1;
      x0[c] = at;
      x1[c] = at + size[c]!;
      at = x1[c]!;
      stack.push(c);
    }
    pointOrder.set(fallOut.subarray(fallStart[i], fallStart[i + 1]), at);
  }
  const pattern = new Int32Array(count).fill(-1);
  for (let k = 0; k < selected.length; k++) pattern[selected[k]! - root] = k;
  return {
    pointCount,
    root,
    count,
    parent,
    depth,
    x0,
    x1,
    birth,
    death,
    stability: computeStability(tree, clusters),
    pattern,
    maxLambda,
    pointOrder,
    clusters,
  };
}

/**
 * The deepest cluster (node index) whose box holds input position `x` (0 .. pointCount) at `lambda`, or -1
 * outside the root's box.
 */
export function nodeAt(layout: IcicleLayout, x: number, lambda: number): number {
  if (!(x >= 0 && x < layout.pointCount && lambda >= 0)) return -1;
  let node = 0;
  for (;;) {
    let next = -1;
    for (const id of childrenOf(layout.clusters, layout.root + node)) {
      const c = id - layout.root;
      if (x >= layout.x0[c]! && x < layout.x1[c]! && lambda >= layout.birth[c]!) {
        next = c;
        break;
      }
    }
    if (next < 0) return lambda <= layout.death[node]! ? node : -1;
    node = next;
  }
}

/** Point ids of node `node`'s subtree (every input it holds at birth). */
export function subtreePoints(layout: IcicleLayout, node: number): Int32Array {
  return layout.pointOrder.subarray(layout.x0[node], layout.x1[node]);
}

/** Node indices of the children of `node`. */
export function childNodes(layout: IcicleLayout, node: number): number[] {
  return Array.from(childrenOf(layout.clusters, layout.root + node), (id) => id - layout.root);
}

/** Patterns selected in `node`'s subtree, or the selected ancestor's pattern when `node` lies inside one. */
export function patternsUnder(layout: IcicleLayout, node: number): number[] {
  for (let up = node; up >= 0; up = layout.parent[up]!) if (layout.pattern[up]! >= 0) return [layout.pattern[up]!];
  const found: number[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (layout.pattern[i]! >= 0) found.push(layout.pattern[i]!);
    else stack.push(...childNodes(layout, i));
  }
  return found.sort((a, b) => a - b);
}

/** The most frequent value of `labelOf` over `node`'s inputs (ties: the first to reach that count), with its count. */
export function majorityOf<T>(
  layout: IcicleLayout,
  node: number,
  labelOf: (point: number) => T,
): { label: T; count: number } | undefined {
  const counts = new Map<T, number>();
  let best: { label: T; count: number } | undefined;
  for (const point of subtreePoints(layout, node)) {
    const label = labelOf(point);
    const count = (counts.get(label) ?? 0) + 1;
    counts.set(label, count);
    if (!best || count > best.count) best = { label, count };
  }
  return best;
}

/** The root's band ends at its split; the scale starts at this share of that lambda. */
const ROOT_BAND = 0.85;

/**
 * Lambda to the plot's y (0 at the top) and back, in log scale from just above the root's split (below it
 * the root alone, drawn as a short band) to the deepest finite lambda: near-duplicate inputs reach very
 * large lambdas, and the splits near the root would be lost in a linear scale.
 */
export function icicleScale(layout: IcicleLayout, height: number) {
  const high = Math.max(layout.maxLambda, Number.MIN_VALUE);
  const low = Math.min(high / 2, layout.death[0]! * ROOT_BAND) || high / 1e3;
  const span = Math.log(high / low) || 1;
  return {
    y: (lambda: number) => (lambda <= low ? 0 : (Math.log(lambda / low) / span) * height),
    lambda: (y: number) => low * Math.exp((y / height) * span),
  };
}
