/** One color index per label of a run, shared by input labels and predicted labels. */
import type { RunSummary } from '../../../src/results/api-types.js';

export function labelColorIndex(run: RunSummary | undefined): (label: string | null) => number {
  const index = new Map<string, number>();
  for (const label of run?.labels ?? []) if (!index.has(label)) index.set(label, index.size);
  for (const label of run?.predictionLabels ?? []) if (!index.has(label)) index.set(label, index.size);
  return (label) => (label === null ? -1 : (index.get(label) ?? -1));
}

/** The labels a filter can choose from: input labels, or the model's classes (else the labels). */
export function predictionLabelsOf(run: RunSummary): string[] {
  return run.predictionLabels ?? run.labels;
}
