/**
 * A clustering's coverage: the share of its inputs in a pattern, and with near members (noise inputs whose
 * strongest soft membership reaches a strength) at a strength the slider sets.
 */
import { useState } from 'preact/hooks';
import type { ClusteringSummary } from '../../../src/results/api-types.js';
import { countAtLeast } from '../../../src/results/near-members.js';
import { useQuery } from '../api.js';
import { formatCount, formatShare } from '../format.js';

/** Near members count from this strength unless the user moves the slider (nap summary's first strength). */
export const DEFAULT_NEAR_STRENGTH = 0.1;

export function CoverageLine({ clustering }: { clustering: ClusteringSummary }) {
  const coverage = useQuery('coverage', { clusteringId: clustering.clusteringId });
  const [strength, setStrength] = useState(DEFAULT_NEAR_STRENGTH);
  const data = coverage.data;
  if (!data) return null;
  const near = countAtLeast(data.nearStrength, strength);
  return (
    <p class="coverage-line">
      <span class="coverage-hard">
        {formatShare(data.inPattern / data.inputs)} in a pattern ({formatCount(data.inPattern)} of{' '}
        {formatCount(data.inputs)})
      </span>
      {data.soft ? (
        <>
          {' · '}
          <span class="coverage-near">
            {formatShare((data.inPattern + near) / data.inputs)} with near members ({formatCount(near)}) at strength ≥{' '}
            {strength.toFixed(2)}
          </span>{' '}
          <input
            type="range"
            class="near-strength"
            min={0.01}
            max={1}
            step={0.01}
            value={strength}
            aria-label="Near-member strength"
            onInput={(e) => setStrength(Number(e.currentTarget.value))}
          />
        </>
      ) : (
        <span class="muted"> · no soft memberships stored (a clustering of an older nap)</span>
      )}
    </p>
  );
}
