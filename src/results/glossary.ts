/**
 * One sentence per metric the app, the CLI and the report show: the hover text wherever a metric is named
 * and the app's glossary page. Browser-safe and free of markup, so every reader of results shares it.
 */

export type MetricName =
  | 'persistence'
  | 'stability'
  | 'glosh'
  | 'membership'
  | 'purity'
  | 'coverage'
  | 'jaccard'
  | 'ari'
  | 'nmi'
  | 'selfConfidence'
  | 'margin'
  | 'linearProbe'
  | 'knnConsensus';

export interface GlossaryEntry {
  /** The metric's name as a heading shows it. */
  term: string;
  /** What it measures and its range, in one sentence. */
  definition: string;
}

/** Every metric, in the order the glossary page lists them: patterns, then comparisons, then triage. */
export const GLOSSARY: Readonly<Record<MetricName, GlossaryEntry>> = {
  persistence: {
    term: 'Persistence',
    definition:
      "A pattern's HDBSCAN* stability divided by its size and the tree's largest density level, from 0 (a pattern that barely forms) to 1 (one that holds its members from its birth to the densest level).",
  },
  stability: {
    term: 'Stability',
    definition:
      'HDBSCAN*’s score of a cluster: the sum over its members of how long each stays in it as the density level λ rises (λ at which the member leaves minus λ at which the cluster forms); the patterns shown are the non-overlapping clusters of largest total stability.',
  },
  glosh: {
    term: 'Outlier score (GLOSH)',
    definition:
      'How far an input lies outside the dense core of its part of the hierarchy: 1 − λ at which it leaves ÷ the largest λ in that cluster, from 0 (in the densest core) to 1 (an outlier).',
  },
  membership: {
    term: 'Membership probability',
    definition:
      "How firmly an input belongs to its pattern: the density level at which it leaves the pattern relative to the pattern's densest member, from 0 to 1 (noise has 0); the most stable members have the highest.",
  },
  purity: {
    term: 'Label purity',
    definition: "The share of a pattern's labelled members that carry its majority label.",
  },
  coverage: {
    term: 'Coverage',
    definition: "The share of a layer's inputs that fall in some pattern; the rest is noise.",
  },
  jaccard: {
    term: 'Jaccard index',
    definition:
      'The overlap of two patterns: inputs in both divided by inputs in either, from 0 (no input shared) to 1 (the same inputs).',
  },
  ari: {
    term: 'Adjusted Rand index (ARI)',
    definition:
      'Agreement of two partitions of the same inputs, counted over pairs of inputs placed together or apart by both and corrected for chance: 1 when identical, about 0 for chance agreement.',
  },
  nmi: {
    term: 'Normalized mutual information (NMI)',
    definition:
      'How much knowing one partition of the inputs tells about the other, from 0 (independent) to 1 (the same partition).',
  },
  selfConfidence: {
    term: 'Self-confidence',
    definition: "The model's probability of the input's given label; a low value suggests the label is wrong.",
  },
  margin: {
    term: 'Margin',
    definition:
      'The probability of the given label minus the largest probability of any other class, from −1 to 1; negative where the model prefers another class.',
  },
  linearProbe: {
    term: 'Linear probe',
    definition:
      "The probability of the given label from a softmax regression on a hidden layer's activations, trained by cross-validation on the given labels so that each input is scored by a probe that never saw its label; a low value suggests the label is wrong, and it needs no classifier head.",
  },
  knnConsensus: {
    term: 'kNN consensus',
    definition:
      "The share of an input's k nearest labelled neighbours in a layer that carry its label; a low share suggests the label is wrong, and the neighbours' majority label is the suggested one.",
  },
};

export const METRIC_NAMES = Object.keys(GLOSSARY) as MetricName[];
