/**
 * Text decoding for files from Chinese sources, which come in UTF-8 or GBK
 * (GB 2312 / GB 18030). Node's ICU decodes GBK, so no extra dependency.
 */
import { GreenmineError } from '../errors.js';

export interface DecodedText {
  text: string;
  encoding: string;
  /** True when the encoding was guessed rather than declared. */
  detected: boolean;
}

export function normaliseEncoding(name: string, source: string): string {
  const n = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  const map: Record<string, string> = {
    utf8: 'utf-8',
    gbk: 'gbk',
    gb2312: 'gbk',
    cp936: 'gbk',
    '936': 'gbk',
    ansi936: 'gbk',
    gb18030: 'gb18030',
    latin1: 'latin1',
    iso88591: 'latin1',
    cp1252: 'windows-1252',
    windows1252: 'windows-1252',
    '1252': 'windows-1252',
    ascii: 'utf-8',
  };
  const enc = map[n];
  if (!enc) throw new GreenmineError('ENCODING_UNKNOWN', `${source}: unknown text encoding "${name}" (utf-8, gbk, gb18030, latin1)`, { file: source });
  return enc;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text when `bytes` are valid UTF-8, else null. */
function tryUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  return tryUtf8(bytes) !== null;
}

/** Decode with the declared encoding, else UTF-8 (BOM or valid), else GBK. */
export function decodeText(bytes: Uint8Array, source: string, encoding?: string): DecodedText {
  if (encoding) {
    const enc = normaliseEncoding(encoding, source);
    try {
      return { text: new TextDecoder(enc, { fatal: true }).decode(bytes).replace(/^\uFEFF/, ''), encoding: enc, detected: false };
    } catch {
      throw new GreenmineError('ENCODING_MISMATCH', `${source}: the file is not valid ${enc} text`, { file: source });
    }
  }
  const utf8 = tryUtf8(bytes);
  if (utf8 !== null) return { text: utf8.replace(/^\uFEFF/, ''), encoding: 'utf-8', detected: true };
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(bytes), encoding: 'gbk', detected: true };
  } catch {
    throw new GreenmineError('ENCODING_UNKNOWN', `${source}: the file is neither UTF-8 nor GBK text; name its encoding (the encoding option, e.g. "greenmine license --encoding gbk") or save it as UTF-8`, { file: source });
  }
}
