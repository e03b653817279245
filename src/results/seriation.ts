/**
 * Orders for the views of many patterns, browser-safe: seriation of a weighted bipartite table (rows of one
 * layer against columns of another) so that heavy cells gather along the diagonal, and the weighted
 * crossing count that it lowers. Two-layer crossing minimisation and matrix seriation are the same problem
 * here: a band crossing another is a cell off the diagonal's path. A walk along the heaviest spanning
 * forest of the table's graph from a peripheral row or column places the long chains and blocks, which
 * local moves alone cannot; barycentre sweeps then settle each row and column between its neighbours.
 */

/** A nonzero cell of a table: row, column and weight (shared inputs). */
export interface WeightedCell {
  row: number;
  col: number;
  weight: number;
}

/**
 * The weighted median of [value, weight] pairs: the value where the running weight (by value) first
 * reaches half the total, the mean of the two middle values when it reaches exactly half. Unlike the mean
 * it ignores a few light outliers (a stray shared member far away). NaN without weight.
 */
export function weightedMedian(pairs: readonly (readonly [number, number])[]): number {
  const sorted = pairs.filter(([, w]) => w > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, w]) => sum + w, 0);
  if (total === 0) return Number.NaN;
  let running = 0;
  for (let k = 0; k < sorted.length; k++) {
    running += sorted[k]![1];
    if (Math.abs(running - total / 2) <= 1e-12 * total) return (sorted[k]![0] + sorted[k + 1]![0]) / 2;
    if (running > total / 2) return sorted[k]![0];
  }
  return sorted[sorted.length - 1]![0];
}

/**
 * Sorts `items` by the weighted median position of their neighbours (`neighbours(item)` gives [position,
 * weight] pairs): a barycentre sweep with the median for the mean, the robust variant of the heuristic.
 * Ties keep the current order. Items without neighbours hold nothing to line up: they go last, in their
 * current order. Returns a new array.
 */
export function barycentreSort(
  items: readonly number[],
  neighbours: (item: number) => Iterable<readonly [number, number]>,
): number[] {
  const keyed = items.map((item, position) => {
    const key = weightedMedian([...neighbours(item)]);
    return { item, position, key: Number.isNaN(key) ? Number.POSITIVE_INFINITY : key };
  });
  keyed.sort((a, b) => (a.key === b.key ? 0 : a.key < b.key ? -1 : 1) || a.position - b.position);
  return keyed.map((k) => k.item);
}

/** Position of each item in `order` (items absent from it: -1). */
export function positionsOf(order: readonly number[], count: number): Int32Array {
  const positions = new Int32Array(count).fill(-1);
  order.forEach((item, at) => (positions[item] = at));
  return positions;
}

/**
 * Weighted crossings of a two-column drawing: the sum of w1·w2 over pairs of cells whose rows and columns
 * are in opposite orders. O(cells²); for tests and small tables.
 */
export function weightedCrossings(
  cells: readonly WeightedCell[],
  rowOrder: readonly number[],
  colOrder: readonly number[],
): number {
  const rowAt = new Map(rowOrder.map((r, i) => [r, i]));
  const colAt = new Map(colOrder.map((c, i) => [c, i]));
  let total = 0;
  for (let i = 0; i < cells.length; i++) {
    for (let j = i + 1; j < cells.length; j++) {
      const a = cells[i]!;
      const b = cells[j]!;
      const dr = rowAt.get(a.row)! - rowAt.get(b.row)!;
      const dc = colAt.get(a.col)! - colAt.get(b.col)!;
      if (dr * dc < 0) total += a.weight * b.weight;
    }
  }
  return total;
}

export interface SeriationOptions {
  /** Most sweeps (a sweep orders the columns, then the rows); default 12. Stops early once nothing moves. */
  sweeps?: number;
}

/** A node of the table's graph: a row (side 0) or a column (side 1). */
type Side = 0 | 1;
interface GraphNode {
  side: Side;
  id: number;
  /** Neighbours, heaviest first (ties: rows and columns in their given order). */
  links: { node: GraphNode; weight: number }[];
  total: number;
  seen: number;
}

/** Breadth-first order of `start`'s component; `mark` (new for each search) stamps the nodes reached. */
function breadthFirst(start: GraphNode, mark: number): GraphNode[] {
  const order = [start];
  start.seen = mark;
  for (let k = 0; k < order.length; k++) {
    for (const { node } of order[k]!.links) {
      if (node.seen === mark) continue;
      node.seen = mark;
      order.push(node);
    }
  }
  return order;
}

/** Depth-first pre-order of a tree from `start`, heaviest branches first: every subtree stays contiguous. */
function depthFirst(start: GraphNode): GraphNode[] {
  const order: GraphNode[] = [];
  const stack: { node: GraphNode; from: GraphNode | null }[] = [{ node: start, from: null }];
  while (stack.length > 0) {
    const { node, from } = stack.pop()!;
    order.push(node);
    for (let k = node.links.length - 1; k >= 0; k--) {
      const next = node.links[k]!.node;
      if (next !== from) stack.push({ node: next, from: node });
    }
  }
  return order;
}

/**
 * Rows and columns along the heaviest spanning forest of the table's graph: tree by tree (heaviest first),
 * depth first from an end of the tree's longest path (the far end of a breadth-first search from the far
 * end of another), heaviest branches first. Rows and columns without cells come last, in given order.
 */
