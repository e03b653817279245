/**
 * The one step from the paper's patterns to an answer for most inputs, in the patterns view's heading:
 * while the layer's patterns hold under 80% of the inputs, a button shows near members from the strength
 * that reaches 80% (each noise input joins its strongest pattern); with them shown, the line says how much
 * is answered and a button returns to the paper's patterns alone.
 */
import type { CoverageResponse } from '../../../src/results/api-types.js';
import { countAtLeast } from '../../../src/results/near-members.js';
import { formatShare, plural } from '../format.js';
import { navigate } from '../route.js';

/** Share of the inputs the step aims at. */
export const COVERAGE_GOAL = 0.8;

/** The largest strength (in hundredths) whose near members bring coverage to `goal`, or null if none does. */
export function strengthForCoverage(coverage: CoverageResponse, goal: number): number | null {
  const needed = Math.ceil(goal * coverage.inputs) - coverage.inPattern;
  if (needed <= 0) return null;
  if (needed > coverage.nearStrength.length) return null;
  return Math.floor(coverage.nearStrength[needed - 1]! * 100) / 100;
}

export function CoverageStep({ coverage, strength }: { coverage: CoverageResponse; strength: number | null }) {
  if (!coverage.soft) return null;
  const hard = coverage.inPattern / coverage.inputs;
  if (strength !== null) {
    const near = countAtLeast(coverage.nearStrength, strength);
    return (
      <span class="coverage-step">
        <span class="coverage-answered">
          {formatShare((coverage.inPattern + near) / coverage.inputs)} answered with {plural(near, 'near member')} at
          strength ≥ {strength.toFixed(2)}
        </span>{' '}
        <button type="button" class="button coverage-back" onClick={() => navigate({ nearStrength: null })}>
          Back to the paper's patterns ({formatShare(hard)})
        </button>
      </span>
    );
  }
  const step = hard < COVERAGE_GOAL ? strengthForCoverage(coverage, COVERAGE_GOAL) : null;
  if (step === null) return null;
  const reached = (coverage.inPattern + countAtLeast(coverage.nearStrength, step)) / coverage.inputs;
  return (
    <button type="button" class="button coverage-go" onClick={() => navigate({ nearStrength: step })}>
      Answer for {formatShare(reached)} of the inputs: show near members (strength ≥ {step.toFixed(2)})
    </button>
  );
}
