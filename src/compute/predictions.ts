/** Class prediction of each row of a model's output: argmax and its softmax probability. */
export interface Predictions {
  classIndex: Int32Array;
  probability: Float32Array;
}

/**
 * Rows that are already a probability distribution (non-negative, summing to 1) are taken as they are;
 * otherwise they are logits and get a softmax, so models with or without a final Softmax agree.
 */
export function predict(output: Float32Array, count: number, classes: number): Predictions {
  const classIndex = new Int32Array(count);
  const probability = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    const base = r * classes;
    let best = 0;
    let sum = 0;
    let nonNegative = true;
    for (let c = 0; c < classes; c++) {
      const value = output[base + c]!;
      if (value > output[base + best]!) best = c;
      if (value < 0) nonNegative = false;
      sum += value;
    }
    classIndex[r] = best;
    if (nonNegative && Math.abs(sum - 1) < 1e-3) {
      probability[r] = output[base + best]!;
    } else {
      const top = output[base + best]!;
      let denominator = 0;
      for (let c = 0; c < classes; c++) denominator += Math.exp(output[base + c]! - top);
      probability[r] = 1 / denominator;
    }
  }
  return { classIndex, probability };
}
