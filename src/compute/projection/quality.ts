import { InputError } from '../../errors.js';
import type { Matrix } from '../matrix.js';
import { checkMatrix, requireInteger } from './input-checks.js';
import { pairKey, searchRows, type KnnMetric, type NeighborGraph, type SearchRows } from './knn/neighbor-graph.js';
import { NeighborHeaps } from './knn/neighbor-heaps.js';
import { SeededRandom } from './random.js';

/**
 * The k nearest other points of every 2-D point (count x k, nearest first, ties by index), found
 * through a uniform grid of about two points per cell searched in growing square rings.
 */
export function planeNeighbors(points: Float32Array, k: number): Int32Array {
  const count = points.length / 2;
  requireInteger('k', k, 1, count - 1);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < count; i++) {
    minX = Math.min(minX, points[2 * i]!);
    maxX = Math.max(maxX, points[2 * i]!);
    minY = Math.min(minY, points[2 * i + 1]!);
    maxY = Math.max(maxY, points[2 * i + 1]!);
  }
  const side = Math.max(1, Math.ceil(Math.sqrt(count / 2)));
  const cellSize = Math.max(maxX - minX, maxY - minY, 1e-12) / side;
  const cellOf = (value: number, low: number): number => Math.min(side - 1, Math.floor((value - low) / cellSize));
  const cellStart = new Int32Array(side * side + 1);
  const cells = new Int32Array(count);
  for (let i = 0; i < count; i++) cells[i] = cellOf(points[2 * i + 1]!, minY) * side + cellOf(points[2 * i]!, minX);
  for (let i = 0; i < count; i++) cellStart[cells[i]! + 1]!++;
  for (let c = 0; c < side * side; c++) cellStart[c + 1]! += cellStart[c]!;
  const cursor = cellStart.slice(0, side * side);
  const members = new Int32Array(count);
  for (let i = 0; i < count; i++) members[cursor[cells[i]!]!++] = i;

  const heaps = new NeighborHeaps(count, k);
  const result = new Int32Array(count * k);
  const rowIds = new Int32Array(k);
  const rowKeys = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    const x = points[2 * i]!;
    const y = points[2 * i + 1]!;
    const cx = cells[i]! % side;
    const cy = Math.floor(cells[i]! / side);
    for (let ring = 0; ring < side; ring++) {
      for (let gy = cy - ring; gy <= cy + ring; gy++) {
        if (gy < 0 || gy >= side) continue;
        const onEdge = gy === cy - ring || gy === cy + ring;
        for (let gx = cx - ring; gx <= cx + ring; gx += onEdge || ring === 0 ? 1 : 2 * ring) {
          if (gx < 0 || gx >= side) continue;
          const cell = gy * side + gx;
          for (let m = cellStart[cell]!; m < cellStart[cell + 1]!; m++) {
            const other = members[m]!;
            if (other === i) continue;
            const dx = points[2 * other]! - x;
            const dy = points[2 * other + 1]! - y;
            heaps.offer(i, dx * dx + dy * dy, other);
          }
        }
      }
      // Points outside the rings searched so far are farther than ring * cellSize.
      const reach = ring * cellSize;
      if (heaps.bound(i) <= reach * reach) break;
    }
    heaps.sortedRow(i, rowIds, rowKeys, 0);
    result.set(rowIds, i * k);
  }
  return result;
}

/** Share of each point's k nearest neighbours in the layout that carry its label, averaged over points. */
export function labelAgreement(points: Float32Array, labels: ArrayLike<number>, k = 15): number {
  const count = points.length / 2;
  if (labels.length !== count) {
    throw new InputError(`labels has ${labels.length} entries for ${count} points`, {
      hint: 'pass one label per projected row',
    });
  }
  const neighbours = planeNeighbors(points, k);
  let agreeing = 0;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < k; j++) if (labels[neighbours[i * k + j]!] === labels[i]) agreeing++;
  }
  return agreeing / (count * k);
}

export interface TrustworthinessOptions {
  /** Neighbourhood size. Default 15. */
  k?: number;
  /** Rows whose neighbourhoods are checked (a seeded random sample); default all. */
  sample?: number;
  seed?: number;
  /** Distance in the original space. Default 'euclidean'. */
  metric?: KnnMetric;
}

/**
 * Trustworthiness (Venna & Kaski; sklearn.manifold.trustworthiness): 1 minus the normalised sum,
 * over each point's k nearest neighbours in the layout that are not among its k nearest in the
 * original space, of how far beyond k they rank there. 1 = no intruders. With `sample`, the sum
 * runs over that many random rows and is scaled to the whole set.
 */
export function trustworthiness(original: Matrix, points: Float32Array, options: TrustworthinessOptions = {}): number {
  return mapQuality(original, [points], options)[0]!.trustworthiness;
}

/**
 * kNN preservation: the share of each point's k nearest neighbours in the original space (exact, ties
 * by index) that are among its k nearest in the layout, averaged over points (a seeded sample of
 * `sample` rows when given). 1 = every neighbourhood kept.
 */
