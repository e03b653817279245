import type { ClusteringRecord, StoreReader } from '../io/store/index.js';
import { clusteringCoverage, formatCoverage, percent, type Coverage } from './coverage.js';
import type { ClusteringParams } from './recluster.js';

export interface PatternSummary {
  patternId: number;
  size: number;
  persistence: number;
  /** Most frequent labels of the members, largest first. */
  topLabels: { label: string; count: number }[];
}

export interface LayerPatternSummary {
  layer: string;
  clusteringId: number;
  /** How the clustering was made: selection, min cluster size, min samples, epsilon, cluster space. */
  method: string;
  inputs: number;
  patterns: PatternSummary[];
  noise: number;
  /** Inputs in a pattern, and with near members at the CLI's strengths (see coverage.ts). */
  coverage: Coverage;
  /** The layer's other stored clusterings (older first): recluster adds them, the newest is shown. */
  others: { clusteringId: number; method: string; patterns: number; noise: number }[];
}

/** The spanning tree of a clustering from its stored params, which name it only when it is the approximate one. */
export function spanningTreeOf(params: unknown): 'exact' | 'approximate' {
  const recorded =
    params !== null && typeof params === 'object' ? (params as { spanningTree?: unknown }).spanningTree : undefined;
  return recorded === 'approximate' ? 'approximate' : 'exact';
}

/**
 * "leaf, min cluster size 5, min samples 5", the epsilon and cluster space when they are set, and
 * "approximate tree" where the approximate spanning tree made it.
 */
export function describeClustering(params: unknown): string {
  const p = (params ?? {}) as Partial<ClusteringParams>;
  const parts = [
    p.clusterSelectionMethod ?? 'leaf',
    `min cluster size ${p.minClusterSize ?? '?'}`,
    `min samples ${p.minSamples ?? '?'}`,
  ];
  if (typeof p.clusterSelectionEpsilon === 'number' && p.clusterSelectionEpsilon > 0)
    parts.push(`epsilon ${p.clusterSelectionEpsilon}`);
  parts.push(`space ${p.clusterSpace ?? 'raw'}`);
  if (spanningTreeOf(params) === 'approximate') parts.push('approximate tree');
  return parts.join(', ');
}

/** Per layer of a run: its newest layer clustering, the patterns' sizes, persistence and top labels. */
export async function summarizeRun(store: StoreReader, runId: number, topLabels = 3): Promise<LayerPatternSummary[]> {
  const layers = await store.listLayers(runId);
  const out: LayerPatternSummary[] = [];
  for (const layer of layers) {
    const clusterings = (await store.listClusterings(runId, layer.layer)).filter((c) => c.unit === null);
    const clustering = clusterings[clusterings.length - 1];
    if (!clustering) continue;
    const others = clusterings.slice(0, -1).map((c: ClusteringRecord) => ({
      clusteringId: c.clusteringId,
      method: describeClustering(c.params),
      patterns: c.patternCount,
      noise: c.noiseCount,
    }));
    const patterns = await store.readPatterns(clustering.clusteringId);
    const counts = await store.readPatternLabelCounts(clustering.clusteringId, 'label');
    const labelsOf = new Map<number, { label: string; count: number }[]>();
    counts.patternId.forEach((p, i) => {
      const list = labelsOf.get(p) ?? [];
      list.push({ label: counts.label[i] ?? '', count: counts.count[i]! });
      labelsOf.set(p, list);
    });
    const summaries = Array.from(patterns.patternId, (patternId, i) => ({
      patternId,
      size: patterns.size[i]!,
      persistence: patterns.persistence[i]!,
      topLabels: (labelsOf.get(patternId) ?? []).slice(0, topLabels),
    }));
    const members = summaries.reduce((n, p) => n + p.size, 0);
    out.push({
      layer: layer.layer,
      clusteringId: clustering.clusteringId,
      method: describeClustering(clustering.params),
      inputs: members + clustering.noiseCount,
      patterns: summaries,
      noise: clustering.noiseCount,
      coverage: await clusteringCoverage(store, clustering.clusteringId),
      others,
    });
  }
  return out;
}

export function formatRunSummary(layers: LayerPatternSummary[]): string {
  return layers
    .map((layer) => {
      const header = [
        `${layer.layer}: ${layer.patterns.length} patterns, ${percent(layer.noise, layer.inputs)} noise, ${layer.inputs} inputs (clustering ${layer.clusteringId}: ${layer.method})`,
        `  coverage: ${formatCoverage(layer.coverage)}`,
        ...layer.others.map(
          (other) =>
            `  also stored: clustering ${other.clusteringId} (${other.method}): ${other.patterns} patterns, ${percent(other.noise, layer.inputs)} noise`,
        ),
      ].join('\n');
      const rows = [...layer.patterns]
        .sort((a, b) => b.persistence - a.persistence)
        .map((p) => {
          const labels = p.topLabels.map((l) => `${l.label} ${((100 * l.count) / p.size).toFixed(0)}%`).join(', ');
          return `  #${p.patternId} size ${p.size} persistence ${p.persistence.toFixed(3)}: ${labels}`;
        });
      return [header, ...rows].join('\n');
    })
    .join('\n\n');
}
