// Go's text/tabwriter as kubectl configures it (printers.GetNewTabWriter:
// minwidth 6, padding 3, pad char ' ', RememberWidths): tab-terminated cells
// in consecutive lines form a column as wide as its widest cell plus 3; the
// last cell of a line is not padded. With rememberWidths a column never
// shrinks across flushes, so `get -w` rows stay aligned with the header.

/** kubectl's printers.GetNewTabWriter settings; describe uses Go's defaults (minwidth 0, padding 2). */
export interface TabWriterOptions {
  minWidth: number;
  padding: number;
  rememberWidths: boolean;
}

const GET_OPTIONS: TabWriterOptions = { minWidth: 6, padding: 3, rememberWidths: true };

/** Display width as Go's tabwriter counts it: runes. */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export class TabWriter {
  private lines: string[][] = [];
  private widths: number[] = [];

  private readonly o: TabWriterOptions;

  constructor(
    private readonly sink: (s: string) => void,
    options: Partial<TabWriterOptions> = {},
  ) {
    this.o = { ...GET_OPTIONS, ...options };
  }

  /** Text with `\t` between cells and `\n` ending lines, as Go code writes into a tabwriter. */
  write(text: string): void {
    const parts = text.split('\n');
    if (this.lines.length === 0) this.lines.push([]);
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) this.lines.push([]);
      const cur = this.lines[this.lines.length - 1];
      const cells = parts[i].split('\t');
      if (cur.length === 0) cur.push(...cells);
      else {
        cur[cur.length - 1] += cells[0];
        cur.push(...cells.slice(1));
      }
    }
  }

  /** One line of cells. */
  row(cells: string[]): void {
    this.write(cells.join('\t') + '\n');
  }

  flush(): void {
    // The trailing [] is the (empty) line after the last newline.
    const lines = this.lines;
    this.lines = [];
    if (lines.length && lines[lines.length - 1].length === 1 && lines[lines.length - 1][0] === '') lines.pop();
    if (lines.length === 0) return;
    let out = '';
    // Columns are computed per block of consecutive lines that have the cell (text/tabwriter's format()).
    const colWidths = lines.map((l) => new Array<number>(Math.max(0, l.length - 1)).fill(0));
    const maxCols = Math.max(...lines.map((l) => l.length - 1));
    for (let col = 0; col < maxCols; col++) {
      let start = 0;
      while (start < lines.length) {
        if (lines[start].length - 1 <= col) {
          start++;
          continue;
        }
        let end = start;
        let w = this.o.minWidth;
        while (end < lines.length && lines[end].length - 1 > col) {
          w = Math.max(w, width(lines[end][col]) + this.o.padding);
          end++;
        }
        if (this.o.rememberWidths) {
          if (col < this.widths.length) {
            if (w < this.widths[col]) w = this.widths[col];
            else this.widths[col] = w;
          } else this.widths.push(w);
        }
        for (let k = start; k < end; k++) colWidths[k][col] = w;
        start = end;
      }
    }
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k];
      for (let c = 0; c < l.length - 1; c++) out += l[c] + ' '.repeat(colWidths[k][c] - width(l[c]));
      out += l[l.length - 1] + '\n';
    }
    this.sink(out);
  }

  /** Forget remembered widths (kubectl does so when the kind changes). */
  resetWidths(): void {
    this.widths = [];
  }
}
