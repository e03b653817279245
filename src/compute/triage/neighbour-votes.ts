/**
 * kNN label consensus (the label score of SimiFeat, Zhu et al. 2022, and of cleanlab's Datalab on
 * features): how many of an input's nearest neighbours in a layer carry its label. A label that its
 * neighbourhood does not share is a lead, and the neighbours' majority label is the suggested one.
 */

/** Each row's k nearest other rows (the row itself excluded), row-major count x k, nearest first. */
export interface NeighbourLists {
  count: number;
  k: number;
  ids: Int32Array;
  distances: Float32Array;
}

export interface NeighbourVotes {
  /** Neighbours that have a label (only they vote). */
  voters: Int32Array;
  /** Share of the voters with the input's given label; NaN without a label or a voter. */
  givenShare: Float64Array;
  /** Share of the voters with the input's predicted class; NaN without a prediction or a voter. */
  predictedShare: Float64Array;
  /** The voters' majority label code, -1 without a voter. Ties go to the label whose nearest voter is nearest. */
  majority: Int32Array;
  /** Share of the voters with the majority label; NaN without a voter. */
  majorityShare: Float64Array;
}

/**
 * Votes of every input's neighbours. `labels` and `predicted` are label codes per input (-1: none),
 * from one code space (see labelCodes in ./labels.ts), `labelCount` codes in all.
 */
export function neighbourVotes(
  lists: NeighbourLists,
  labels: Int32Array,
  predicted: Int32Array,
  labelCount: number,
): NeighbourVotes {
  const { count, k, ids } = lists;
  const voters = new Int32Array(count);
  const givenShare = new Float64Array(count).fill(Number.NaN);
  const predictedShare = new Float64Array(count).fill(Number.NaN);
  const majority = new Int32Array(count).fill(-1);
  const majorityShare = new Float64Array(count).fill(Number.NaN);
  const tally = new Int32Array(labelCount);
  for (let i = 0; i < count; i++) {
    let votes = 0;
    let best = -1;
    for (let j = 0; j < k; j++) {
      const label = labels[ids[i * k + j]!]!;
      if (label < 0) continue;
      votes++;
      tally[label]!++;
      // Strictly more votes wins, so among tied labels the one reached first (nearest) stays.
      if (best < 0 || tally[label]! > tally[best]!) best = label;
    }
    voters[i] = votes;
    if (votes > 0) {
      const own = labels[i]!;
      const guess = predicted[i]!;
      if (own >= 0) givenShare[i] = tally[own]! / votes;
      if (guess >= 0 && guess < labelCount) predictedShare[i] = tally[guess]! / votes;
      majority[i] = best;
      majorityShare[i] = tally[best]! / votes;
    }
    for (let j = 0; j < k; j++) {
      const label = labels[ids[i * k + j]!]!;
      if (label >= 0) tally[label] = 0;
    }
  }
  return { voters, givenShare, predictedShare, majority, majorityShare };
}

/**
 * The vote distribution of every input: count x labelCount, each row the share of its voters per label
 * (all zero without a voter). The kNN classifier's "probabilities" that the combined score pools.
 */
export function voteDistribution(lists: NeighbourLists, labels: Int32Array, labelCount: number): Float32Array {
  const { count, k, ids } = lists;
  const out = new Float32Array(count * labelCount);
  for (let i = 0; i < count; i++) {
    let votes = 0;
    for (let j = 0; j < k; j++) {
      const label = labels[ids[i * k + j]!]!;
      if (label < 0) continue;
      votes++;
      out[i * labelCount + label]!++;
    }
    if (votes > 0) for (let c = 0; c < labelCount; c++) out[i * labelCount + c]! /= votes;
  }
  return out;
}

export interface ProbeAccuracy {
  /** Labelled inputs with at least one voter. */
  evaluated: number;
  /** Those whose neighbours' majority label is their given label. */
  correct: number;
  /** correct / evaluated; NaN when none is evaluated. */
  accuracy: number;
}

/**
 * Leave-one-out kNN probe accuracy of a layer: how well the labels can be read off its neighbourhoods
 * (each input is classified by its neighbours' majority, itself excluded). Rises through a network as
 * the classes separate.
 */
export function probeAccuracy(votes: NeighbourVotes, labels: Int32Array): ProbeAccuracy {
  let evaluated = 0;
  let correct = 0;
  labels.forEach((label, i) => {
    if (label < 0 || votes.majority[i]! < 0) return;
    evaluated++;
    if (votes.majority[i] === label) correct++;
  });
  return { evaluated, correct, accuracy: evaluated > 0 ? correct / evaluated : Number.NaN };
}
