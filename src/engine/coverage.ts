/**
 * Coverage: the share of a layer's inputs that a clustering answers for. Hard coverage counts the inputs
 * in a pattern; with soft memberships, a noise input whose strongest pattern reaches a strength counts
 * too (a near member of that pattern). And, from the stored tree, which re-selection of a layer would
 * cover a target share, found without distance work.
 */
import {
  countReselection,
  finestCovering,
  reselectionCandidates,
  type Reselection,
} from '../compute/hdbscan/coverage-search.js';
import { linkageFromMerges, TreeReselector, type SelectionParams } from '../compute/hdbscan/index.js';
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

export { finestCovering, RESELECTION_SIZES, type Reselection } from '../compute/hdbscan/coverage-search.js';

/**
 * The re-selections of a clustering's tree (leaf and eom at RESELECTION_SIZES, its epsilon and other
 * params kept) with how many inputs each puts in a pattern; empty when the clustering has no tree.
 */
export async function reselections(store: StoreReader, clustering: ClusteringRecord): Promise<Reselection[]> {
  const stored = await store.readLinkageTree(clustering.clusteringId);
  if (stored === null) return [];
  const reselector = new TreeReselector(linkageFromMerges(stored), 1);
  const params = clustering.params as Partial<SelectionParams>;
  const candidates = reselectionCandidates(stored.pointCount, {
    clusterSelectionEpsilon: params.clusterSelectionEpsilon ?? 0,
    allowSingleCluster: params.allowSingleCluster ?? false,
  });
  return candidates.map((candidate) => countReselection(reselector, candidate));
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
