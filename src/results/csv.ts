/**
 * CSV as spreadsheets read it (RFC 4180), safe to open: a cell that starts with =, +, -, @, a tab or a
 * carriage return would be run as a formula by Excel, LibreOffice or Google Sheets (CSV injection: a
 * file name or label such as `=HYPERLINK(...)` comes from the dataset, not from the user). Such text
 * cells get a leading apostrophe, which spreadsheets show as text and do not display. Numbers are written
 * as numbers, so negative values stay negative.
 */

export type CsvValue = string | number | boolean | null;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One field: null is empty; text that could run as a formula is defused; quoted when it holds , " or a line break. */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line per record, each '\n'-terminated. */
export function csvText<K extends string>(
  columns: readonly K[],
  records: readonly Readonly<Record<K, CsvValue>>[],
): string {
  const lines = [
    columns.map(csvField).join(','),
    ...records.map((record) => columns.map((column) => csvField(record[column])).join(',')),
  ];
  return `${lines.join('\n')}\n`;
}
