import type { TaskControl } from '../../../progress.js';
import { siftDown } from '../../knn/max-heap.js';
import { Checkpoint } from '../checkpoint.js';
import type { RowDistance } from '../distance.js';
import type { Screen } from './screen.js';
import { ScanWorkspace, tileEdge, type TileFiller } from './tiles.js';

/**
 * Exact nearest neighbours of every row, as the spanning tree needs them: `width` neighbours per
 * row with float64 reference distances (sorted by distance, then index), the exact core distance,
 * and a certificate `beyond[i]`: every row NOT listed for i is at reference distance >= beyond[i].
 */
export interface NeighbourLists {
  width: number;
  ids: Int32Array;
  distances: Float64Array;
  coreDistances: Float64Array;
  beyond: Float64Array;
  /** Rows whose screened candidates could not certify the core distance and were redone exactly. */
  exactRows: number;
}

/** Bounded max-heaps of screened values (`s`), one per row, in flat arrays. */
export class CandidateHeaps {
  readonly values: Float64Array;
  readonly ids: Int32Array;
  readonly sizes: Int32Array;
  /** Largest kept value of a full heap, +Infinity while a heap still has room: the admission bar. */
  readonly bar: Float64Array;

  constructor(
    rows: number,
    readonly width: number,
    bar: Float64Array,
    parts?: { values: Float64Array; ids: Int32Array; sizes: Int32Array },
  ) {
    this.values = parts?.values ?? new Float64Array(rows * width);
    this.ids = parts?.ids ?? new Int32Array(rows * width);
    this.sizes = parts?.sizes ?? new Int32Array(rows);
    this.bar = parts ? bar : bar.fill(Infinity);
  }

  /** Offers `id` at screened value `value` to row `row` (callers test `value < bar[row]` first). */
  offer(row: number, value: number, id: number): void {
    const { values, ids, width } = this;
    const base = row * width;
    const size = this.sizes[row]!;
    if (size < width) {
      let child = size;
      while (child > 0) {
        const parent = (child - 1) >> 1;
        if (values[base + parent]! >= value) break;
        values[base + child] = values[base + parent]!;
        ids[base + child] = ids[base + parent]!;
        child = parent;
      }
      values[base + child] = value;
      ids[base + child] = id;
      this.sizes[row] = size + 1;
      if (size + 1 === width) this.bar[row] = values[base]!;
      return;
    }
    siftDown(ids, values, base, width, 0, value, id);
    this.bar[row] = values[base]!;
  }

  /**
   * Takes in other passes' heaps over disjoint pairs. Every pair a heap let go had s >= its bar,
   * and every pair dropped here has s >= the merged bar, so the smallest of these bars still
   * bounds every pair not kept. The heaps take no offers after this.
   */
  absorb(others: { values: Float64Array; ids: Int32Array; sizes: Int32Array; bar: Float64Array }[]): void {
    const rows = this.sizes.length;
    for (let row = 0; row < rows; row++) {
      const base = row * this.width;
      let lowest = Infinity;
      for (const other of others) {
        for (let k = 0; k < other.sizes[row]!; k++) {
          const value = other.values[base + k]!;
          if (value < this.bar[row]!) this.offer(row, value, other.ids[base + k]!);
        }
        if (other.bar[row]! < lowest) lowest = other.bar[row]!;
      }
      if (lowest < this.bar[row]!) this.bar[row] = lowest;
    }
  }
}

/**
 * Scans one tile of screened values for rows [rowStart, +m) against columns [colStart, +n) and
 * offers every pair to both rows' heaps (the pass visits each unordered pair once). The SIMD scan
 * only flags candidates; each is re-checked here against the bars as they are now.
 */
function scanSymmetricTile(
  workspace: ScanWorkspace,
  rowStart: number,
  m: number,
  colStart: number,
  n: number,
  heaps: CandidateHeaps,
): void {
  const { norms, bars, tile, hits } = workspace;
  const diagonal = rowStart === colStart;
  for (let i = 0; i < m; i++) {
    const row = rowStart + i;
    const rowNorm = norms[row]!;
    const offset = i * n;
    const found = workspace.scanRow(offset, n, diagonal ? i + 1 : 0, rowNorm, bars[row]!, colStart);
    for (let h = 0; h < found; h++) {
      const j = hits[h]!;
      const col = colStart + j;
      const s = rowNorm + norms[col]! - 2 * tile[offset + j]!;
      if (s < bars[row]!) heaps.offer(row, s, col);
      if (s < bars[col]!) heaps.offer(col, s, row);
    }
  }
}

/** The tiles of the upper triangle, as (row block, column block) pairs in one flat array. */
export function upperTiles(blocks: number): Int32Array {
  const pairs = new Int32Array(blocks * (blocks + 1));
  let at = 0;
  for (let bi = 0; bi < blocks; bi++) {
    for (let bj = bi; bj < blocks; bj++) {
      pairs[at++] = bi;
      pairs[at++] = bj;
    }
  }
  return pairs;
}

/** What a tile pass reads: the screened rows and their norm terms. */
export interface ScreenRows {
  count: number;
  dim: number;
  vectors: Float32Array;
  norms: Float64Array;
}

