/**
 * Near members from a clustering's coverage answer (every noise input with its strongest soft membership,
 * strongest first): a pattern's near members at a strength, and the patterns noise inputs are nearest to.
 */
import type { CoverageResponse } from '../../../src/results/api-types.js';
import { countAtLeast } from '../../../src/results/near-members.js';

export interface PatternNear {
  /** Near members at least `strength` strong, strongest first. */
  inputIndex: number[];
  strength: number[];
  /** Near members of every pattern at that strength: how far coverage grows. */
  allNear: number;
}

export function nearOfPattern(coverage: CoverageResponse, patternId: number, strength: number): PatternNear {
  const count = countAtLeast(coverage.nearStrength, strength);
  const inputIndex: number[] = [];
  const strengths: number[] = [];
  for (let k = 0; k < count; k++) {
    if (coverage.nearPatternId[k] !== patternId) continue;
    inputIndex.push(coverage.nearInputIndex[k]!);
    strengths.push(coverage.nearStrength[k]!);
  }
  return { inputIndex, strength: strengths, allNear: count };
}

export interface NearestPattern {
  patternId: number;
  /** Noise inputs nearest to it at least `strength` strong. */
  count: number;
  strongest: number;
}

/** The patterns noise inputs are nearest to (at least `strength` strong), most noise inputs first. */
export function nearestPatterns(coverage: CoverageResponse, strength: number): NearestPattern[] {
  const count = countAtLeast(coverage.nearStrength, strength);
  const byPattern = new Map<number, NearestPattern>();
  for (let k = 0; k < count; k++) {
    const patternId = coverage.nearPatternId[k]!;
    const entry = byPattern.get(patternId);
    if (entry) entry.count++;
    else byPattern.set(patternId, { patternId, count: 1, strongest: coverage.nearStrength[k]! });
  }
  return [...byPattern.values()].sort((a, b) => b.count - a.count || a.patternId - b.patternId);
}

/** The strongest membership of each input of the run that is a near member, by input index. */
export function strongestNear(coverage: CoverageResponse): Map<number, { patternId: number; strength: number }> {
  const map = new Map<number, { patternId: number; strength: number }>();
  coverage.nearInputIndex.forEach((inputIndex, k) =>
    map.set(inputIndex, { patternId: coverage.nearPatternId[k]!, strength: coverage.nearStrength[k]! }),
  );
  return map;
}
