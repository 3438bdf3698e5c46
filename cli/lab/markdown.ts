// A lab's Markdown rendered for a terminal (pure): headings, paragraphs,
// lists, block quotes, fenced code blocks (the commands to type, indented
// so they copy cleanly) and inline code, bold, emphasis and links. With
// colour (a terminal) markers become ANSI styles; without (a pipe, a file)
// the text stays plain and readable, and the commands are never changed.

export interface RenderOptions {
  color: boolean;
}

const ansi = {
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  italic: (s: string) => `\x1b[3m${s}\x1b[23m`,
  underline: (s: string) => `\x1b[4m${s}\x1b[24m`,
  cyan: (s: string) => `\x1b[36m${s}\x1b[39m`,
  yellow: (s: string) => `\x1b[33m${s}\x1b[39m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
};

/** Inline markup of one line of prose. Code spans are cut out first so nothing inside them is touched. */
export function renderInline(line: string, o: RenderOptions): string {
  const parts = line.split(/(`+[^`]*?`+)/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) {
        const code = part.replace(/^`+ ?/, '').replace(/ ?`+$/, '');
        return o.color ? ansi.cyan(code) : `\`${code}\``;
      }
      let s = part.replace(/<br\s*\/?>/gi, ' ');
      s = s.replace(/!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)/g, (_m, text: string, url: string) => (text && text !== url ? `${text} (${url})` : url));
      s = s.replace(/\*\*(.+?)\*\*|__(.+?)__/g, (_m, a?: string, b?: string) => (o.color ? ansi.bold(a ?? b ?? '') : (a ?? b ?? '')));
      s = s.replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=$|[\s).,:;!?])/g, (_m, pre: string, text: string) => pre + (o.color ? ansi.italic(text) : text));
      return s;
    })
    .join('');
}

/** A Markdown document as terminal text, ending with one newline. */
export function renderMarkdown(md: string, o: RenderOptions): string {
  const out: string[] = [];
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  let fence: string | undefined;
  for (const raw of lines) {
    const fenceMark = /^\s*(```+|~~~+)/.exec(raw);
    if (fence !== undefined) {
      if (fenceMark && fenceMark[1][0] === fence[0] && fenceMark[1].length >= fence.length) {
        fence = undefined;
        out.push('');
        continue;
      }
      out.push(`    ${o.color ? ansi.yellow(raw) : raw}`.trimEnd());
      continue;
    }
    if (fenceMark) {
      fence = fenceMark[1];
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) {
      const text = renderInline(heading[2], { color: false });
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      if (o.color) out.push(heading[1].length === 1 ? ansi.bold(ansi.underline(text)) : ansi.bold(text));
      else out.push(text, (heading[1].length === 1 ? '=' : '-').repeat([...text].length));
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(raw)) {
      out.push(o.color ? ansi.dim('─'.repeat(40)) : '-'.repeat(40));
      continue;
    }
    const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(raw);
    if (item) {
      const bullet = /\d/.test(item[2]) ? item[2] : o.color ? '•' : '-';
      out.push(`${item[1]}  ${bullet} ${renderInline(item[3], o)}`);
      continue;
    }
    const quote = /^\s*>\s?(.*)$/.exec(raw);
    if (quote) {
      out.push(`${o.color ? ansi.dim('│') : '|'} ${renderInline(quote[1], o)}`);
      continue;
    }
    out.push(renderInline(raw, o).trimEnd());
  }
  // At most one blank line in a row, none at the ends.
  const squeezed = out.filter((l, i) => l !== '' || (i > 0 && out[i - 1] !== ''));
  while (squeezed.length && squeezed[0] === '') squeezed.shift();
  while (squeezed.length && squeezed[squeezed.length - 1] === '') squeezed.pop();
  return `${squeezed.join('\n')}\n`;
}

/** The fenced code blocks of a Markdown text: the commands a step asks the learner to type. */
export function codeBlocks(md: string): string[] {
  const blocks: string[] = [];
  let fence: string | undefined;
  let cur: string[] = [];
  for (const raw of md.replace(/\r\n?/g, '\n').split('\n')) {
    const m = /^\s*(```+|~~~+)/.exec(raw);
    if (fence === undefined && m) {
      fence = m[1];
      cur = [];
    } else if (fence !== undefined && m && m[1][0] === fence[0] && m[1].length >= fence.length) {
      blocks.push(cur.join('\n'));
      fence = undefined;
    } else if (fence !== undefined) cur.push(raw);
  }
  return blocks;
}
