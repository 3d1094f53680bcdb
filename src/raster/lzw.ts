/**
 * TIFF LZW decoding (codes of 9 to 12 bits, most significant bit first, the
 * "early change" of code width at 511, 1023 and 2047, as libtiff). Written here
 * because geotiff's decoder grows its output without bound on garbage codes
 * (V8 then aborts the process): this one writes into the block's own size,
 * and a code that is not in the table is a coded error.
 */
const CLEAR = 256;
const EOI = 257;

export class LzwError extends Error {}

/** Decode `input` into at most `expectedBytes` bytes (the block's size); returns the filled part. */
export function decodeLzw(input: Uint8Array, expectedBytes: number): Uint8Array {
  const out = new Uint8Array(expectedBytes);
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  const first = new Uint8Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    length[i] = 1;
    first[i] = i;
  }
  let pos = 0;
  let bit = 0;
  const totalBits = input.length * 8;
  let width = 9;
  let next = 258;
  let old = -1;
  const write = (code: number): void => {
    const len = length[code]!;
    // Past the block's end: keep what fits (libtiff warns and stops the same way).
    let end = pos + len - 1;
    let c = code;
    while (c >= 0) {
      if (end < expectedBytes) out[end] = suffix[c]!;
      end--;
      c = prefix[c]!;
    }
    pos += len;
  };
  while (pos < expectedBytes) {
    if (bit + width > totalBits) break; // Data ends without an EOI: what was decoded stands.
    // Read `width` bits, most significant first.
    let code = 0;
    for (let k = 0; k < width; k++, bit++) code = (code << 1) | ((input[bit >> 3]! >> (7 - (bit & 7))) & 1);
    if (code === EOI) break;
    if (code === CLEAR) {
      width = 9;
      next = 258;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new LzwError(`LZW code ${code} before any string`);
      write(code);
      old = code;
      continue;
    }
    if (next >= 4096) throw new LzwError('LZW table overflow (no clear code)');
    if (code < next && code !== CLEAR && code !== EOI) {
      write(code);
      prefix[next] = old;
      suffix[next] = first[code]!;
      first[next] = first[old]!;
      length[next] = length[old]! + 1;
    } else if (code === next) {
      prefix[next] = old;
      suffix[next] = first[old]!;
      first[next] = first[old]!;
      length[next] = length[old]! + 1;
      write(code);
    } else throw new LzwError(`LZW code ${code} is not in the table (next is ${next})`);
    next++;
    if (next >= (1 << width) - 1 && width < 12) width++;
    old = code;
  }
  return pos >= expectedBytes ? out : out.subarray(0, pos);
}