export function neighborPreservation(
  original: Matrix,
  points: Float32Array,
  options: TrustworthinessOptions = {},
): number {
  return mapQuality(original, [points], options)[0]!.neighborPreservation;
}

export interface MapQuality {
  trustworthiness: number;
  neighborPreservation: number;
}

/**
 * Trustworthiness and kNN preservation of several layouts of the same rows, over the same rows: the
 * original-space distances of each query row, the bulk of the work, are computed once for all.
 */
export function mapQuality(
  original: Matrix,
  layouts: Float32Array[],
  options: TrustworthinessOptions = {},
): MapQuality[] {
  const k = options.k ?? 15;
  checkMatrix(original, 2, 'map quality');
  const count = original.count;
  for (const points of layouts) {
    if (points.length !== count * 2) {
      throw new InputError(`layout has ${points.length} values for ${count} rows`, {
        hint: 'pass the count x 2 projection of the same rows',
      });
    }
  }
  requireInteger('k', k, 1, Math.floor((2 * count - 2) / 3));
  const sample = options.sample ?? count;
  requireInteger('sample', sample, 1, count);
  const exact = new ExactNeighbors(searchRows(original, options.metric ?? 'euclidean'), k);
  const layoutNeighbours = layouts.map((points) => planeNeighbors(points, k));
  const penalties = new Float64Array(layouts.length);
  const shared = new Float64Array(layouts.length);
  for (const i of sampleRows(count, sample, new SeededRandom(options.seed ?? 42))) {
    const ids = exact.of(i);
    const keys = exact.keys;
    layoutNeighbours.forEach((neighbours, l) => {
      for (let j = 0; j < k; j++) {
        const other = neighbours[i * k + j]!;
        if (ids.includes(other)) {
          shared[l]!++;
          continue;
        }
        // Not among the k nearest: its rank in the original space is beyond k.
        const key = keys[other]!;
        let rank = 1;
        for (let m = 0; m < count; m++) if (keys[m]! < key || (keys[m] === key && m < other)) rank++;
        penalties[l]! += rank - k;
      }
    });
  }
  return layouts.map((_, l) => ({
    trustworthiness: 1 - (penalties[l]! * 2) / (sample * k * (2 * count - 3 * k - 1)),
    neighborPreservation: shared[l]! / (sample * k),
  }));
}

/**
 * Recall of an approximate neighbour graph (as nearestNeighbors returns: each row first, then its
 * k - 1 nearest others): the share of each row's listed others that are among its k - 1 exact nearest
 * (ties by index), averaged over rows (a seeded sample of `sample` rows when given). 1 = exact.
 */
export function neighborRecall(
  original: Matrix,
  graph: NeighborGraph,
  options: Omit<TrustworthinessOptions, 'k'> = {},
): number {
  checkMatrix(original, 2, 'kNN recall');
  const { count } = original;
  if (graph.count !== count) {
    throw new InputError(`the neighbour graph has ${graph.count} rows for ${count} in the matrix`, {
      hint: 'pass the graph searched on the same rows',
    });
  }
  const others = graph.k - 1;
  requireInteger('graph k - 1', others, 1, count - 1);
  const sample = options.sample ?? count;
  requireInteger('sample', sample, 1, count);
  const exact = new ExactNeighbors(searchRows(original, options.metric ?? 'euclidean'), others);
  const queries = sampleRows(count, sample, new SeededRandom(options.seed ?? 42));
  let found = 0;
  for (const i of queries) {
    const ids = exact.of(i);
    for (let j = 1; j <= others; j++) if (ids.includes(graph.indices[i * graph.k + j]!)) found++;
  }
  return found / (queries.length * others);
}

/** Each row's k nearest other rows by brute force, ties by index. */
class ExactNeighbors {
  /** The search keys from the latest row of `of` to every row (+Infinity to itself). */
  readonly keys: Float64Array;
  private readonly heap: NeighborHeaps;
  private readonly ids: Int32Array;
  private readonly sortedKeys: Float64Array;

  constructor(
    private readonly rows: SearchRows,
    k: number,
  ) {
    this.keys = new Float64Array(rows.count);
    this.heap = new NeighborHeaps(1, k);
    this.ids = new Int32Array(k);
    this.sortedKeys = new Float64Array(k);
  }

  /** Row i's k nearest others, nearest first (the array is reused by the next call). */
  of(i: number): Int32Array {
    const { keys, heap } = this;
    originalKeys(this.rows, i, keys);
    heap.ids.fill(-1);
    heap.keys.fill(Infinity);
    for (let m = 0; m < this.rows.count; m++) if (m !== i) heap.offer(0, keys[m]!, m);
    heap.sortedRow(0, this.ids, this.sortedKeys, 0);
    return this.ids;
  }
}

/** keys[m]: the search key from row i to row m in the original space; +Infinity for i itself. */
function originalKeys(rows: SearchRows, i: number, keys: Float64Array): void {
  for (let m = 0; m < rows.count; m++) keys[m] = m === i ? Infinity : pairKey(rows, i, m);
}

function sampleRows(count: number, sample: number, random: SeededRandom): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < sample; i++) {
    const j = i + random.nextInt(count - i);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order.slice(0, sample).sort();
}
