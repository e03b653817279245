/** Coverage of a layer clustering: the share of the run's inputs that are in a pattern (not noise). */
import type { ClusteringSummary } from '../../../src/results/api-types.js';

export interface HardCoverage {
  inputs: number;
  inPattern: number;
  /** inPattern / inputs; null for a run without inputs. */
  share: number | null;
}

/** A layer clustering holds every input of its run, each in one pattern or in the noise. */
export function hardCoverage(clustering: ClusteringSummary, inputCount: number): HardCoverage {
  const inPattern = inputCount - clustering.noiseCount;
  return { inputs: inputCount, inPattern, share: inputCount > 0 ? inPattern / inputCount : null };
}
