/**
 * Coverage: the share of a layer's inputs that a clustering answers for. Hard coverage counts the inputs
 * in a pattern; with soft memberships, a noise input whose strongest pattern reaches a strength counts
 * too (a near member of that pattern). And, from the stored tree, which re-selection of a layer would
 * cover a target share, found without distance work.
 */
import { linkageFromMerges, selectFromLinkage, type SelectionParams } from '../compute/hdbscan/index.js';
import type { SelectionMethod } from '../compute/hdbscan/selection.js';
import type { ClusteringRecord, StoreReader } from '../io/store/index.js';

/** Strengths at which near members are counted in the CLI's coverage lines, strongest first. */
export const NEAR_MEMBER_STRENGTHS: readonly number[] = [0.1, 0.05];

export interface Coverage {
  inputs: number;
  /** Inputs in a pattern. */
  inPattern: number;
  /** Per strength: inputs in a pattern or whose strongest soft membership reaches it; empty without soft memberships. */
  withNearMembers: { strength: number; covered: number }[];
}

/** The coverage of a stored clustering, near members counted at `strengths`. */
export async function clusteringCoverage(
  store: StoreReader,
  clusteringId: number,
  strengths: readonly number[] = NEAR_MEMBER_STRENGTHS,
): Promise<Coverage> {
  const counts = await store.readCoverage(clusteringId, strengths);
  return {
    inputs: counts.inputs,
    inPattern: counts.inPattern,
    withNearMembers: counts.soft ? strengths.map((strength, i) => ({ strength, covered: counts.atStrength[i]! })) : [],
  };
}

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

/**
 * The re-selections of a clustering's tree (leaf and eom at RESELECTION_SIZES, its epsilon and other
 * params kept) with how many inputs each puts in a pattern; empty when the clustering has no tree.
 */
export async function reselections(store: StoreReader, clustering: ClusteringRecord): Promise<Reselection[]> {
  const stored = await store.readLinkageTree(clustering.clusteringId);
  if (stored === null) return [];
  const tree = linkageFromMerges(stored);
  const params = clustering.params as Partial<SelectionParams>;
  const out: Reselection[] = [];
  for (const selection of ['leaf', 'eom'] as const) {
    for (const minClusterSize of RESELECTION_SIZES) {
      if (minClusterSize > stored.pointCount) continue;
      const picked = selectFromLinkage(tree, {
        minClusterSize,
        clusterSelectionMethod: selection,
        clusterSelectionEpsilon: params.clusterSelectionEpsilon ?? 0,
        allowSingleCluster: params.allowSingleCluster ?? false,
      });
      const covered = picked.labels.reduce((n, label) => n + (label >= 0 ? 1 : 0), 0);
      out.push({ selection, minClusterSize, patterns: picked.clusterCount, covered });
    }
  }
  return out;
}

/** Fewest patterns that still tell inputs apart: a re-selection with fewer is not offered. */
const MIN_PATTERNS = 3;

/**
 * The finest re-selection (most patterns, at least 3) that covers `target` of the inputs, or undefined
 * when none of the tried ones does.
 */
export function finestCovering(
  candidates: readonly Reselection[],
  inputs: number,
  target: number,
): Reselection | undefined {
  return candidates
    .filter((c) => c.patterns >= MIN_PATTERNS && c.covered >= target * inputs)
    .sort((a, b) => b.patterns - a.patterns || b.covered - a.covered)[0];
}

/** The strongest near-member strength (of `strengths`) at which the coverage reaches `target`, if any. */
export function nearMemberStrengthCovering(
  coverage: Coverage,
  target: number,
): { strength: number; covered: number } | undefined {
  return coverage.withNearMembers.find((entry) => entry.covered >= target * coverage.inputs);
}

/** "12.3%" of `part` in `whole`. */
export function percent(part: number, whole: number): string {
  return `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0.0'}%`;
}

/** One line of coverage: in a pattern, then with near members at each strength. */
export function formatCoverage(coverage: Coverage): string {
  const soft = coverage.withNearMembers
    .map(({ strength, covered }) => `${percent(covered, coverage.inputs)} with near members >= ${strength}`)
    .join(', ');
  return `${percent(coverage.inPattern, coverage.inputs)} of inputs in a pattern${soft ? `, ${soft}` : ''}`;
}

/** How a layer of a run can reach a target coverage: a re-selection of its tree, near members, both or neither. */
export interface CoverageRoute {
  layer: string;
  clusteringId: number;
  coverage: Coverage;
  /** The finest re-selection (at least 3 patterns) that puts `target` of the inputs in a pattern. */
  reselection?: Reselection;
  /** The strongest near-member strength at which `target` of the inputs are covered. */
  nearMembers?: { strength: number; covered: number };
}

/** Per layer of the run (its newest layer clustering): its coverage and the routes to `target` (0..1). */
export async function coverageRoutes(store: StoreReader, runId: number, target: number): Promise<CoverageRoute[]> {
  const routes: CoverageRoute[] = [];
  for (const layer of await store.listLayers(runId)) {
    const clusterings = (await store.listClusterings(runId, layer.layer)).filter((c) => c.unit === null);
    const clustering = clusterings[clusterings.length - 1];
    if (!clustering) continue;
    const coverage = await clusteringCoverage(store, clustering.clusteringId, [...NEAR_MEMBER_STRENGTHS, 0.02]);
    const reselection = finestCovering(await reselections(store, clustering), coverage.inputs, target);
    const nearMembers = nearMemberStrengthCovering(coverage, target);
    routes.push({
      layer: layer.layer,
      clusteringId: clustering.clusteringId,
      coverage,
      ...(reselection ? { reselection } : {}),
      ...(nearMembers ? { nearMembers } : {}),
    });
  }
  return routes;
}
