/** Class prediction of each row of a model's output: argmax, its probability and the whole distribution. */
export interface Predictions {
  classIndex: Int32Array;
  probability: Float32Array;
  /** count x classes, row-major: each row's class probabilities. */
  probabilities: Float32Array;
}

/** Whether a row already is a probability distribution (non-negative, summing to 1 within 1e-3). */
function isDistribution(values: Float32Array, base: number, classes: number): boolean {
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const value = values[base + c]!;
    if (!(value >= 0)) return false;
    sum += value;
  }
  return Math.abs(sum - 1) < 1e-3;
}

/**
 * Class probabilities of every row of a model output or a logits layer: rows that are already a
 * probability distribution are taken as they are, otherwise they are logits and get a softmax, so
 * models with or without a final Softmax agree. A row with a NaN or an infinite maximum names no class:
 * all NaN.
 */
export function toProbabilities(output: Float32Array, count: number, classes: number): Float32Array {
  const out = new Float32Array(count * classes);
  for (let r = 0; r < count; r++) {
    const base = r * classes;
    let top = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) top = Math.max(top, output[base + c]!);
    if (!Number.isFinite(top)) {
      out.fill(Number.NaN, base, base + classes);
      continue;
    }
    if (isDistribution(output, base, classes)) {
      out.set(output.subarray(base, base + classes), base);
      continue;
    }
    let denominator = 0;
    for (let c = 0; c < classes; c++) denominator += Math.exp(output[base + c]! - top);
    for (let c = 0; c < classes; c++) out[base + c] = Math.exp(output[base + c]! - top) / denominator;
  }
  return out;
}

/** Argmax of each row (the first of equal maxima) and its probability (see toProbabilities). */
export function predict(output: Float32Array, count: number, classes: number): Predictions {
  const probabilities = toProbabilities(output, count, classes);
  const classIndex = new Int32Array(count);
  const probability = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    const base = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (output[base + c]! > output[base + best]!) best = c;
    classIndex[r] = best;
    probability[r] = probabilities[base + best]!;
  }
  return { classIndex, probability, probabilities };
}
