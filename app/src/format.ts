/** Number formats used across views (the numbers' own are shared with the report: src/results/format.ts). */

import { formatCount } from '../../src/results/format.js';

export { formatCount, formatNumber, formatShare } from '../../src/results/format.js';

/** A value read from JSON as text: a string, number or boolean as it is, an object, array or null as JSON. */
export function jsonValueText(value: unknown): string {
  const plain = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return plain ? String(value) : JSON.stringify(value);
}

export function patternName(patternId: number): string {
  return patternId === -1 ? 'Noise' : `Pattern ${patternId}`;
}

export function shortPatternName(patternId: number): string {
  return patternId === -1 ? 'noise' : `#${patternId}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
