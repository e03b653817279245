/** Number formats shared by the app and the report: counts, shares as percentages, numbers to a few digits. */

/** One formatter for every count: toLocaleString builds a new one per call, a cost a redraw of many cards feels. */
const COUNT_FORMAT = new Intl.NumberFormat('en-US');

export function formatCount(value: number): string {
  return COUNT_FORMAT.format(value);
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