/**
 * Scans the upper-triangle tiles that `claim` hands out (it returns -1 when none is left) into
 * fresh heaps: one thread's share of the neighbour pass.
 */
export async function scanUpperTiles(
  rows: ScreenRows,
  fill: TileFiller,
  width: number,
  claim: () => number,
  tileDone: () => Promise<void>,
): Promise<CandidateHeaps> {
  const { count, dim, vectors } = rows;
  const edge = tileEdge(dim, count);
  const workspace = new ScanWorkspace(count, edge);
  workspace.norms.set(rows.norms);
  const heaps = new CandidateHeaps(count, width, workspace.bars);
  const tiles = upperTiles(Math.ceil(count / edge));
  for (let t = claim(); t >= 0 && 2 * t < tiles.length; t = claim()) {
    const rowStart = tiles[2 * t]! * edge;
    const colStart = tiles[2 * t + 1]! * edge;
    const m = Math.min(edge, count - rowStart);
    const n = Math.min(edge, count - colStart);
    const block = vectors.subarray(rowStart * dim, (rowStart + m) * dim);
    await fill(block, m, vectors.subarray(colStart * dim, (colStart + n) * dim), n, workspace.tile);
    scanSymmetricTile(workspace, rowStart, m, colStart, n, heaps);
    await tileDone();
  }
  return heaps;
}

/** The neighbour pass split across worker threads. */
export interface ParallelNeighbours {
  /**
   * Each thread's heaps over its share of the tiles; `alongside` scans tiles on this thread with
   * the claim function it is given (while the workers start up).
   */
  scan(
    width: number,
    checkpoint: Checkpoint,
    alongside?: (claim: () => number, done: () => Promise<void>) => Promise<CandidateHeaps>,
  ): Promise<CandidateHeaps[]>;
  /** `sortCandidatesExactly` over all rows, shared out by row chunks. */
  exact(candidates: Int32Array, width: number): Promise<{ ids: Int32Array; distances: Float64Array }>;
  /** `rescanRows` shared out by row chunks, writing into the arrays `exact` returned. */
  rescan(
    rows: Int32Array,
    reach: Float64Array,
    width: number,
    sorted: { ids: Int32Array; distances: Float64Array },
  ): Promise<void>;
}

/** Re-examines the given rows against all rows and writes their exact lists (see rescanRows). */
type Rescan = (rows: Int32Array, reach: Float64Array) => Promise<void>;

/**
 * One blocked pass over all pairs (upper triangle of tiles) keeps each row's `width` smallest
 * screened values; the screen's error bound then certifies the exact neighbours among them.
 * Each row's first `minSamples` entries are its exact nearest rows (by distance, then index).
 * Progress is reported in tiles under `stage` (default 'core distances').
 */
export async function nearestNeighbours(
  screen: Screen,
  fill: TileFiller,
  options: { width: number; minSamples: number; distance: RowDistance; parallel?: ParallelNeighbours; stage?: string },
  control?: TaskControl,
): Promise<NeighbourLists> {
  const { count, dim } = screen;
  const width = Math.min(options.width, count - 1);
  const blocks = Math.ceil(count / tileEdge(dim, count));
  const tiles = (blocks * (blocks + 1)) / 2;
  const checkpoint = new Checkpoint(control, options.stage ?? 'core distances', tiles);
  const { parallel, distance } = options;
  let heaps: CandidateHeaps;
  let sorted: { ids: Int32Array; distances: Float64Array };
  if (parallel) {
    const parts = await parallel.scan(width, checkpoint, (claim, done) =>
      scanUpperTiles(screen, fill, width, claim, done),
    );
    await checkpoint.tick(tiles);
    const [first, ...rest] = parts;
    if (!first) throw new Error('the parallel neighbour scan returned no candidate heaps');
    heaps = first;
    heaps.absorb(rest);
    sorted = await parallel.exact(heaps.ids, width);
  } else {
    let next = 0;
    heaps = await scanUpperTiles(
      screen,
      fill,
      width,
      () => next++,
      () => checkpoint.tick(next),
    );
    sorted = { ids: new Int32Array(count * width), distances: new Float64Array(count * width) };
    let chunk = 0;
    sortCandidatesExactly(heaps.ids, width, count, distance, () => chunk++, sorted.ids, sorted.distances);
  }
  const rescan: Rescan = parallel
    ? (rows, reach) => parallel.rescan(rows, reach, width, sorted)
    : (rows, reach) => {
        let chunk = 0;
        return rescanRows(screen, fill, rows, reach, width, distance, () => chunk++, sorted.ids, sorted.distances);
      };
  const lists = await certifyNeighbours(screen, heaps, sorted, options.minSamples, rescan);
  checkpoint.finish();
  return lists;
}

/** Rows per claim when the exact recomputation is shared out. */
export const EXACT_ROWS = 128;

/**
 * Recomputes the reference distance of every kept candidate of the row chunks that `claim` hands
 * out, and writes each row's candidates sorted by (distance, index) to `ids` and `distances`.
 */
