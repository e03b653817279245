/**
 * The combined triage rank: a product of experts. The model's probability of the given label and each
 * chosen layer's kNN vote for it are two estimates of "how likely is this label"; their (weighted)
 * geometric mean is small only where both find the label unlikely, which ranks the inputs that every
 * source doubts first. Votes are smoothed (Laplace, `smoothing` pseudo-votes per label) so that 0 of 10
 * votes is not -infinity and 0 of 10 ranks below 0 of 3.
 *
 * Measured on the flipped-label Fashion-MNIST split (scripts/triage/bench-triage.ts): rank averaging and a
 * linear pool of the same scores ranked below self-confidence alone; this pool ranked at or above it. The
 * model's weight (src/engine/triage-scores.ts MODEL_WEIGHT) sets how far it leads the neighbourhoods;
 * a pool normalized over the labels with weights fitted to the given labels by likelihood ranked no
 * better and, without the classifier, far worse (docs/triage.md). The kNN layers share weight 1. Larger
 * k, distance-weighted votes, earlier layers' votes, a probe on the logits, per-class thresholds of
 * self-confidence and averaging probabilities or ranks all ranked within one flip per seed of this pool
 * or below it on the development seeds, so it stays the plain one (docs/triage.md says why the benchmark
 * stops near self-confidence). The one source that added beside the 91.51% built-in model is the layer
 * closest to the input (`earlyLayer`): +0.25 flips per seed on the development seeds, +0.21 on 24 fresh
 * ones, within two standard errors of nothing (docs/triage.md). Pixel neighbours, a second model (the ViT) and
 * the training images' labels added nothing robust; test-time shifts raise self-confidence itself by about a flip
 * per seed and the pool only as much, so they are not part of it (docs/triage.md, "Beyond the model").
 */

export interface CombineInput {
  /** Label code of each input, -1 without a label (never ranked). */
  given: Int32Array;
  /** Codes in all (the vote smoothing spreads over them). */
  labelCount: number;
  /** p(given label) per input; null without a classifier (kNN and patterns only). */
  selfConfidence: Float64Array | null;
  /** Out-of-fold p(given label) of a linear probe (linear-probe.ts); null without one. */
  probe?: Float64Array | null;
  /** Per chosen layer: share of the neighbours' votes for the given label, and how many voted. */
  layers: readonly LayerVotes[];
  /**
   * The votes of the analyzed layer closest to the input, beside the chosen (deep) layers: its neighbours
   * are the inputs that look alike before the network has formed its classes, so its mistakes are least
   * like the model's. Null or absent: none.
   */
  earlyLayer?: LayerVotes | null;
}

/** A layer's share of the neighbours' votes for each input's given label, and how many voted. */
export interface LayerVotes {
  givenShare: Float64Array;
  voters: Int32Array;
}

export interface CombineWeights {
  /** Weight of log p(given); the layers share weight 1. */
  model: number;
  /** Weight of the probe's log p(given). */
  probe?: number;
  /** Weight of the early layer's smoothed log vote. */
  earlyLayer?: number;
  /** Pseudo-votes per label. */
  smoothing: number;
}

/** Probabilities below this count as this (log of 0 is no ranking). */
const FLOOR = 1e-12;

/** Smoothed log of a layer's vote share for the given label; NaN without voters. */
export function smoothedLogVote(share: number, voters: number, labelCount: number, smoothing: number): number {
  if (!(voters > 0) || Number.isNaN(share)) return Number.NaN;
  return Math.log((share * voters + smoothing) / (voters + smoothing * labelCount));
}

/**
 * The combined suspicion of every input (higher: a stronger lead): minus the weighted mean of
 * log p(given), the probe's log p(given), the chosen layers' mean smoothed log vote and the early layer's. NaN where the input has no label or no source scores it.
 */
export function combinedScore(input: CombineInput, weights: CombineWeights): Float64Array {
  const count = input.given.length;
  const out = new Float64Array(count).fill(Number.NaN);
  for (let i = 0; i < count; i++) {
    if (input.given[i]! < 0) continue;
    let sum = 0;
    let weight = 0;
    const p = input.selfConfidence?.[i];
    if (p !== undefined && !Number.isNaN(p) && weights.model > 0) {
      sum += weights.model * Math.log(Math.max(p, FLOOR));
      weight += weights.model;
    }
    const q = input.probe?.[i];
    if (q !== undefined && !Number.isNaN(q) && (weights.probe ?? 0) > 0) {
      sum += weights.probe! * Math.log(Math.max(q, FLOOR));
      weight += weights.probe!;
    }
    let layerSum = 0;
    let layers = 0;
    for (const layer of input.layers) {
      const vote = smoothedLogVote(layer.givenShare[i]!, layer.voters[i]!, input.labelCount, weights.smoothing);
      if (Number.isNaN(vote)) continue;
      layerSum += vote;
      layers++;
    }
    if (layers > 0) {
      sum += layerSum / layers;
      weight += 1;
    }
    const early = input.earlyLayer;
    const earlyWeight = weights.earlyLayer ?? 0;
    if (early && earlyWeight > 0) {
      const vote = smoothedLogVote(early.givenShare[i]!, early.voters[i]!, input.labelCount, weights.smoothing);
      if (!Number.isNaN(vote)) {
        sum += earlyWeight * vote;
        weight += earlyWeight;
      }
    }
    if (weight > 0) out[i] = -sum / weight;
  }
  return out;
}

/**
 * Input rows in triage order: `primary` descending, ties by `secondary` descending, NaN after every
 * number in each; the input index decides only between inputs equal in both.
 */
export function rankOrder(primary: Float64Array, secondary: Float64Array, inputIndex: Int32Array): Int32Array {
  const descending = (a: number, b: number) => {
    const aNaN = Number.isNaN(a);
    const bNaN = Number.isNaN(b);
    if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
    return b - a;
  };
  return Int32Array.from({ length: primary.length }, (_, i) => i).sort(
    (a, b) =>
      descending(primary[a]!, primary[b]!) ||
      descending(secondary[a]!, secondary[b]!) ||
      inputIndex[a]! - inputIndex[b]!,
  );
}
