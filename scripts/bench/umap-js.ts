import { UMAP } from 'umap-js';
import type { Matrix } from '../../src/compute/matrix.js';
import { SeededRandom } from '../../src/compute/projection/random.js';

/** umap-js 1.4 on the rows of `matrix` (15 neighbours, min dist 0.1, its default epochs), seeded: count x 2 points. */
export function runUmapJs(matrix: Matrix): number[][] {
  const rows = Array.from({ length: matrix.count }, (_, r) =>
    Array.from(matrix.data.subarray(r * matrix.dim, (r + 1) * matrix.dim)),
  );
  const random = new SeededRandom(42);
  return new UMAP({ nNeighbors: 15, minDist: 0.1, nComponents: 2, random: () => random.next() }).fit(rows);
}
