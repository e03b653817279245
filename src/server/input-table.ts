/** A run's inputs with what the routes derive from them: misclassification, lookup by index, distinct labels. */
import type { StoredInputs } from '../io/store/index.js';

export interface InputTable extends StoredInputs {
  /** 1 where the input is misclassified (see api-types.ts), by row. */
  misclassified: Uint8Array;
  /** Distinct labels, natural order ("2" before "10"). */
  labels: string[];
  /** The row of an input index, or -1 when the run has no such input. */
  rowOf(inputIndex: number): number;
}

export function isMisclassified(label: string | null, prediction: number, predictionLabel: string | null): boolean {
  return label !== null && prediction >= 0 && label !== predictionLabel;
}

export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export function buildInputTable(inputs: StoredInputs): InputTable {
  const count = inputs.index.length;
  const misclassified = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    misclassified[row] = isMisclassified(
      inputs.label[row] ?? null,
      inputs.prediction[row]!,
      inputs.predictionLabel[row] ?? null,
    )
      ? 1
      : 0;
  }
  const labels = [...new Set(inputs.label.filter((label): label is string => label !== null))].sort(naturalCompare);
  const maxIndex = inputs.index.reduce((max, index) => Math.max(max, index), -1);
  // Input indices are the dense 0..N-1 that analyze writes; a Map would serve sparse ones equally well.
  const rows = new Int32Array(maxIndex + 1).fill(-1);
  inputs.index.forEach((index, row) => {
    rows[index] = row;
  });
  return {
    ...inputs,
    misclassified,
    labels,
    rowOf: (inputIndex) => (inputIndex >= 0 && inputIndex < rows.length ? rows[inputIndex]! : -1),
  };
}