export function sortCandidatesExactly(
  candidates: Int32Array,
  width: number,
  count: number,
  distance: RowDistance,
  claim: () => number,
  ids: Int32Array,
  distances: Float64Array,
): void {
  for (let chunk = claim(); chunk >= 0 && chunk * EXACT_ROWS < count; chunk = claim()) {
    const end = Math.min(count, (chunk + 1) * EXACT_ROWS);
    for (let row = chunk * EXACT_ROWS; row < end; row++) {
      const base = row * width;
      // Insertion into the sorted prefix: a row holds a few dozen candidates, and no comparator closure or index array is allocated.
      for (let k = 0; k < width; k++) {
        const id = candidates[base + k]!;
        const d = distance(row, id);
        let at = base + k;
        for (; at > base; at--) {
          const before = distances[at - 1]!;
          if (before < d || (before === d && ids[at - 1]! < id)) break;
          distances[at] = before;
          ids[at] = ids[at - 1]!;
        }
        distances[at] = d;
        ids[at] = id;
      }
    }
  }
}

/**
 * Certifies each row's core distance from its sorted exact candidates. A row whose bound is too
 * loose for that (the float32 error bound is rigorous, hence pessimistic, and in high dimensions
 * many rows sit at nearly equal distances) is rescanned: every row that could be nearer than its
 * width-th candidate is collected and recomputed exactly.
 */
async function certifyNeighbours(
  screen: Screen,
  heaps: CandidateHeaps,
  sorted: { ids: Int32Array; distances: Float64Array },
  minSamples: number,
  rescan: Rescan,
): Promise<NeighbourLists> {
  const { count, scales } = screen;
  const width = heaps.width;
  const { ids, distances } = sorted;
  const coreDistances = new Float64Array(count);
  const beyond = new Float64Array(count);
  const loose: number[] = [];
  for (let row = 0; row < count; row++) {
    // Every row not kept had s >= the heap's final maximum; a row that kept all others is complete.
    beyond[row] = width < count - 1 ? screen.distanceAtLeast(heaps.bar[row]!, scales[row]!) : Infinity;
    if (width === 0) continue;
    const core = distances[row * width + minSamples - 1]!;
    if (core < beyond[row]!) coreDistances[row] = core;
    else loose.push(row);
  }
  if (loose.length > 0) {
    const rows = Int32Array.from(loose);
    const reach = new Float64Array(new SharedArrayBuffer(8 * rows.length));
    rows.forEach((row, i) => {
      const last = distances[row * width + width - 1]!;
      reach[i] = last + last * 2 ** -40 + 1e-300;
    });
    await rescan(rows, reach);
    for (const row of loose) {
      coreDistances[row] = distances[row * width + minSamples - 1]!;
      beyond[row] = distances[row * width + width - 1]!;
    }
  }
  return { width, ids, distances, coreDistances, beyond, exactRows: loose.length };
}

/**
 * For each claimed chunk of `rows`: collects every column whose screened value does not rule out a
 * reference distance below the row's `reach`, recomputes those exactly and writes the `width`
 * nearest, sorted by (distance, index), over the row's entries of `ids` and `distances`. Since
 * reach exceeds the row's current width-th exact distance, the new list is the exact nearest
 * `width`, and every row left out is at least as far as the last one listed.
 */
export async function rescanRows(
  screen: Screen,
  fill: TileFiller,
  rows: Int32Array,
  reach: Float64Array,
  width: number,
  distance: RowDistance,
  claim: () => number,
  ids: Int32Array,
  distances: Float64Array,
): Promise<void> {
  const { count, dim, vectors, norms, scales } = screen;
  const edge = tileEdge(dim, count);
  const rowBlock = new Float32Array(edge * dim);
  const tile = new Float32Array(edge * edge);
  for (let chunk = claim(); chunk >= 0 && chunk * edge < rows.length; chunk = claim()) {
    const first = chunk * edge;
    const m = Math.min(edge, rows.length - first);
    const screens = new Float64Array(m);
    const found: number[][] = [];
    for (let i = 0; i < m; i++) {
      const row = rows[first + i]!;
      rowBlock.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim);
      screens[i] = screen.screenAtLeast(reach[first + i]!, scales[row]!);
      found.push([]);
    }
    for (let c0 = 0; c0 < count; c0 += edge) {
      const n = Math.min(edge, count - c0);
      await fill(rowBlock, m, vectors.subarray(c0 * dim, (c0 + n) * dim), n, tile);
      for (let i = 0; i < m; i++) {
        const row = rows[first + i]!;
        for (let j = 0; j < n; j++) {
          const s = norms[row]! + norms[c0 + j]! - 2 * tile[i * n + j]!;
          if (s < screens[i]! && c0 + j !== row) found[i]!.push(c0 + j);
        }
      }
    }
    for (let i = 0; i < m; i++) {
      const row = rows[first + i]!;
      const exact = found[i]!.map((col) => ({ col, d: distance(row, col) }));
      exact.sort((a, b) => a.d - b.d || a.col - b.col);
      for (let k = 0; k < width; k++) {
        ids[row * width + k] = exact[k]!.col;
        distances[row * width + k] = exact[k]!.d;
      }
    }
  }
}
