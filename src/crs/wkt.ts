/**
 * A small WKT reader: OGC WKT1, ESRI WKT (as .prj files carry it) and WKT2 share
 * the same bracket grammar, `NAME[arg, arg, NAME[...]]`, so one tokenizer reads
 * them all into a tree; the meaning is read off the tree in crs.ts.
 */
import { GreenmineError } from '../errors.js';

export interface WktNode {
  keyword: string;
  args: Array<string | number | WktNode>;
}

export function parseWkt(text: string, source: string): WktNode {
  let pos = 0;
  const fail = (what: string): never => {
    throw new GreenmineError('CRS_WKT_SYNTAX', `${source}: malformed WKT at character ${pos}: ${what}`, { file: source });
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const readNode = (): WktNode => {
    skipSpace();
    const start = pos;
    while (pos < text.length && /[A-Za-z0-9_]/.test(text[pos]!)) pos++;
    const keyword = text.slice(start, pos);
    if (!keyword) fail('expected a keyword');
    skipSpace();
    const open = text[pos];
    if (open !== '[' && open !== '(') fail(`expected '[' after ${keyword}`);
    const close = open === '[' ? ']' : ')';
    pos++;
    const args: WktNode['args'] = [];
    for (;;) {
      skipSpace();
      const c = text[pos];
      if (c === undefined) fail(`unterminated ${keyword}`);
      if (c === close) {
        pos++;
        break;
      }
      if (c === '"') {
        const end = text.indexOf('"', pos + 1);
        if (end < 0) fail('unterminated string');
        args.push(text.slice(pos + 1, end));
        pos = end + 1;
      } else if (/[-+.0-9]/.test(c!)) {
        const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(pos));
        if (!m) fail('bad number');
        args.push(Number(m![0]));
        pos += m![0].length;
      } else if (/[A-Za-z]/.test(c!)) {
        // A bare word (WKT2 enum such as `north`) or a nested node.
        const save = pos;
        while (pos < text.length && /[A-Za-z0-9_]/.test(text[pos]!)) pos++;
        skipSpace();
        if (text[pos] === '[' || text[pos] === '(') {
          pos = save;
          args.push(readNode());
        } else {
          args.push(text.slice(save, pos).trim());
        }
      } else {
        fail(`unexpected '${c}'`);
      }
      skipSpace();
      if (text[pos] === ',') pos++;
    }
    return { keyword: keyword.toUpperCase(), args };
  };
  const root = readNode();
  skipSpace();
  if (pos < text.length) fail('text after the end of the definition');
  return root;
}

export function child(node: WktNode, ...keywords: string[]): WktNode | undefined {
  for (const a of node.args) if (typeof a === 'object' && keywords.includes(a.keyword)) return a;
  return undefined;
}

export function children(node: WktNode, ...keywords: string[]): WktNode[] {
  return node.args.filter((a): a is WktNode => typeof a === 'object' && keywords.includes(a.keyword));
}

/** Depth-first search for the first node with one of the keywords. */
export function find(node: WktNode, ...keywords: string[]): WktNode | undefined {
  for (const a of node.args) {
    if (typeof a !== 'object') continue;
    if (keywords.includes(a.keyword)) return a;
    const hit = find(a, ...keywords);
    if (hit) return hit;
  }
  return undefined;
}

export function nameOf(node: WktNode | undefined): string {
  const first = node?.args[0];
  return typeof first === 'string' ? first : '';
}
