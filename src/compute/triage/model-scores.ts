/**
 * Label-quality scores from a classifier's probabilities (Confident Learning, Northcutt et al. 2021, as
 * cleanlab's `self_confidence` and `normalized_margin`): a given label the model finds improbable is a lead.
 */

export interface ModelScores {
  /** p(given label); NaN where the input has no label among the model's classes. */
  selfConfidence: Float64Array;
  /**
   * p(given) - max p(other class), in [-1, 1]; negative where another class is more probable. cleanlab
   * reports (margin + 1) / 2, which ranks the same. NaN where selfConfidence is.
   */
  margin: Float64Array;
}

/**
 * Both scores of every row of `probabilities` (count x classes, row-major) against `given`, the class
 * index of each input's label (-1: no label, or one the model does not know).
 */
export function modelScores(probabilities: Float32Array, classes: number, given: Int32Array): ModelScores {
  const count = given.length;
  if (probabilities.length !== count * classes) {
    throw new RangeError(`probabilities hold ${probabilities.length} values, expected ${count} x ${classes}`);
  }
  const selfConfidence = new Float64Array(count).fill(Number.NaN);
  const margin = new Float64Array(count).fill(Number.NaN);
  for (let i = 0; i < count; i++) {
    const label = given[i]!;
    if (label < 0 || label >= classes) continue;
    const base = i * classes;
    let other = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) if (c !== label) other = Math.max(other, probabilities[base + c]!);
    const own = probabilities[base + label]!;
    selfConfidence[i] = own;
    margin[i] = classes > 1 ? own - other : own;
  }
  return { selfConfidence, margin };
}
