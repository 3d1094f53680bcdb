/**
 * JSON input for every reader: syntax errors name the line and column but
 * never quote the text (the file may not be JSON at all), and documents nested
 * deeper than any real GeoJSON, manifest or scheme are refused before a
 * recursive reader could overflow the stack.
 */

import type { ErrorCode } from '../error-codes.js';
import { GreenmineError } from '../errors.js';

/** Deeper than a MultiPolygon inside a FeatureCollection (7) with plenty to spare. */
export const MAX_JSON_DEPTH = 64;

function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: position - start + 1 };
}

/**
 * Where the first syntax error in `text` is (a character offset), found by a
 * small iterative scanner of the JSON grammar; Node 20's JSON.parse does not
 * always say. Only called after JSON.parse has failed.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  // Stack of containers: '{' or '['; `want` is what may come next.
  const stack: string[] = [];
  let want: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    ws();
    if (i >= n) return want === 'after' && stack.length === 0 ? -1 : n;
    const c = text[i]!;
    if (want === 'key') {
      if (c === '}' && text[i - 1] !== ',' && /\{\s*$/.test(text.slice(Math.max(0, i - 64), i))) {
        stack.pop();
        i++;
        want = 'after';
        continue;
      }
      if (c !== '"') return i;
      const end = scanString(text, i);
      if (end < 0) return -1 - end;
      i = end;
      ws();
      if (text[i] !== ':') return i;
      i++;
      want = 'value';
      continue;
    }
    if (want === 'value') {
      if (c === '{') {
        stack.push('{');
        i++;
        want = 'key';
        continue;
      }
      if (c === '[') {
        stack.push('[');
        i++;
        ws();
        if (text[i] === ']') {
          stack.pop();
          i++;
          want = 'after';
        }
        continue;
      }
      if (c === '"') {
        const end = scanString(text, i);
        if (end < 0) return -1 - end;
        i = end;
      } else {
        const end = c === 't' || c === 'f' || c === 'n' ? scanLiteral(text, i) : scanNumber(text, i);
        if (end < 0) return -1 - end;
        i = end;
      }
      want = 'after';
      continue;
    }
    // After a value: a separator or the end of a container.
    const top = stack.at(-1);
    if (top === undefined) return i;
    if (c === ',') {
      i++;
      want = top === '{' ? 'key' : 'value';
    } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
      stack.pop();
      i++;
    } else return i;
  }
}

const isDigit = (text: string, i: number): boolean => i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57;

/** The offset after the number at `start`, or -1 - (the offset of its error). */
function scanNumber(text: string, start: number): number {
  let i = start;
  if (text[i] === '-') i++;
  if (!isDigit(text, i)) return -1 - i;
  if (text[i] === '0') i++;
  else while (isDigit(text, i)) i++;
  if (text[i] === '.') {
    i++;
    if (!isDigit(text, i)) return -1 - i;
    while (isDigit(text, i)) i++;
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!isDigit(text, i)) return -1 - i;
    while (isDigit(text, i)) i++;
  }
  return i;
}

function scanLiteral(text: string, start: number): number {
  const word = text[start] === 't' ? 'true' : text[start] === 'f' ? 'false' : 'null';
  for (let k = 0; k < word.length; k++) if (text[start + k] !== word[k]) return -1 - (start + k);
  return start + word.length;
}

/** The offset after the string starting at `start`, or -1 - (the offset of its error). */
function scanString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      i++;
      if (i >= text.length) break;
      const e = text[i]!;
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return -1 - Math.min(text.length, i + 1 + /^[0-9a-fA-F]*/.exec(text.slice(i + 1, i + 5))![0].length);
        i += 4;
      } else if (!'"\\/bfnrt'.includes(e)) return -1 - i;
    } else if (c < 32) return -1 - i;
  }
  return -1 - text.length;
}

/** The deepest nesting of arrays and objects in `value` (iterative: no recursion). */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) {
      max = d;
      if (max > limit) return max;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return max;
}

/** JSON.parse with a coded error (`code`) naming the file, line and column, and a depth limit. */
export function parseJson(text: string, file: string, code: ErrorCode, what: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const offset = m ? Number(m[1]) : jsonErrorOffset(text.replace(/^\uFEFF/, ''));
    const at = offset >= 0 ? lineColumn(text.replace(/^\uFEFF/, ''), offset) : null;
    const trimmed = text.trimStart();
    const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[');
    throw new GreenmineError(code, looksJson && at ? `${file}, line ${at.line}, column ${at.column}: invalid JSON in the ${what}` : looksJson ? `${file}: invalid JSON in the ${what} (cut short?)` : `${file}: not a ${what} (not JSON)`, {
      file,
      ...(looksJson && at ? { line: at.line } : {}),
    });
  }
  if (jsonDepth(doc, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new GreenmineError(code, `${file}: the ${what} nests arrays or objects more than ${MAX_JSON_DEPTH} deep; not a document greenmine reads`, { file });
  }
  return doc;
}
