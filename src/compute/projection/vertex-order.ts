/**
 * The numbering of the layout's vertices. The contiguous vertex blocks of the parallel layout
 * (layout-epochs.ts) are runs of a Hilbert curve through the starting positions, so they are compact
 * regions of the map and few edges cross from one block to another. Within a block the vertices then
 * come in a seeded random order, as umap-learn's come in the order of the (typically unsorted) input
 * rows. Sweeping the map along the curve instead, each epoch moving every vertex right after its
 * neighbours on the map, cost trustworthiness: on conv1's 60,000-row map of Fashion-MNIST, from the
 * same graph and starting layouts (6 seeds, k = 15 on 6,000 rows), the sequential layout gave 0.9788
 * along the curve, 0.9794 in random order, and umap-learn's own optimize_layout_euclidean 0.9796; the
 * 4-block layout 0.9791 along the curve, 0.9792 shuffled within blocks. The order costs no time: the
 * positions a block reads fit in the cache either way.
 */
import type { SeededRandom } from './random.js';

/** Cells per axis of the grid the curve runs through (2^10: 20-bit curve positions). */
const ORDER_BITS = 10;
const SIDE = 1 << ORDER_BITS;

/** Vertex order along the Hilbert curve through `layout` (count x 2): entry i is the vertex that comes i-th. */
export function hilbertOrder(layout: Float64Array | Float32Array, count: number): Int32Array {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = layout[2 * i]!;
    const y = layout[2 * i + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const scaleX = maxX > minX ? (SIDE - 1) / (maxX - minX) : 0;
  const scaleY = maxY > minY ? (SIDE - 1) / (maxY - minY) : 0;
  const keys = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const cellX = Math.round((layout[2 * i]! - minX) * scaleX);
    const cellY = Math.round((layout[2 * i + 1]! - minY) * scaleY);
    keys[i] = hilbertIndex(cellX, cellY);
  }
  return radixOrder(keys, 2 * ORDER_BITS);
}

/** Shuffles `order` in place within each of the ranges `blocks` bounds (Fisher-Yates, seeded). */
export function shuffleWithinBlocks(order: Int32Array, blocks: readonly number[], random: SeededRandom): void {
  for (let block = 0; block + 1 < blocks.length; block++) {
    const from = blocks[block]!;
    for (let i = blocks[block + 1]! - 1; i > from; i--) {
      const j = from + random.nextInt(i - from + 1);
      const vertex = order[i]!;
      order[i] = order[j]!;
      order[j] = vertex;
    }
  }
}

/** Position of cell (x, y) along the Hilbert curve over the SIDE x SIDE grid (the classic xy2d). */
function hilbertIndex(cellX: number, cellY: number): number {
  let x = cellX;
  let y = cellY;
  let index = 0;
  for (let s = SIDE >> 1; s > 0; s >>= 1) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    index += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      const swap = x;
      x = y;
      y = swap;
    }
  }
  return index;
}

/** Indices 0..n-1 sorted by `keys` (below 2^bits), ties in index order: a stable LSD radix sort, 10 bits a pass. */
function radixOrder(keys: Uint32Array, bits: number): Int32Array {
  const count = keys.length;
  let order = Int32Array.from({ length: count }, (_, i) => i);
  let spare = new Int32Array(count);
  const radix = 1 << 10;
  for (let shift = 0; shift < bits; shift += 10) {
    const starts = new Int32Array(radix + 1);
    for (let i = 0; i < count; i++) starts[((keys[i]! >>> shift) & (radix - 1)) + 1]!++;
    for (let r = 0; r < radix; r++) starts[r + 1]! += starts[r]!;
    for (let i = 0; i < count; i++) {
      const vertex = order[i]!;
      spare[starts[(keys[vertex]! >>> shift) & (radix - 1)]!++] = vertex;
    }
    [order, spare] = [spare, order];
  }
  return order;
}
