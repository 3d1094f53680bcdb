/**
 * JSON input for every reader: syntax errors name the line and column but
 * never quote the text (the file may not be JSON at all), and documents nested
 * deeper than any real GeoJSON, manifest or scheme are refused before a
 * recursive reader could overflow the stack.
 */
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
export function parseJson(text: string, file: string, code: string, what: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const at = m ? lineColumn(text, Number(m[1])) : null;
    const trimmed = text.trimStart();
    const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[');
    throw new GreenmineError(
      code,
      looksJson && at ? `${file}, line ${at.line}, column ${at.column}: invalid JSON in the ${what}` : looksJson ? `${file}: invalid JSON in the ${what} (cut short?)` : `${file}: not a ${what} (not JSON)`,
      { file, ...(looksJson && at ? { line: at.line } : {}) },
    );
  }
  if (jsonDepth(doc, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new GreenmineError(code, `${file}: the ${what} nests arrays or objects more than ${MAX_JSON_DEPTH} deep; not a document greenmine reads`, { file });
  }
  return doc;
}
