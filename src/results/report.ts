/**
 * What `nap report` shows of a run, gathered from the results API: each layer's coverage and its top
 * patterns with their label mix, the flow between consecutive layers, and the triage top list (the saved
 * triage's label-error leads when the run has one, else the members that disagree with their pattern).
 * Browser-safe: report-html.ts renders it, the Node side only adds the images and writes the file.
 */
import { NotFoundError } from '../errors.js';
import type { LabelMix, RunDetail } from './api-types.js';
import type { ResultsApi } from './api.js';
import { layerClusteringsOf } from './layer-clusterings.js';

export interface ReportOptions {
  /** Patterns shown per layer, by persistence; default 20. */
  topPatterns?: number;
  /** Pattern-to-pattern links shown per layer pair, by count; default 8. */
  flowLinks?: number;
  /** Rows of the triage list; default 25. */
  triageRows?: number;
}

export const REPORT_DEFAULTS = { topPatterns: 20, flowLinks: 8, triageRows: 25 } as const;

/** Labels shown per pattern; the rest is summed as "other". */
const MIX_LABELS = 4;

export interface ReportPattern {
  patternId: number;
  size: number;
  persistence: number;
  dominantLabel: string | null;
  labelPurity: number | null;
  /** The largest labels, largest first, and the other labels summed (null label: unlabelled). */
  labels: LabelMix;
  other: number;
  /** A run of texts: the pattern's most distinctive words (pattern-words.ts), standing for its average image; else null. */
  words: string[] | null;
}

export interface ReportLayer {
  layer: string;
  clusteringId: number;
  patternCount: number;
  inputs: number;
  inPattern: number;
  /** inPattern / inputs. */
  coverage: number;
  /** The top patterns by persistence (then size, then id). */
  patterns: ReportPattern[];
}

export interface ReportFlowLink {
  from: number;
  to: number;
  count: number;
  /** count / the from pattern's inputs both layers hold. */
  share: number;
  jaccard: number;
}

export interface ReportFlow {
  from: string;
  to: string;
  /** Inputs both layers hold. */
  total: number;
  /** Inputs in a pattern in both layers. */
  patternToPattern: number;
  /** In a pattern in `from`, noise in `to`, and the reverse. */
  patternToNoise: number;
  noiseToPattern: number;
  /** The largest pattern-to-pattern links. */
  links: ReportFlowLink[];
}

export interface ReportTriageRow {
  inputIndex: number;
  path: string | null;
  /** A run of texts: the input's text, shown in place of its thumbnail; else null. */
  text: string | null;
  label: string | null;
  /** The suggested label. */
  suggested: string | null;
  predictionLabel: string | null;
  /** The combined score. */
  score: number | null;
  /** Why it is a lead. */
  reason: string;
}

export interface ReportTriage {
  source: 'saved';
  /** Rows in all (the list shows the first). */
  total: number;
  rows: ReportTriageRow[];
}

export interface ReportData {
  run: Pick<RunDetail, 'runId' | 'name' | 'createdAt' | 'status' | 'modelPath' | 'datasetSpec' | 'inputCount'>;
  layers: ReportLayer[];
  flows: ReportFlow[];
  triage: ReportTriage | null;
}

function reportPattern(
  p: Pick<ReportPattern, 'patternId' | 'size' | 'persistence' | 'dominantLabel' | 'labelPurity' | 'labels'>,
  words: string[] | null,
): ReportPattern {
  const shown = Math.min(MIX_LABELS, p.labels.label.length);
  const counted = p.labels.count.slice(0, shown).reduce((a, b) => a + b, 0);
  const all = p.labels.count.reduce((a, b) => a + b, 0);
  return {
    patternId: p.patternId,
    size: p.size,
    persistence: p.persistence,
    dominantLabel: p.dominantLabel,
    labelPurity: p.labelPurity,
    labels: { label: p.labels.label.slice(0, shown), count: p.labels.count.slice(0, shown) },
    other: all - counted,
    words,
  };
}

