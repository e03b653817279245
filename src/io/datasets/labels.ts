import type { DatasetItem } from './types.js';

const collator = new Intl.Collator('en', { numeric: true });

/** Natural order ("img2" before "img10"); ties between distinct strings fall back to code units. */
export function compareNatural(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function distinctSortedLabels(items: readonly DatasetItem[]): string[] {
  return [...new Set(items.map((item) => item.label))].sort(compareNatural);
}
