/**
 * CSV cells for every CSV greenmine writes: quoted when they hold a separator,
 * quote or line break, and neutralised when a spreadsheet would read them as a
 * formula (OWASP's rule: a text cell starting with =, +, -, @, tab or carriage
 * return gets a leading apostrophe). Numbers are written as numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows to CSV text: UTF-8 with a BOM (Excel reads it as UTF-8), CRLF line ends. */
export function csvText(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
