/**
 * CSV text (RFC 4180) that is safe to open in a spreadsheet: a text cell starting with =, +, -, @, a tab or
 * a carriage return is a formula there (CSV injection, OWASP), so it gets a leading apostrophe. Numbers are
 * written as numbers. The one CSV writer of nap triage and the app's exports (browser-safe).
 */
export type CsvCell = string | number | boolean | null;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One field: formula starts neutralized, quoted when it holds a comma, quote, line break or edge space. */
export function csvField(value: CsvCell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Header line and one line per row, each '\n'-terminated. */
export function csvText(columns: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [columns.map(csvField).join(','), ...rows.map((row) => row.map(csvField).join(','))];
  return `${lines.join('\n')}\n`;
}
