/**
 * XML input (KML, GPX): the encoding its declaration names (GBK KML exported
 * by Chinese tools), well-formedness checked with the line of the fault, and
 * every failure of the parser (entity limits, nesting) as a coded error.
 * External entities are never resolved (fast-xml-parser does not fetch).
 */
import { type XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ErrorCode } from '../error-codes.js';
import { GreenmineError } from '../errors.js';
import { jsonDepth } from './json.js';
import { normaliseEncoding } from './text.js';

/** Deeper than any KML or GPX document nests (a Folder tree of a few levels). */
const MAX_XML_DEPTH = 200;

/** The text of an XML document in the encoding its declaration names (UTF-8 when none). */
export function decodeXml(bytes: Uint8Array, file: string, code: ErrorCode): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^(?:\uFEFF|\xEF\xBB\xBF)?\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/.exec(head)?.[1];
  let encoding = 'utf-8';
  if (declared) {
    try {
      encoding = normaliseEncoding(declared, file);
    } catch {
      throw new GreenmineError(code, `${file}: the XML declaration names the encoding "${declared.slice(0, 40)}", which greenmine does not read (UTF-8, GBK, GB18030, Latin-1)`, { file });
    }
  }
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new GreenmineError('ENCODING_MISMATCH', `${file}: the document is not valid ${encoding} text${declared ? ` (its XML declaration says ${declared})` : ' (no encoding is declared, so UTF-8 is expected)'}`, { file });
  }
}

/** Parse `text` with `parser`: syntax errors name the line; parser limits and nesting are coded errors. */
export function parseXmlText(text: string, file: string, code: ErrorCode, what: string, parser: XMLParser): Record<string, unknown> {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('<')) throw new GreenmineError(code, `${file}: not a ${what} (not XML)`, { file });
  let valid: ReturnType<typeof XMLValidator.validate>;
  try {
    valid = XMLValidator.validate(text);
  } catch (err) {
    throw new GreenmineError(code, `${file}: cannot be read as XML (${err instanceof RangeError ? 'nested too deep' : 'the parser refused it'})`, { file });
  }
  if (valid !== true) {
    // The validator reports elements left open at the end as line 1: say what is open, at the last line.
    const open = /^Invalid '\[(.*)\]' found/s.exec(valid.err.msg);
    if (valid.err.code === 'InvalidXml' && open) {
      const names = [...open[1]!.matchAll(/"([^"]+)"/g)].map((m) => `<${m[1]}>`);
      const last = text.trimEnd().split('\n').length;
      throw new GreenmineError(code, `${file}, line ${last}: the document ends with ${names.join(', ')} still open (cut short?)`, { file, line: last });
    }
    throw new GreenmineError(code, `${file}, line ${valid.err.line}: not well-formed XML (${valid.err.msg.slice(0, 120)})`, { file, line: valid.err.line });
  }
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch (err) {
    const m = (err as Error).message ?? '';
    const why = err instanceof RangeError ? 'nested too deep' : /entit/i.test(m) ? 'entity expansion beyond the limit' : 'the parser refused it';
    throw new GreenmineError(code, `${file}: cannot be read as a ${what} (${why})`, { file });
  }
  if (jsonDepth(doc, MAX_XML_DEPTH) > MAX_XML_DEPTH) throw new GreenmineError(code, `${file}: elements nested more than ${MAX_XML_DEPTH} deep; not a ${what} greenmine reads`, { file });
  return doc;
}
