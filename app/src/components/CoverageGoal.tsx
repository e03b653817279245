/**
 * The coverage goal of the granularity panel. At the stored parameters (the paper's, in nap demo), one
 * button re-cuts the layer's tree at the finest granularity that puts COVERAGE_GOAL of the inputs in a
 * pattern, found in the page over leaf / eom and a ladder of min cluster sizes (the search of nap demo's
 * closing lines, started once the control rests at the stored parameters); at any other granularity, one
 * button goes back to the stored parameters.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  countReselection,
  finestCovering,
  reselectionCandidates,
  type Reselection,
} from '../../../src/compute/hdbscan/coverage-search.js';
import type { TreeReselector } from '../../../src/compute/hdbscan/reselect.js';
import { sameGranularity, type Granularity } from '../data/reselection.js';
import { formatShare, plural } from '../format.js';
import { COVERAGE_GOAL } from './CoverageStep.js';

/** The paper's parameters (min samples 5 shapes the tree itself). */
const PAPER: Granularity = { minClusterSize: 5, selection: 'leaf', epsilon: 0 };

/** Milliseconds of search per task, so that the page answers the user between them. */
const SLICE_MS = 12;
/** The search waits this long at the stored parameters first: a person moving the control does not wait behind it. */
const START_AFTER_MS = 800;

/** Found goals per tree and starting parameters: the search runs once per tree a page loads. */
const found = new WeakMap<TreeReselector, Map<string, Reselection | null>>();

function describe(granularity: Granularity): string {
  const epsilon = granularity.epsilon > 0 ? `, epsilon ${granularity.epsilon}` : '';
  return `${granularity.selection}, min cluster size ${granularity.minClusterSize}${epsilon}`;
}

/** The goal re-selection of `reselector`'s tree (null: none reaches it), searched in slices; undefined while searching. */
function useGoal(reselector: TreeReselector, stored: Granularity, allowSingleCluster: boolean, active: boolean) {
  const key = `${stored.epsilon}/${allowSingleCluster}`;
  const known = () => found.get(reselector)?.get(key);
  const [goal, setGoal] = useState<{ key: string; reselector: TreeReselector; value: Reselection | null }>();
  useEffect(() => {
    if (!active) return undefined;
    const done = known();
    if (done !== undefined) {
      setGoal({ key, reselector, value: done });
      return undefined;
    }
    const pointCount = reselector.linkage.distance.length + 1;
    const candidates = reselectionCandidates(pointCount, {
      clusterSelectionEpsilon: stored.epsilon,
      allowSingleCluster,
    });
    const counted: Reselection[] = [];
    let timer = 0;
    const step = () => {
      const start = performance.now();
      while (counted.length < candidates.length && performance.now() - start < SLICE_MS) {
        counted.push(countReselection(reselector, candidates[counted.length]!));
      }
      if (counted.length < candidates.length) {
        timer = window.setTimeout(step, 0);
        return;
      }
      const value = finestCovering(counted, pointCount, COVERAGE_GOAL) ?? null;
      if (!found.has(reselector)) found.set(reselector, new Map());
      found.get(reselector)!.set(key, value);
      setGoal({ key, reselector, value });
    };
    timer = window.setTimeout(step, START_AFTER_MS);
    return () => window.clearTimeout(timer);
  }, [reselector, key, active]);
  if (goal && goal.key === key && goal.reselector === reselector) return goal.value;
  return known();
}

export interface CoverageGoalProps {
  reselector: TreeReselector;
  stored: Granularity;
  /** Share of the inputs in a stored pattern. */
  storedShare: number;
  value: Granularity;
  allowSingleCluster: boolean;
  onChange: (value: Granularity) => void;
}

export function CoverageGoal({
  reselector,
  stored,
  storedShare,
  value,
  allowSingleCluster,
  onChange,
}: CoverageGoalProps) {
  const atStored = sameGranularity(value, stored);
  const goal = useGoal(reselector, stored, allowSingleCluster, atStored && storedShare < COVERAGE_GOAL);
  const paper = sameGranularity(stored, PAPER);
  if (!atStored) {
    return (
      <p class="coverage-goal">
        <button type="button" class="button coverage-stored" onClick={() => onChange(stored)}>
          Back to {paper ? "the paper's parameters" : 'the stored parameters'} ({describe(stored)}:{' '}
          {formatShare(storedShare)} in a pattern)
        </button>
      </p>
    );
  }
  if (storedShare >= COVERAGE_GOAL) return null;
  const target = `${Math.round(COVERAGE_GOAL * 100)}%`;
  if (goal === undefined) {
    return <p class="coverage-goal muted">Looking for a granularity that puts {target} of the inputs in a pattern…</p>;
  }
  if (goal === null) {
    return (
      <p class="coverage-goal muted">
        No granularity tried (leaf and eom, min cluster size up to 500) puts {target} of the inputs in a pattern with 3
        patterns or more; near members answer for more inputs.
      </p>
    );
  }
  const inputs = reselector.linkage.distance.length + 1;
  const granularity: Granularity = {
    minClusterSize: goal.minClusterSize,
    selection: goal.selection,
    epsilon: stored.epsilon,
  };
  return (
    <p class="coverage-goal">
      <button type="button" class="button coverage-recut" onClick={() => onChange(granularity)}>
        Put {formatShare(goal.covered / inputs)} of the inputs in a pattern: {describe(granularity)} (
        {plural(goal.patterns, 'pattern')})
      </button>
    </p>
  );
}
