/**
 * Contingency tables of two pattern labelings of the same inputs: how many inputs fall in pattern i of
 * labeling A and pattern j of labeling B. Noise (-1) gets its own row and column, always the last one,
 * so every input is counted exactly once and row i / column j is pattern i / j.
 */
import { InputError } from '../errors.js';

export interface Contingency {
  /** Patterns of labeling A; the table has `patternsA + 1` rows, the last one noise. */
  patternsA: number;
  /** Patterns of labeling B; the table has `patternsB + 1` columns, the last one noise. */
  patternsB: number;
  /** Row-major (patternsA + 1) x (patternsB + 1) counts. */
  counts: Int32Array;
  /** Inputs per row: the pattern sizes of A, then A's noise. */
  rowSums: Int32Array;
  /** Inputs per column: the pattern sizes of B, then B's noise. */
  colSums: Int32Array;
  /** Inputs counted. */
  total: number;
}

/** Row (or column) of a label: the pattern id itself, or the last row for noise. */
export function rowOfLabel(label: number, patterns: number): number {
  return label < 0 ? patterns : label;
}

/** Label of a row (or column): the pattern id, or -1 for the last (noise) row. */
export function labelOfRow(row: number, patterns: number): number {
  return row === patterns ? -1 : row;
}

function requirePatternCount(what: string, count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new InputError(`${what} ${count} is not a whole number >= 0`, { hint: 'pass the clustering pattern count' });
  }
}

function requireLabel(what: string, label: number, patterns: number, item: number): void {
  if (!(label === -1 || (Number.isInteger(label) && label >= 0 && label < patterns))) {
    throw new InputError(`${what} ${label} of input ${item} is outside -1..${patterns - 1}`, {
      hint: 'labels must be -1 (noise) or a pattern id below the pattern count',
    });
  }
}

/** Counts of `a[k]` x `b[k]` over the aligned labelings `a` and `b` (pattern ids, -1 for noise). */
export function contingencyTable(a: Int32Array, b: Int32Array, patternsA: number, patternsB: number): Contingency {
  if (a.length !== b.length) {
    throw new InputError(`labelings have ${a.length} and ${b.length} inputs`, {
      hint: 'align both labelings on the same inputs first',
    });
  }
  requirePatternCount('pattern count of A', patternsA);
  requirePatternCount('pattern count of B', patternsB);
  const cols = patternsB + 1;
  const counts = new Int32Array((patternsA + 1) * cols);
  for (let k = 0; k < a.length; k++) {
    const labelA = a[k]!;
    const labelB = b[k]!;
    requireLabel('label of A', labelA, patternsA, k);
    requireLabel('label of B', labelB, patternsB, k);
    counts[rowOfLabel(labelA, patternsA) * cols + rowOfLabel(labelB, patternsB)]!++;
  }
  return withSums(patternsA, patternsB, counts);
}

/** A table from its non-zero cells (as stored): cell k counts `count[k]` inputs in A's `labelA[k]` and B's `labelB[k]`. */
export function contingencyFromCells(
  patternsA: number,
  patternsB: number,
  labelA: Int32Array,
  labelB: Int32Array,
  count: Int32Array,
): Contingency {
  requirePatternCount('pattern count of A', patternsA);
  requirePatternCount('pattern count of B', patternsB);
  if (labelA.length !== labelB.length || labelA.length !== count.length) {
    throw new InputError(`flow cells have ${labelA.length}, ${labelB.length} and ${count.length} entries`, {
      hint: 'pass columns of equal length',
    });
  }
  const cols = patternsB + 1;
  const counts = new Int32Array((patternsA + 1) * cols);
  for (let k = 0; k < count.length; k++) {
    requireLabel('label of A', labelA[k]!, patternsA, k);
    requireLabel('label of B', labelB[k]!, patternsB, k);
    counts[rowOfLabel(labelA[k]!, patternsA) * cols + rowOfLabel(labelB[k]!, patternsB)]! += count[k]!;
  }
  return withSums(patternsA, patternsB, counts);
}

function withSums(patternsA: number, patternsB: number, counts: Int32Array): Contingency {
  const rows = patternsA + 1;
  const cols = patternsB + 1;
  const rowSums = new Int32Array(rows);
  const colSums = new Int32Array(cols);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const n = counts[i * cols + j]!;
      rowSums[i]! += n;
      colSums[j]! += n;
      total += n;
    }
  }
  return { patternsA, patternsB, counts, rowSums, colSums, total };
}

/** The same table seen from B to A. */
export function transposeContingency(table: Contingency): Contingency {
  const rows = table.patternsA + 1;
  const cols = table.patternsB + 1;
  const counts = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) counts[j * rows + i] = table.counts[i * cols + j]!;
  }
  return {
    patternsA: table.patternsB,
    patternsB: table.patternsA,
    counts,
    rowSums: table.colSums.slice(),
    colSums: table.rowSums.slice(),
    total: table.total,
  };
}

/** The non-zero cells as columns of labels (-1 for noise) and counts, row by row. */
export interface ContingencyCells {
  labelA: Int32Array;
  labelB: Int32Array;
  count: Int32Array;
}

export function nonZeroCells(table: Contingency): ContingencyCells {
  const cols = table.patternsB + 1;
  let cells = 0;
  for (const n of table.counts) if (n > 0) cells++;
  const labelA = new Int32Array(cells);
  const labelB = new Int32Array(cells);
  const count = new Int32Array(cells);
  let k = 0;
  table.counts.forEach((n, cell) => {
    if (n === 0) return;
    labelA[k] = labelOfRow(Math.floor(cell / cols), table.patternsA);
    labelB[k] = labelOfRow(cell % cols, table.patternsB);
    count[k++] = n;
  });
  return { labelA, labelB, count };
}
