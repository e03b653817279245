import type { SeededRandom } from '../random.js';
import type { SearchRows } from './neighbor-graph.js';
import type { RowKernels } from './row-kernels.js';

/** One random-projection tree: a permutation of the rows whose consecutive ranges are its leaves. */
export interface RpTree {
  order: Int32Array;
  /** Leaf i covers order[leafBounds[i] .. leafBounds[i + 1]). */
  leafBounds: Int32Array;
}

/** pynndescent's forest size, as umap-learn sets it: more trees for more rows, at most 64. */
export function forestSize(count: number): number {
  return Math.min(64, 5 + Math.round(Math.sqrt(count) / 20));
}

/**
 * A random-projection tree (pynndescent's euclidean variant): each node splits its rows by the
 * hyperplane halfway between two random rows of it; rows on the plane, and nodes that do not split,
 * are divided at random. Leaves hold at most `leafSize` rows. `kernels` (over `rows`) take the dot
 * products with the normal.
 */
export function buildRpTree(rows: SearchRows, leafSize: number, random: SeededRandom, kernels: RowKernels): RpTree {
  const { count, dim, data } = rows;
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const bounds: number[] = [];
  const normal = new Float64Array(dim);
  const stack: number[] = [0, count];
  while (stack.length > 0) {
    const end = stack.pop()!;
    const start = stack.pop()!;
    const size = end - start;
    if (size <= leafSize) {
      bounds.push(start);
      continue;
    }
    const left = order[start + random.nextInt(size)]!;
    let right = order[start + random.nextInt(size - 1)]!;
    if (right === left) right = order[end - 1]!;
    let offset = 0;
    for (let k = 0; k < dim; k++) {
      const l = data[left * dim + k]!;
      const r = data[right * dim + k]!;
      normal[k] = l - r;
      offset -= (normal[k]! * (l + r)) / 2;
    }
    kernels.setNormal(normal);
    let low = start;
    let high = end - 1;
    while (low <= high) {
      const point = order[low]!;
      const margin = offset + kernels.project(point);
      const goesLeft = margin > 1e-8 || (margin >= -1e-8 && random.next() < 0.5);
      if (goesLeft) {
        low++;
      } else {
        order[low] = order[high]!;
        order[high] = point;
        high--;
      }
    }
    const middle = low === start || low === end ? start + (size >> 1) : low;
    stack.push(middle, end, start, middle);
  }
  bounds.sort((a, b) => a - b);
  bounds.push(count);
  return { order, leafBounds: Int32Array.from(bounds) };
}
