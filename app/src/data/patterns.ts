/** Ordering of pattern cards. */
import type { PatternSummary } from '../../../src/results/api-types.js';
import type { PatternSort } from '../route.js';

const KEYS: Record<PatternSort, (p: PatternSummary) => number> = {
  persistence: (p) => p.persistence,
  size: (p) => p.size,
  purity: (p) => p.labelPurity ?? -1,
  outliers: (p) => p.outlierShare,
};

export const SORT_NAMES: Record<PatternSort, string> = {
  persistence: 'Persistence',
  size: 'Size',
  purity: 'Label purity',
  outliers: 'Outlier share',
};

/** Patterns by the key, largest first; ties by pattern id so the order is stable. */
export function sortPatterns(patterns: readonly PatternSummary[], sort: PatternSort): PatternSummary[] {
  const key = KEYS[sort];
  return [...patterns].sort((a, b) => key(b) - key(a) || a.patternId - b.patternId);
}
