/**
 * One-to-one matching of two sets of patterns by their shared members: the Hungarian algorithm (in the
 * shortest-augmenting-path form with potentials, O(n^2 m) for n <= m) on the Jaccard matrix.
 */
import { InputError } from '../errors.js';
import type { Contingency } from './contingency.js';

/**
 * The assignment of rows to columns with the smallest total cost that assigns min(rows, cols) pairs.
 * `cost` is row-major rows x cols; returns the column of each row, -1 for rows left over when rows > cols.
 */
export function minimumCostAssignment(cost: Float64Array, rows: number, cols: number): Int32Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || cost.length !== rows * cols) {
    throw new InputError(`cost matrix of ${cost.length} values is not ${rows} x ${cols}`, {
      hint: 'pass a row-major rows x cols matrix',
    });
  }
  const bad = cost.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new InputError(`cost ${cost[bad]} at row ${Math.floor(bad / cols)}, column ${bad % cols} is not finite`, {
      hint: 'pass finite costs only',
    });
  }
  if (rows <= cols) return assignRowsToColumns((i, j) => cost[i * cols + j]!, rows, cols);
  // Transposed, so that the side being assigned is the smaller one.
  const columnOfRow = new Int32Array(rows).fill(-1);
  const rowOfColumn = assignRowsToColumns((j, i) => cost[i * cols + j]!, cols, rows);
  rowOfColumn.forEach((row, col) => {
    columnOfRow[row] = col;
  });
  return columnOfRow;
}

/** Hungarian algorithm for n <= m: every one of the n rows gets a distinct column. */
function assignRowsToColumns(costAt: (row: number, col: number) => number, n: number, m: number): Int32Array {
  // 1-based as in the classic formulation: column 0 and row 0 are the virtual start of each augmenting path.
  const rowPotential = new Float64Array(n + 1);
  const colPotential = new Float64Array(m + 1);
  const rowOfCol = new Int32Array(m + 1);
  const previousCol = new Int32Array(m + 1);
  const minSlack = new Float64Array(m + 1);
  const visited = new Uint8Array(m + 1);
  for (let row = 1; row <= n; row++) {
    rowOfCol[0] = row;
    let col0 = 0;
    minSlack.fill(Infinity);
    visited.fill(0);
    do {
      visited[col0] = 1;
      const row0 = rowOfCol[col0]!;
      let delta = Infinity;
      let col1 = 0;
      for (let col = 1; col <= m; col++) {
        if (visited[col]) continue;
        const slack = costAt(row0 - 1, col - 1) - rowPotential[row0]! - colPotential[col]!;
        if (slack < minSlack[col]!) {
          minSlack[col] = slack;
          previousCol[col] = col0;
        }
        if (minSlack[col]! < delta) {
          delta = minSlack[col]!;
          col1 = col;
        }
      }
      for (let col = 0; col <= m; col++) {
        if (visited[col]) {
          rowPotential[rowOfCol[col]!]! += delta;
          colPotential[col]! -= delta;
        } else {
          minSlack[col]! -= delta;
        }
      }
      col0 = col1;
    } while (rowOfCol[col0] !== 0);
    // Flip the augmenting path back to its start.
    do {
      const col1 = previousCol[col0]!;
      rowOfCol[col0] = rowOfCol[col1]!;
      col0 = col1;
    } while (col0 !== 0);
  }
  const columnOfRow = new Int32Array(n).fill(-1);
  for (let col = 1; col <= m; col++) {
    if (rowOfCol[col]! > 0) columnOfRow[rowOfCol[col]! - 1] = col - 1;
  }
  return columnOfRow;
}

/** Two patterns paired by the matching. */
export interface PatternPair {
  patternA: number;
  patternB: number;
  jaccard: number;
  /** Inputs in both patterns. */
  shared: number;
}

export interface PatternMatching {
  /** Matched pairs, by pattern of A. */
  pairs: PatternPair[];
  /** Patterns of A without a partner, ascending. */
  unmatchedA: number[];
  /** Patterns of B without a partner, ascending. */
  unmatchedB: number[];
}

export interface MatchOptions {
  /** Pairs with a smaller Jaccard index count as unmatched; default 0 (any shared member is enough). */
  minJaccard?: number;
}

/**
 * One-to-one matching of the patterns of A and B (noise never takes part) that maximizes the total
 * Jaccard index. `jaccard` is the table-shaped matrix of `jaccardMatrix(table)`. A pair the assignment
 * makes without any shared member, or below `minJaccard`, is reported as two unmatched patterns.
 */
export function matchPatterns(table: Contingency, jaccard: Float64Array, options: MatchOptions = {}): PatternMatching {
  const minJaccard = options.minJaccard ?? 0;
  if (!(minJaccard >= 0 && minJaccard <= 1)) {
    throw new InputError(`minJaccard ${minJaccard} is not in [0, 1]`, { hint: 'pass a Jaccard index such as 0.1' });
  }
  const { patternsA, patternsB } = table;
  const cols = patternsB + 1;
  if (jaccard.length !== (patternsA + 1) * cols) {
    throw new InputError(`Jaccard matrix of ${jaccard.length} values does not fit a ${patternsA + 1} x ${cols} table`, {
      hint: 'pass jaccardMatrix(table) of the same table',
    });
  }
  const cost = new Float64Array(patternsA * patternsB);
  for (let i = 0; i < patternsA; i++) {
    for (let j = 0; j < patternsB; j++) cost[i * patternsB + j] = -jaccard[i * cols + j]!;
  }
  const assigned = minimumCostAssignment(cost, patternsA, patternsB);
  const pairs: PatternPair[] = [];
  const matchedB = new Uint8Array(patternsB);
  assigned.forEach((j, i) => {
    if (j < 0) return;
    const shared = table.counts[i * cols + j]!;
    const index = jaccard[i * cols + j]!;
    if (shared === 0 || index < minJaccard) return;
    pairs.push({ patternA: i, patternB: j, jaccard: index, shared });
    matchedB[j] = 1;
  });
  const matchedA = new Set(pairs.map((pair) => pair.patternA));
  return {
    pairs,
    unmatchedA: Array.from({ length: patternsA }, (_, i) => i).filter((i) => !matchedA.has(i)),
    unmatchedB: Array.from({ length: patternsB }, (_, j) => j).filter((j) => !matchedB[j]),
  };
}
