// Printing a meta.k8s.io/v1 Table as kubectl's HumanReadablePrinter does
// (k8s.io/cli-runtime/pkg/printers/tableprinter.go): priority-0 columns
// unless wide, upper-cased headers, NAMESPACE first with -A, `kind/name`
// when several kinds are printed, LABELS with --show-labels, one column per
// -L label, cells cut at the first newline, no header for an empty table.
import type { TabWriter } from './tabwriter.js';

export interface TableColumn {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
}

export interface TableRowData {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } } | null;
}

export interface Table {
  columnDefinitions: TableColumn[];
  rows: TableRowData[];
}

export interface TablePrintOptions {
  wide?: boolean;
  noHeaders?: boolean;
  withNamespace?: boolean;
  /** e.g. `deployment.apps`: names print as `deployment.apps/NAME`. */
  kind?: string;
  showLabels?: boolean;
  /** -L keys, each its own column. */
  labelColumns?: string[];
}

/** labels.FormatLabels: sorted `k=v` joined by commas, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

/** WriteEscaped: terminal control characters are shown escaped, as kubectl does. */
function escapeCell(s: string): string {
  // C0 controls and DEL, except tab, newline and carriage return (C1 is left alone).
  return s.replace(/[^\P{Cc}\t\n\r\u0080-\u009f]/gu, (c) => JSON.stringify(c).slice(1, -1));
}

function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') {
    const at = cell.search(/[\f\n\r]/);
    return at >= 0 ? escapeCell(cell.slice(0, at)) + '...' : escapeCell(cell);
  }
  if (typeof cell === 'object') return JSON.stringify(cell);
  return escapeCell(String(cell));
}

/** The last path segment of a label key, upper-cased: kubectl's -L header. */
function labelColumnHeader(key: string): string {
  const parts = key.split('/');
  return parts[parts.length - 1].toUpperCase();
}

/**
 * Print one Table into the tab writer. Returns the number of rows printed.
 * `printHeaders` false suppresses the header (kubectl prints it once per
 * kind, also across watch events).
 */
export function printTable(table: Table, w: TabWriter, o: TablePrintOptions, printHeaders = true): number {
  const cols = table.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => o.wide || !c.priority);
  const nameCol = table.columnDefinitions.findIndex((c) => c.name.toLowerCase() === 'name');
  if (!o.noHeaders && printHeaders && table.rows.length > 0) {
    const header: string[] = [];
    if (o.withNamespace) header.push('NAMESPACE');
    header.push(...cols.map(({ c }) => c.name.toUpperCase()));
    for (const k of o.labelColumns ?? []) header.push(labelColumnHeader(k));
    if (o.showLabels) header.push('LABELS');
    w.row(header);
  }
  for (const row of table.rows) {
    const meta = row.object?.metadata ?? {};
    const cells: string[] = [];
    if (o.withNamespace) cells.push(meta.namespace ?? '');
    for (const { i } of cols) {
      let text = cellText(row.cells[i]);
      if (i === nameCol && o.kind && typeof row.cells[i] === 'string') text = `${o.kind}/${text}`;
      cells.push(text);
    }
    for (const k of o.labelColumns ?? []) cells.push(meta.labels?.[k] ?? '');
    if (o.showLabels) cells.push(formatLabels(meta.labels));
    w.row(cells);
  }
  return table.rows.length;
}
