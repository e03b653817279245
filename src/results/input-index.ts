/**
 * A run's inputs with what the queries derive from them: the row of an input index, misclassification
 * and the distinct labels. One lookup serves the server, the CLI, the static site and the app.
 */
import type { InputsTable } from './tables.js';

/** Input indices to row positions; dense indices (the usual 0..N-1) use an array, sparse ones a Map. */
export class RowIndex {
  private readonly dense: Int32Array | null;
  private readonly sparse: Map<number, number> | null;

  constructor(inputIndex: ArrayLike<number>) {
    let max = -1;
    for (let row = 0; row < inputIndex.length; row++) max = Math.max(max, inputIndex[row]!);
    if (max < inputIndex.length * 4 + 1024) {
      const dense = new Int32Array(max + 1).fill(-1);
      for (let row = 0; row < inputIndex.length; row++) dense[inputIndex[row]!] = row;
      this.dense = dense;
      this.sparse = null;
    } else {
      this.dense = null;
      this.sparse = new Map(Array.from(inputIndex, (index, row) => [index, row]));
    }
  }

  /** Row of the input, -1 when absent. */
  rowOf(inputIndex: number): number {
    if (this.dense !== null) return inputIndex >= 0 && inputIndex < this.dense.length ? this.dense[inputIndex]! : -1;
    return this.sparse!.get(inputIndex) ?? -1;
  }
}

/** Row of `value` in an ascending column (a table by ascending input index), -1 when absent: no index to build. */
export function rowOfAscending(sorted: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low < sorted.length && sorted[low] === value ? low : -1;
}

/** The input has a label, the model classifies, and the predicted label differs. */
export function isMisclassified(label: string | null, prediction: number, predictionLabel: string | null): boolean {
  return label !== null && prediction >= 0 && label !== predictionLabel;
}

/** Text order with numbers compared as numbers ("2" before "10"). */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export interface IndexedInputs extends InputsTable {
  /** 1 where the input is misclassified, by row. */
  misclassified: Uint8Array;
  /** Distinct labels in natural order. */
  labels: string[];
  rows: RowIndex;
}

export function indexInputs(table: InputsTable): IndexedInputs {
  const count = table.inputIndex.length;
  const misclassified = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    misclassified[row] = isMisclassified(
      table.label[row] ?? null,
      table.prediction[row]!,
      table.predictionLabel[row] ?? null,
    )
      ? 1
      : 0;
  }
  const labels = [...new Set(table.label.filter((label): label is string => label !== null))].sort(naturalCompare);
  return { ...table, misclassified, labels, rows: new RowIndex(table.inputIndex) };
}
