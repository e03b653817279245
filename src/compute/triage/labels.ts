/** One integer code per label, shared by the given labels, the predictions and the model's classes. */

export interface LabelCodes {
  /** Label of each code: the model's classes first (code = class index), then other given labels in natural order. */
  names: string[];
  /** Codes below classCount are the model's classes. */
  classCount: number;
  /** Code of each input's given label, -1 without one. */
  given: Int32Array;
  /** Code of each input's predicted class, -1 without a prediction. */
  predicted: Int32Array;
}

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * Codes of the inputs' labels and predictions. `classNames` names the model's output classes in class
 * order (empty when the model does not classify); a given label equal to a class name gets its code.
 */
export function labelCodes(
  labels: readonly (string | null)[],
  prediction: Int32Array,
  classNames: readonly string[],
): LabelCodes {
  const names = [...classNames];
  const codeOf = new Map<string, number>();
  names.forEach((name, code) => {
    if (!codeOf.has(name)) codeOf.set(name, code);
  });
  const extra = [...new Set(labels.filter((l): l is string => l !== null && !codeOf.has(l)))].sort(natural);
  for (const name of extra) {
    codeOf.set(name, names.length);
    names.push(name);
  }
  const given = Int32Array.from(labels, (label) => (label === null ? -1 : codeOf.get(label)!));
  const predicted = Int32Array.from(prediction, (p) => (p >= 0 && p < classNames.length ? p : -1));
  return { names, classCount: classNames.length, given, predicted };
}

/** The confusion matrix of labels against predictions: labelCount x labelCount counts, row = given label. */
export function confusionMatrix(given: Int32Array, predicted: Int32Array, labelCount: number): Int32Array {
  const out = new Int32Array(labelCount * labelCount);
  given.forEach((label, i) => {
    const guess = predicted[i]!;
    if (label >= 0 && guess >= 0) out[label * labelCount + guess]!++;
  });
  return out;
}
