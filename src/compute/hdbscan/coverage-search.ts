/**
 * Which re-selection of a tree covers a target share of its points: leaf and eom over a ladder of min
 * cluster sizes, each counted from the stored tree with no distance work. `nap demo`'s closing lines and
 * the app's coverage goal use the same search. Browser-safe.
 */
import type { SelectionMethod } from './selection.js';
import type { SelectionParams, TreeReselector } from './reselect.js';

/** A re-selection of a layer from its stored tree. */
export interface Reselection {
  selection: SelectionMethod;
  minClusterSize: number;
  patterns: number;
  /** Inputs in a pattern. */
  covered: number;
}

/** The re-selections tried when looking for more coverage: leaf and eom over these min cluster sizes. */
export const RESELECTION_SIZES: readonly number[] = [5, 10, 20, 50, 100, 200, 500];

/** Fewest patterns that still tell inputs apart: a re-selection with fewer is not offered. */
const MIN_PATTERNS = 3;

/** The candidate parameters of the search, in the order they are tried (sizes above the point count left out). */
export function reselectionCandidates(
  pointCount: number,
  base: Pick<SelectionParams, 'clusterSelectionEpsilon' | 'allowSingleCluster'>,
): SelectionParams[] {
  return RESELECTION_SIZES.filter((size) => size <= pointCount).flatMap((minClusterSize) =>
    (['leaf', 'eom'] as const).map((clusterSelectionMethod) => ({ ...base, minClusterSize, clusterSelectionMethod })),
  );
}

/** The re-selection `params` picks from the tree, counted. */
export function countReselection(reselector: TreeReselector, params: SelectionParams): Reselection {
  const picked = reselector.select(params);
  let covered = 0;
  for (const label of picked.labels) if (label >= 0) covered++;
  return {
    selection: params.clusterSelectionMethod,
    minClusterSize: params.minClusterSize,
    patterns: picked.clusterCount,
    covered,
  };
}

/**
 * The finest re-selection (most patterns, at least 3; then the most covered, leaf before eom, the smaller
 * size) that covers `target` of the inputs, or undefined when none of the tried ones does.
 */
export function finestCovering(
  candidates: readonly Reselection[],
  inputs: number,
  target: number,
): Reselection | undefined {
  return candidates
    .filter((c) => c.patterns >= MIN_PATTERNS && c.covered >= target * inputs)
    .sort(
      (a, b) =>
        b.patterns - a.patterns ||
        b.covered - a.covered ||
        Number(a.selection === 'eom') - Number(b.selection === 'eom') ||
        a.minClusterSize - b.minClusterSize,
    )[0];
}
