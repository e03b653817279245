import type { NeighborGraph } from './knn/index.js';
import type { SparseGraph } from './sparse-graph.js';

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const BINARY_SEARCH_STEPS = 64;

/**
 * Per row, the distance to its nearest other row (rho, with local connectivity 1) and the scale
 * sigma at which the memberships exp(-(d - rho) / sigma) of its k - 1 neighbours sum to log2(k):
 * umap-learn's smooth_knn_dist, binary search and floor on sigma included.
 */
export function smoothKnnDistances(graph: NeighborGraph): { sigmas: Float64Array; rhos: Float64Array } {
  const { count, k, distances } = graph;
  const target = Math.log2(k);
  const sigmas = new Float64Array(count);
  const rhos = new Float64Array(count);
  let total = 0;
  for (const distance of distances) total += distance;
  const meanDistance = total / distances.length;
  for (let row = 0; row < count; row++) {
    const base = row * k;
    let rho = 0;
    let rowTotal = 0;
    for (let j = 0; j < k; j++) {
      const distance = distances[base + j]!;
      rowTotal += distance;
      if (rho === 0 && distance > 0) rho = distance;
    }
    let low = 0;
    let high = Infinity;
    let mid = 1;
    for (let step = 0; step < BINARY_SEARCH_STEPS; step++) {
      let sum = 0;
      for (let j = 1; j < k; j++) {
        const excess = distances[base + j]! - rho;
        sum += excess > 0 ? Math.exp(-excess / mid) : 1;
      }
      if (Math.abs(sum - target) < SMOOTH_K_TOLERANCE) break;
      if (sum > target) {
        high = mid;
        mid = (low + high) / 2;
      } else {
        low = mid;
        mid = high === Infinity ? mid * 2 : (low + high) / 2;
      }
    }
    const floor = MIN_K_DIST_SCALE * (rho > 0 ? rowTotal / k : meanDistance);
    sigmas[row] = Math.max(mid, floor);
    rhos[row] = rho;
  }
  return { sigmas, rhos };
}

/**
 * umap-learn's fuzzy_simplicial_set (set_op_mix_ratio 1, local_connectivity 1): directed memberships
 * w(i -> j) = exp(-(d_ij - rho_i) / sigma_i) (1 at or below rho_i, 0 for the row itself), combined by
 * fuzzy union into the symmetric graph w_ij = a + b - a * b with a = w(i -> j), b = w(j -> i). Edges
 * lighter than `pruneFraction` of the heaviest are left out, as umap-learn drops them before the layout.
 */
export function fuzzySimplicialSet(graph: NeighborGraph, pruneFraction = 0): SparseGraph {
  const { sigmas, rhos } = smoothKnnDistances(graph);
  const directed = directedMemberships(graph, sigmas, rhos);
  return fuzzyUnion(directed, transpose(directed), pruneFraction);
}

/** Row i lists its neighbours j (not itself, nonzero membership only) sorted by j. */
function directedMemberships(graph: NeighborGraph, sigmas: Float64Array, rhos: Float64Array): SparseGraph {
  const { count, k, indices, distances } = graph;
  const rowStart = new Int32Array(count + 1);
  const columns = new Int32Array(count * (k - 1));
  const weights = new Float64Array(count * (k - 1));
  let next = 0;
  for (let row = 0; row < count; row++) {
    const first = next;
    for (let j = 0; j < k; j++) {
      const column = indices[row * k + j]!;
      if (column === row || column < 0) continue;
      const excess = distances[row * k + j]! - rhos[row]!;
      const weight = excess <= 0 || sigmas[row] === 0 ? 1 : Math.exp(-excess / sigmas[row]!);
      if (weight <= 0) continue;
      // Insertion by column keeps the row sorted (k is small).
      let position = next++;
      while (position > first && columns[position - 1]! > column) {
        columns[position] = columns[position - 1]!;
        weights[position] = weights[position - 1]!;
        position--;
      }
      columns[position] = column;
      weights[position] = weight;
    }
    rowStart[row + 1] = next;
  }
  return { count, rowStart, columns: columns.subarray(0, next), weights: weights.subarray(0, next) };
}

/** Counting-sort transpose; visiting rows in order leaves every transposed row sorted by column. */
function transpose(graph: SparseGraph): SparseGraph {
  const { count, rowStart, columns, weights } = graph;
  const start = new Int32Array(count + 1);
  for (const column of columns) start[column + 1]!++;
  for (let i = 0; i < count; i++) start[i + 1]! += start[i]!;
  const cursor = start.slice(0, count);
  const outColumns = new Int32Array(columns.length);
  const outWeights = new Float64Array(columns.length);
  for (let row = 0; row < count; row++) {
    for (let e = rowStart[row]!; e < rowStart[row + 1]!; e++) {
      const at = cursor[columns[e]!]!++;
      outColumns[at] = row;
      outWeights[at] = weights[e]!;
    }
  }
  return { count, rowStart: start, columns: outColumns, weights: outWeights };
}

/**
 * The fuzzy union of two row-sorted graphs (a + b - a * b, a missing entry counting as 0) without its
 * edges lighter than `pruneFraction` of the heaviest. Three passes over the merged rows (the heaviest
 * weight, the kept edges of each row, the edges) write it at its exact size, with no unpruned copy.
 */
function fuzzyUnion(a: SparseGraph, b: SparseGraph, pruneFraction: number): SparseGraph {
  const { count } = a;
  let heaviest = 0;
  forEachUnionEdge(a, b, (_row, _column, weight) => {
    if (weight > heaviest) heaviest = weight;
  });
  const threshold = heaviest * pruneFraction;
  const rowStart = new Int32Array(count + 1);
  forEachUnionEdge(a, b, (row, _column, weight) => {
    if (weight >= threshold && weight > 0) rowStart[row + 1]!++;
  });
  for (let row = 0; row < count; row++) rowStart[row + 1]! += rowStart[row]!;
  const columns = new Int32Array(rowStart[count]!);
  const weights = new Float64Array(columns.length);
  let next = 0;
  forEachUnionEdge(a, b, (_row, column, weight) => {
    if (weight < threshold || weight <= 0) return;
    columns[next] = column;
    weights[next++] = weight;
  });
  return { count, rowStart, columns, weights };
}

/** Visits the entries of the fuzzy union of two row-sorted graphs, row by row, each row by column. */
function forEachUnionEdge(
  a: SparseGraph,
  b: SparseGraph,
  visit: (row: number, column: number, weight: number) => void,
): void {
  for (let row = 0; row < a.count; row++) {
    let i = a.rowStart[row]!;
    let j = b.rowStart[row]!;
    const iEnd = a.rowStart[row + 1]!;
    const jEnd = b.rowStart[row + 1]!;
    while (i < iEnd || j < jEnd) {
      const ci = i < iEnd ? a.columns[i]! : Infinity;
      const cj = j < jEnd ? b.columns[j]! : Infinity;
      const wa = ci <= cj ? a.weights[i]! : 0;
      const wb = cj <= ci ? b.weights[j]! : 0;
      visit(row, Math.min(ci, cj), wa + wb - wa * wb);
      if (ci <= cj) i++;
      if (cj <= ci) j++;
    }
  }
}