function bandOrder(rows: readonly number[], cols: readonly number[], cells: readonly WeightedCell[]): Seriation {
  const make = (side: Side) => (id: number) => ({ side, id, links: [], total: 0, seen: -1 }) as GraphNode;
  const rowNodes = new Map(rows.map((id) => [id, make(0)(id)]));
  const colNodes = new Map(cols.map((id) => [id, make(1)(id)]));
  const rank = new Map<GraphNode, number>([...rowNodes.values(), ...colNodes.values()].map((n, i) => [n, i]));
  // The heaviest spanning forest (Kruskal): weak cells that would close a cycle are left out, so that a
  // stray shared member cannot pull distant parts of a chain together.
  const parent = Array.from(rank.keys(), (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const edges = cells
    .map(({ row, col, weight }) => ({ r: rowNodes.get(row), c: colNodes.get(col), weight }))
    .filter(
      (e): e is { r: GraphNode; c: GraphNode; weight: number } =>
        e.r !== undefined && e.c !== undefined && e.weight > 0,
    )
    .sort((a, b) => b.weight - a.weight || rank.get(a.r)! - rank.get(b.r)! || rank.get(a.c)! - rank.get(b.c)!);
  for (const { r, c, weight } of edges) {
    const [a, b] = [root(rank.get(r)!), root(rank.get(c)!)];
    if (a === b) continue;
    parent[a] = b;
    r.links.push({ node: c, weight });
    c.links.push({ node: r, weight });
    r.total += weight;
    c.total += weight;
  }
  for (const node of rank.keys())
    node.links.sort((a, b) => b.weight - a.weight || rank.get(a.node)! - rank.get(b.node)!);
  const seeds = [...rowNodes.values(), ...colNodes.values()]
    .filter((node) => node.total > 0)
    .sort((a, b) => b.total - a.total || rank.get(a)! - rank.get(b)!);
  const placed: GraphNode[] = [];
  let mark = 0;
  for (const seed of seeds) {
    // A node searched before belongs to a component already placed (components share no edge).
    if (seed.seen >= 0) continue;
    let far = seed;
    for (let round = 0; round < 2; round++) {
      const reached = breadthFirst(far, ++mark);
      far = reached[reached.length - 1]!;
    }
    placed.push(...depthFirst(far));
  }
  const lonely = (nodes: Map<number, GraphNode>) => [...nodes.values()].filter((n) => n.total === 0).map((n) => n.id);
  return {
    rows: [...placed.filter((n) => n.side === 0).map((n) => n.id), ...lonely(rowNodes)],
    cols: [...placed.filter((n) => n.side === 1).map((n) => n.id), ...lonely(colNodes)],
  };
}

/** Orders of the rows and columns of a seriated table. */
export interface Seriation {
  rows: number[];
  cols: number[];
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Seriates the rows `rows` and columns `cols` of a sparse weighted table: a walk along the heaviest
 * spanning forest of its graph, refined by alternating median sweeps (columns by the weighted median
 * position of their rows, then rows by that of their columns). Rows and columns sharing weight end up near each other, so blocks
 * and chains of the table come out along the diagonal.
 */
export function seriate(
  rows: readonly number[],
  cols: readonly number[],
  cells: readonly WeightedCell[],
  options: SeriationOptions = {},
): Seriation {
  const rowSet = new Set(rows);
  const colSet = new Set(cols);
  const byRow = new Map<number, [number, number][]>();
  const byCol = new Map<number, [number, number][]>();
  for (const { row, col, weight } of cells) {
    if (weight <= 0 || !rowSet.has(row) || !colSet.has(col)) continue;
    (byRow.get(row) ?? byRow.set(row, []).get(row)!).push([col, weight]);
    (byCol.get(col) ?? byCol.set(col, []).get(col)!).push([row, weight]);
  }
  const start = bandOrder(rows, cols, cells);
  let rowOrder = start.rows;
  let colOrder = start.cols;
  const sweeps = options.sweeps ?? 12;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    const rowAt = new Map(rowOrder.map((r, i) => [r, i]));
    const nextCols = barycentreSort(colOrder, (col) =>
      (byCol.get(col) ?? []).map(([row, w]) => [rowAt.get(row)!, w] as const),
    );
    const colAt = new Map(nextCols.map((c, i) => [c, i]));
    const nextRows = barycentreSort(rowOrder, (row) =>
      (byRow.get(row) ?? []).map(([col, w]) => [colAt.get(col)!, w] as const),
    );
    const settled = sameOrder(nextCols, colOrder) && sameOrder(nextRows, rowOrder);
    colOrder = nextCols;
    rowOrder = nextRows;
    if (settled) break;
  }
  return { rows: rowOrder, cols: colOrder };
}

/**
 * The `k` items of largest `value`, ties by smaller item; all of them when k is at least their number.
 * Returned in item order, so that a later ordering starts from a stable one.
 */
export function topK(items: readonly number[], value: (item: number) => number, k: number): number[] {
  if (k >= items.length) return [...items];
  const chosen = [...items].sort((a, b) => value(b) - value(a) || a - b).slice(0, Math.max(0, k));
  return chosen.sort((a, b) => a - b);
}
