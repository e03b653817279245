/**
 * How well two pattern labelings of the same inputs agree, with noise (-1) as one more label and with
 * the inputs that either labeling calls noise left out.
 */
import { InputError } from '../errors.js';
import { normalizedMutualInformation } from './mutual-information.js';
import { adjustedRandIndex } from './partition-metrics.js';

export interface PartitionAgreement {
  /** Inputs compared. */
  inputs: number;
  /** Adjusted Rand index; NaN when no inputs are compared. */
  adjustedRandIndex: number;
  /** Normalized mutual information (arithmetic mean normalization); NaN when no inputs are compared. */
  normalizedMutualInformation: number;
}

export interface PartitionComparison {
  /** Every input; noise counts as one label. */
  withNoise: PartitionAgreement;
  /** Only the inputs that are in a pattern in both labelings. */
  withoutNoise: PartitionAgreement;
}

function agreement(a: Int32Array, b: Int32Array): PartitionAgreement {
  if (a.length === 0) return { inputs: 0, adjustedRandIndex: NaN, normalizedMutualInformation: NaN };
  return {
    inputs: a.length,
    adjustedRandIndex: adjustedRandIndex(a, b),
    normalizedMutualInformation: normalizedMutualInformation(a, b),
  };
}

/** ARI and NMI of two aligned labelings (pattern ids, -1 for noise), with and without noise. */
export function comparePartitions(a: Int32Array, b: Int32Array): PartitionComparison {
  if (a.length !== b.length) {
    throw new InputError(`labelings have ${a.length} and ${b.length} inputs`, {
      hint: 'align both labelings on the same inputs first',
    });
  }
  const keep: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k]! >= 0 && b[k]! >= 0) keep.push(k);
  const inA = Int32Array.from(keep, (k) => a[k]!);
  const inB = Int32Array.from(keep, (k) => b[k]!);
  return { withNoise: agreement(a, b), withoutNoise: agreement(inA, inB) };
}
