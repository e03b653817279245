import { principalAxes } from '../../knn/kd-tree.js';
import { euclideanScreenFloor, type Screen } from './screen.js';

/**
 * The neighbour pass's rows regrouped so that whole tiles can be skipped (euclidean only). The rows
 * are split, median by median along the widest of their leading principal axes, into blocks of
 * `edge` rows; each block keeps the box its rows span on those axes. Two rows are at least as far
 * apart as their boxes (a projection onto orthonormal axes never lengthens a difference), so a tile
 * whose boxes lie so far apart that every pair's screened value reaches the admission bars of both
 * blocks' rows holds no candidate and need not be multiplied. Tiles come nearest first, so that the
 * bars are low by the time the far tiles are reached.
 */
export interface TileBlocks {
  /** Row of each position: block b holds the rows at positions [b edge, (b + 1) edge). */
  order: Int32Array;
  edge: number;
  /** The tiles of the upper triangle as (row block, column block) pairs, by increasing `floors`. */
  tiles: Int32Array;
  /** Per tile (in `tiles` order): no pair of it has a screened value below this. */
  floors: Float64Array;
}

/** Leading principal axes the blocks are split along and boxed on. */
export const BOX_AXES = 16;

export function tileBlocks(screen: Screen, edge: number): TileBlocks {
  const { count, dim, vectors, scales, maxScale } = screen;
  const { axes } = principalAxes(count, dim, vectors);
  const boxAxes = Math.min(BOX_AXES, dim);
  const projected = project(vectors, count, dim, axes, boxAxes);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  splitIntoBlocks(order, projected, boxAxes, edge);
  const blocks = Math.ceil(count / edge);
  const low = new Float64Array(blocks * boxAxes).fill(Infinity);
  const high = new Float64Array(blocks * boxAxes).fill(-Infinity);
  const blockScale = new Float64Array(blocks);
  for (let p = 0; p < count; p++) {
    const row = order[p]!;
    const b = Math.floor(p / edge);
    for (let a = 0; a < boxAxes; a++) {
      const v = projected[row * boxAxes + a]!;
      if (v < low[b * boxAxes + a]!) low[b * boxAxes + a] = v;
      if (v > high[b * boxAxes + a]!) high[b * boxAxes + a] = v;
    }
    if (scales[row]! > blockScale[b]!) blockScale[b] = scales[row]!;
  }
  // The float64 projections are within ~dim 2^-53 of a row's norm of the exact ones; the axes' departure
  // from orthonormality is bounded by the largest absolute row sum of their Gram matrix (Gershgorin).
  const slack = 1e-9 * maxScale;
  const stretch = Math.sqrt(gramRowSumBound(axes, dim, boxAxes)) * (1 + 1e-9);
  const screenFloor = euclideanScreenFloor(dim);
  const tileCount = (blocks * (blocks + 1)) / 2;
  const pairs = new Int32Array(2 * tileCount);
  const unsortedFloors = new Float64Array(tileCount);
  let t = 0;
  for (let bi = 0; bi < blocks; bi++) {
    for (let bj = bi; bj < blocks; bj++, t++) {
      pairs[2 * t] = bi;
      pairs[2 * t + 1] = bj;
      let squared = 0;
      for (let a = 0; a < boxAxes; a++) {
        const gap =
          Math.max(low[bj * boxAxes + a]! - high[bi * boxAxes + a]!, low[bi * boxAxes + a]! - high[bj * boxAxes + a]!) -
          2 * slack;
        if (gap > 0) squared += gap * gap;
      }
      const distance = Math.sqrt(squared) / stretch;
      unsortedFloors[t] = bi === bj ? -Infinity : screenFloor(distance, blockScale[bi]!, blockScale[bj]!);
    }
  }
  const byFloor = Int32Array.from({ length: tileCount }, (_, i) => i).sort(
    (x, y) => unsortedFloors[x]! - unsortedFloors[y]! || x - y,
  );
  const tiles = new Int32Array(2 * tileCount);
  const floors = new Float64Array(tileCount);
  byFloor.forEach((from, to) => {
    tiles[2 * to] = pairs[2 * from]!;
    tiles[2 * to + 1] = pairs[2 * from + 1]!;
    floors[to] = unsortedFloors[from]!;
  });
  return { order, edge, tiles, floors };
}

/** Each row's coordinates on the first `boxAxes` axes (rows of `axes`), row-major count x boxAxes. */
function project(vectors: Float32Array, count: number, dim: number, axes: Float64Array, boxAxes: number): Float64Array {
  const projected = new Float64Array(count * boxAxes);
  for (let r = 0; r < count; r++) {
    const from = r * dim;
    for (let a = 0; a < boxAxes; a++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += axes[a * dim + k]! * vectors[from + k]!;
      projected[r * boxAxes + a] = sum;
    }
  }
  return projected;
}

/**
 * Reorders `order` so that every run of `edge` positions (from 0) is one block: a range holding
 * several blocks is sorted along its widest axis and cut at a block boundary near its middle.
 */
function splitIntoBlocks(order: Int32Array, projected: Float64Array, boxAxes: number, edge: number): void {
  const pending: [number, number][] = [[0, order.length]];
  for (let range = pending.pop(); range; range = pending.pop()) {
    const [start, end] = range;
    const blocks = Math.ceil((end - start) / edge);
    if (blocks <= 1) continue;
    let widest = 0;
    let widestSpan = -1;
    for (let a = 0; a < boxAxes; a++) {
      let low = Infinity;
      let high = -Infinity;
      for (let p = start; p < end; p++) {
        const v = projected[order[p]! * boxAxes + a]!;
        if (v < low) low = v;
        if (v > high) high = v;
      }
      if (high - low > widestSpan) {
        widestSpan = high - low;
        widest = a;
      }
    }
    order
      .subarray(start, end)
      .sort((x, y) => projected[x * boxAxes + widest]! - projected[y * boxAxes + widest]! || x - y);
    const middle = start + Math.floor(blocks / 2) * edge;
    pending.push([start, middle], [middle, end]);
  }
}

/** The largest absolute row sum of the Gram matrix of the first `boxAxes` rows of `axes`. */
function gramRowSumBound(axes: Float64Array, dim: number, boxAxes: number): number {
  let largest = 0;
  for (let a = 0; a < boxAxes; a++) {
    let sum = 0;
    for (let b = 0; b < boxAxes; b++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += axes[a * dim + k]! * axes[b * dim + k]!;
      sum += Math.abs(dot);
    }
    largest = Math.max(largest, sum);
  }
  return largest;
}
