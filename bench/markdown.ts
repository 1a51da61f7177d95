/** Renders benchmark results as GitHub-flavoured markdown. */

export type Cell = string | number;
export type Alignment = 'left' | 'right';

/** A table whose columns are padded so that it also reads well as plain text in a terminal. */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, align?: readonly Alignment[]): string {
  const cells = [headers.map(String), ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(3, ...cells.map((row) => (row[column] ?? '').length)));
  // Numbers read best right-aligned; by default the first column (the label) is left-aligned, the rest right.
  const alignment = headers.map((_, column) => align?.[column] ?? (column === 0 ? 'left' : 'right'));
  const pad = (text: string, column: number) =>
    alignment[column] === 'right' ? text.padStart(widths[column]!) : text.padEnd(widths[column]!);
  const line = (row: readonly string[]) => `| ${headers.map((_, column) => pad(row[column] ?? '', column)).join(' | ')} |`;
  const dashes = (width: number, column: number) => (alignment[column] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width));
  const rule = `| ${widths.map(dashes).join(' | ')} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Rounded, with thousands separators: 2,431. */
export function whole(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}