async function reportLayers(api: ResultsApi, run: RunDetail, top: number): Promise<ReportLayer[]> {
  const layers: ReportLayer[] = [];
  const clusterings = run.layers.flatMap((layer) => layer.clusterings);
  for (const clustering of layerClusteringsOf(run.layers, clusterings)) {
    const [patterns, coverage, words] = await Promise.all([
      api.patterns({ clusteringId: clustering.clusteringId, examples: 0 }),
      api.coverage({ clusteringId: clustering.clusteringId }),
      api.patternWords({ clusteringId: clustering.clusteringId }),
    ]);
    const wordsOf = (patternId: number) => words.patterns[patternId]?.word ?? null;
    const ranked = [...patterns.patterns].sort(
      (a, b) => b.persistence - a.persistence || b.size - a.size || a.patternId - b.patternId,
    );
    layers.push({
      layer: clustering.layer,
      clusteringId: clustering.clusteringId,
      patternCount: clustering.patternCount,
      inputs: coverage.inputs,
      inPattern: coverage.inPattern,
      coverage: coverage.inputs === 0 ? 0 : coverage.inPattern / coverage.inputs,
      patterns: ranked.slice(0, top).map((p) => reportPattern(p, wordsOf(p.patternId))),
    });
  }
  return layers;
}

async function reportFlows(api: ResultsApi, runId: number, layers: ReportLayer[], top: number): Promise<ReportFlow[]> {
  const flows: ReportFlow[] = [];
  for (let k = 0; k + 1 < layers.length; k++) {
    const flow = await api.layerFlow({ runId, from: layers[k]!.layer, to: layers[k + 1]!.layer });
    const rows = flow.from.patternCount + 1;
    const cols = flow.to.patternCount + 1;
    const links: ReportFlowLink[] = [];
    let patternToPattern = 0;
    let patternToNoise = 0;
    let noiseToPattern = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const count = flow.counts[r * cols + c]!;
        if (count === 0) continue;
        const fromNoise = r === rows - 1;
        const toNoise = c === cols - 1;
        if (!fromNoise && !toNoise) {
          patternToPattern += count;
          links.push({ from: r, to: c, count, share: count / flow.rowSums[r]!, jaccard: flow.jaccard[r * cols + c]! });
        } else if (!fromNoise) patternToNoise += count;
        else if (!toNoise) noiseToPattern += count;
      }
    }
    links.sort((a, b) => b.count - a.count || a.from - b.from || a.to - b.to);
    flows.push({
      from: flow.from.layer,
      to: flow.to.layer,
      total: flow.total,
      patternToPattern,
      patternToNoise,
      noiseToPattern,
      links: links.slice(0, top),
    });
  }
  return flows;
}

/** The saved triage's leads (`nap triage --save`); null when the run has none. */
async function reportTriage(api: ResultsApi, run: RunDetail, rows: number): Promise<ReportTriage | null> {
  try {
    const saved = await api.labelErrors({ runId: run.runId, limit: rows });
    const texts =
      run.inputPictures === 'text' && saved.inputIndex.length > 0
        ? (await api.inputs({ runId: run.runId, index: saved.inputIndex })).content
        : [];
    return {
      source: 'saved',
      total: saved.total,
      rows: saved.inputIndex.map((inputIndex, k) => ({
        inputIndex,
        path: saved.path[k] ?? null,
        text: texts[k] ?? null,
        label: saved.label[k] ?? null,
        suggested: saved.suggestedLabel[k] ?? null,
        predictionLabel: saved.predictionLabel[k] ?? null,
        score: saved.score[k] ?? null,
        reason: saved.reason[k] ?? '',
      })),
    };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return null;
  }
}

/** Everything the report shows of run `runId`; NotFoundError when the store lacks the run. */
export async function reportData(api: ResultsApi, runId: number, options: ReportOptions = {}): Promise<ReportData> {
  const { topPatterns, flowLinks, triageRows } = { ...REPORT_DEFAULTS, ...options };
  const run = await api.run({ runId });
  const layers = await reportLayers(api, run, topPatterns);
  return {
    run: {
      runId: run.runId,
      name: run.name,
      createdAt: run.createdAt,
      status: run.status,
      modelPath: run.modelPath,
      datasetSpec: run.datasetSpec,
      inputCount: run.inputCount,
    },
    layers,
    flows: await reportFlows(api, runId, layers, flowLinks),
    triage: await reportTriage(api, run, triageRows),
  };
}
