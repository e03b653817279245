/**
 * Pattern label disagreement: the share of an input's fellow pattern members that carry its label. The
 * same question as the kNN consensus, asked of the HDBSCAN* pattern instead of the k nearest inputs.
 */

/**
 * The patterns of one layer clustering. Hard memberships (one pattern per input, -1 for noise) are what
 * the store holds today. `soft` is the hook for soft clustering (a probability per pattern for every
 * input, count x patternCount): when it is given, every input, noise included, is scored by the
 * membership-weighted label shares of all patterns instead of its one pattern's.
 */
export interface PatternMemberships {
  patternCount: number;
  patternId: Int32Array;
  soft?: Float32Array;
}

export interface PatternVotes {
  /**
   * Share of the other members with the input's given label (hard), or its membership-weighted mean over
   * patterns (soft); NaN without a label, for noise (hard) or without another labelled member.
   */
  givenShare: Float64Array;
  /** The label with most (weight of) members of the input's pattern, -1 where none. */
  majority: Int32Array;
}

/** Label weights of every pattern: patternCount x labelCount, each member counted with its membership. */
function patternLabelWeights(memberships: PatternMemberships, labels: Int32Array, labelCount: number): Float64Array {
  const { patternCount, patternId, soft } = memberships;
  const weights = new Float64Array(patternCount * labelCount);
  labels.forEach((label, i) => {
    if (label < 0) return;
    if (soft) {
      for (let p = 0; p < patternCount; p++) weights[p * labelCount + label]! += soft[i * patternCount + p]!;
    } else if (patternId[i]! >= 0) {
      weights[patternId[i]! * labelCount + label]!++;
    }
  });
  return weights;
}

/** Row sums of the pattern x label weights. */
function rowTotals(weights: Float64Array, patternCount: number, labelCount: number): Float64Array {
  const totals = new Float64Array(patternCount);
  for (let p = 0; p < patternCount; p++) {
    for (let c = 0; c < labelCount; c++) totals[p]! += weights[p * labelCount + c]!;
  }
  return totals;
}

/** The label of most weight in each pattern; ties go to the smaller code. */
function patternMajorities(weights: Float64Array, patternCount: number, labelCount: number): Int32Array {
  const majority = new Int32Array(patternCount).fill(-1);
  for (let p = 0; p < patternCount; p++) {
    let best = -1;
    for (let c = 0; c < labelCount; c++) {
      const w = weights[p * labelCount + c]!;
      if (w > 0 && (best < 0 || w > weights[p * labelCount + best]!)) best = c;
    }
    majority[p] = best;
  }
  return majority;
}

/** Pattern votes of every input; the input itself never counts towards its own share. */
export function patternVotes(memberships: PatternMemberships, labels: Int32Array, labelCount: number): PatternVotes {
  const { patternCount, patternId, soft } = memberships;
  const count = labels.length;
  if (patternId.length !== count || (soft && soft.length !== count * patternCount)) {
    throw new RangeError(`pattern memberships do not cover the ${count} inputs`);
  }
  const weights = patternLabelWeights(memberships, labels, labelCount);
  const totals = rowTotals(weights, patternCount, labelCount);
  const byPattern = patternMajorities(weights, patternCount, labelCount);
  const givenShare = new Float64Array(count).fill(Number.NaN);
  const majority = new Int32Array(count).fill(-1);
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    if (!soft) {
      const p = patternId[i]!;
      if (p < 0) continue;
      majority[i] = byPattern[p]!;
      if (label < 0) continue;
      const others = totals[p]! - 1;
      if (others > 0) givenShare[i] = (weights[p * labelCount + label]! - 1) / others;
      continue;
    }
    let strongest = -1;
    let sum = 0;
    let mass = 0;
    for (let p = 0; p < patternCount; p++) {
      const m = soft[i * patternCount + p]!;
      if (strongest < 0 || m > soft[i * patternCount + strongest]!) strongest = p;
      if (label < 0 || m <= 0) continue;
      const others = totals[p]! - m;
      if (others <= 1e-12) continue;
      sum += (m * (weights[p * labelCount + label]! - m)) / others;
      mass += m;
    }
    if (strongest >= 0) majority[i] = byPattern[strongest]!;
    if (mass > 0) givenShare[i] = sum / mass;
  }
  return { givenShare, majority };
}
