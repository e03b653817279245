import type { TaskControl } from '../../../progress.js';
import { Checkpoint } from '../checkpoint.js';
import type { RowDistance } from '../distance.js';
import type { Screen } from './screen.js';
import { tileEdge, type TileFiller } from './tiles.js';

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
class CandidateHeaps {
  readonly values: Float64Array;
  readonly ids: Int32Array;
  readonly sizes: Int32Array;
  /** Largest kept value of a full heap, +Infinity while a heap still has room: the admission bar. */
  readonly bar: Float64Array;

  constructor(
    rows: number,
    readonly width: number,
  ) {
    this.values = new Float64Array(rows * width);
    this.ids = new Int32Array(rows * width);
    this.sizes = new Int32Array(rows);
    this.bar = new Float64Array(rows).fill(Infinity);
  }

  /** Offers `id` at screened value `value` to row `row` (callers test `value < bar[row]` first). */
  offer(row: number, value: number, id: number): void {
    const { values, ids, width } = this;
    const base = row * width;
    const size = this.sizes[row];
    if (size < width) {
      let child = size;
      while (child > 0) {
        const parent = (child - 1) >> 1;
        if (values[base + parent] >= value) break;
        values[base + child] = values[base + parent];
        ids[base + child] = ids[base + parent];
        child = parent;
      }
      values[base + child] = value;
      ids[base + child] = id;
      this.sizes[row] = size + 1;
      if (size + 1 === width) this.bar[row] = values[base];
      return;
    }
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= width) break;
      const right = left + 1;
      const larger = right < width && values[base + right] > values[base + left] ? right : left;
      if (values[base + larger] <= value) break;
      values[base + parent] = values[base + larger];
      ids[base + parent] = ids[base + larger];
      parent = larger;
    }
    values[base + parent] = value;
    ids[base + parent] = id;
    this.bar[row] = values[base];
  }
}

/**
 * Scans one tile of screened values for rows [rowStart, +m) against columns [colStart, +n) and
 * offers every pair to both rows' heaps (the pass visits each unordered pair once).
 */
function scanSymmetricTile(
  tile: Float32Array,
  rowStart: number,
  m: number,
  colStart: number,
  n: number,
  norms: Float64Array,
  heaps: CandidateHeaps,
): void {
  const bar = heaps.bar;
  const diagonal = rowStart === colStart;
  for (let i = 0; i < m; i++) {
    const row = rowStart + i;
    const rowNorm = norms[row];
    let rowBar = bar[row];
    const offset = i * n;
    for (let j = diagonal ? i + 1 : 0; j < n; j++) {
      const col = colStart + j;
      const s = rowNorm + norms[col] - 2 * tile[offset + j];
      if (s < rowBar) {
        heaps.offer(row, s, col);
        rowBar = bar[row];
      }
      if (s < bar[col]) heaps.offer(col, s, row);
    }
  }
}

/**
 * One blocked pass over all pairs (upper triangle of tiles) keeps each row's `width` smallest
 * screened values; the screen's error bound then certifies the exact neighbours among them.
 */
export async function nearestNeighbours(
  screen: Screen,
  fill: TileFiller,
  options: { width: number; minSamples: number; distance: RowDistance },
  control?: TaskControl,
): Promise<NeighbourLists> {
  const { count, dim, vectors, norms } = screen;
  const width = Math.min(options.width, count - 1);
  const heaps = new CandidateHeaps(count, width);
  const edge = tileEdge(dim, count);
  const tile = new Float32Array(edge * edge);
  const blocks = Math.ceil(count / edge);
  const tiles = (blocks * (blocks + 1)) / 2;
  const checkpoint = new Checkpoint(control, 'nearest neighbours', tiles);
  let done = 0;
  for (let bi = 0; bi < blocks; bi++) {
    const rowStart = bi * edge;
    const m = Math.min(edge, count - rowStart);
    const rows = vectors.subarray(rowStart * dim, (rowStart + m) * dim);
    for (let bj = bi; bj < blocks; bj++) {
      const colStart = bj * edge;
      const n = Math.min(edge, count - colStart);
      await fill(rows, m, vectors.subarray(colStart * dim, (colStart + n) * dim), n, tile);
      scanSymmetricTile(tile, rowStart, m, colStart, n, norms, heaps);
      await checkpoint.tick(++done);
    }
  }
  const lists = certifyNeighbours(screen, heaps, options.minSamples, options.distance);
  checkpoint.finish();
  return lists;
}

/** Recomputes the kept candidates exactly, sorts them, and certifies or redoes each row. */
function certifyNeighbours(screen: Screen, heaps: CandidateHeaps, minSamples: number, distance: RowDistance): NeighbourLists {
  const { count, scales } = screen;
  const width = heaps.width;
  const ids = new Int32Array(count * width);
  const distances = new Float64Array(count * width);
  const coreDistances = new Float64Array(count);
  const beyond = new Float64Array(count);
  const order = Array.from({ length: width }, (_, i) => i);
  const exact = new Float64Array(width);
  let exactRows = 0;
  for (let row = 0; row < count; row++) {
    const base = row * width;
    for (let k = 0; k < width; k++) exact[k] = distance(row, heaps.ids[base + k]);
    order.sort((a, b) => exact[a] - exact[b] || heaps.ids[base + a] - heaps.ids[base + b]);
    for (let k = 0; k < width; k++) {
      ids[base + k] = heaps.ids[base + order[k]];
      distances[base + k] = exact[order[k]];
    }
    // Every row not kept had s >= the heap's final maximum; a row that kept all others is complete.
    beyond[row] = width < count - 1 ? screen.distanceAtLeast(heaps.bar[row], scales[row]) : Infinity;
    if (width === 0) continue;
    const core = distances[base + minSamples - 1];
    if (core < beyond[row]) {
      coreDistances[row] = core;
    } else {
      coreDistances[row] = exactRow(row, count, width, minSamples, distance, ids, distances, beyond);
      exactRows++;
    }
  }
  return { width, ids, distances, coreDistances, beyond, exactRows };
}

/** The brute-force fallback for one row: all N-1 reference distances, the `width` nearest kept. */
function exactRow(
  row: number,
  count: number,
  width: number,
  minSamples: number,
  distance: RowDistance,
  ids: Int32Array,
  distances: Float64Array,
  beyond: Float64Array,
): number {
  const all = new Float64Array(count);
  const others = new Int32Array(count - 1);
  for (let j = 0, o = 0; j < count; j++) {
    if (j === row) continue;
    all[j] = distance(row, j);
    others[o++] = j;
  }
  others.sort((a, b) => all[a] - all[b] || a - b);
  const base = row * width;
  for (let k = 0; k < width; k++) {
    ids[base + k] = others[k];
    distances[base + k] = all[others[k]];
  }
  // Unlisted rows sort after the last listed one, so they are at least as far.
  beyond[row] = distances[base + width - 1];
  return distances[base + minSamples - 1];
}
