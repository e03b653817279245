import type { ResultsReader } from '../io/store/index.js';

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
  inputs: number;
  patterns: PatternSummary[];
  noise: number;
}

/** Per layer of a run: its newest layer clustering, the patterns' sizes, persistence and top labels. */
export async function summarizeRun(store: ResultsReader, runId: number, topLabels = 3): Promise<LayerPatternSummary[]> {
  const layers = await store.listLayers(runId);
  const out: LayerPatternSummary[] = [];
  for (const layer of layers) {
    const clusterings = (await store.listClusterings(runId, layer.layer)).filter((c) => c.unit === null);
    const clustering = clusterings[clusterings.length - 1];
    if (!clustering) continue;
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
      inputs: members + clustering.noiseCount,
      patterns: summaries,
      noise: clustering.noiseCount,
    });
  }
  return out;
}

export function formatRunSummary(layers: LayerPatternSummary[]): string {
  return layers
    .map((layer) => {
      const share = layer.inputs > 0 ? ((100 * layer.noise) / layer.inputs).toFixed(1) : '0.0';
      const header = `${layer.layer}: ${layer.patterns.length} patterns, ${share}% noise, ${layer.inputs} inputs`;
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
