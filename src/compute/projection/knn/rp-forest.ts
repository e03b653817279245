import type { SeededRandom } from '../random.js';
import type { SearchRows } from './neighbor-graph.js';

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
 * are divided at random. Leaves hold at most `leafSize` rows.
 */
export function buildRpTree(rows: SearchRows, leafSize: number, random: SeededRandom): RpTree {
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
    let low = start;
    let high = end - 1;
    while (low <= high) {
      const point = order[low]!;
      const margin = offset + dot(normal, data, point * dim, dim);
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

/** normal . data[start .. start + dim), with four accumulators so the additions do not wait on each other. */
function dot(normal: Float64Array, data: Float32Array, start: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (const end = dim - (dim & 3); k < end; k += 4) {
    s0 += normal[k]! * data[start + k]!;
    s1 += normal[k + 1]! * data[start + k + 1]!;
    s2 += normal[k + 2]! * data[start + k + 2]!;
    s3 += normal[k + 3]! * data[start + k + 3]!;
  }
  for (; k < dim; k++) s0 += normal[k]! * data[start + k]!;
  return s0 + s1 + s2 + s3;
}
