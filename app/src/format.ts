/** Number formats used across views. */

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatShare(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(value >= 0.995 || value === 0 ? 0 : 1)}%`;
}

export function formatNumber(value: number | null, digits = 3): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(1);
  return value.toFixed(digits).replace(/\.?0+$/, '') || '0';
}

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
