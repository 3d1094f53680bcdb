/**
 * DEFLATE for class rasters: a zlib stream (RFC 1950/1951) that codes each byte as a literal or, where it
 * repeats the byte before it, as a match at distance 1 of up to 258 bytes — zlib's Z_RLE strategy — in one
 * dynamic-Huffman block whose code is fixed in advance for such data (a run of 258 is one bit, the small
 * class codes five or six): nothing is counted or built per tile, so a tile costs a scan for runs, eight
 * bytes at a time, and its Adler-32 (16 bytes at a time in SIMD).
 *
 * Why not zlib: a class tile of 64 KiB took zlib 150 µs (Z_RLE, level 1) and a stream state of about 270 KiB
 * allocated and freed per tile, whose pages glibc returned to the system and faulted back in (1.3 s of a
 * 4-band classification's second pass at 30 000² went to that); this takes 10–30 µs and allocates nothing.
 * Any inflater reads it (zlib, libdeflate, GDAL, Node's zlib: tested); data with few runs would be coded
 * larger than zlib's, and are stored instead when coding would grow them.
 *
 * In WebAssembly (deflate-runs.wat) where it runs, else in JavaScript: the same bytes (tested).
 */
import { deflateSync } from 'node:zlib';
import { ensureMemory, instantiateKernel, type KernelMemory } from '../io/wasm.js';
import { DEFLATE_RUNS_WASM } from './deflate-runs.wasm.js';

interface RunsExports {
  memory: KernelMemory;
  encode(src: number, n: number, dst: number, tables: number): number;
}

/** Huffman code lengths (at most `limit` bits) for the weights, by the classic merge; throws past the limit. */
function huffmanLengths(weights: number[], limit: number): number[] {
  type Node = { w: number; symbols: number[] };
  // Lightest first; each merged node inserted in its place (no sort per merge).
  const nodes: Node[] = weights
    .map((w, s) => ({ w, symbols: [s] }))
    .filter((n) => n.w > 0)
    .sort((a, b) => a.w - b.w);
  const lengths = new Array<number>(weights.length).fill(0);
  if (nodes.length === 1) lengths[nodes[0]!.symbols[0]!] = 1;
  while (nodes.length > 1) {
    const a = nodes.shift()!;
    const b = nodes.shift()!;
    for (const s of a.symbols) lengths[s]!++;
    for (const s of b.symbols) lengths[s]!++;
    const merged = { w: a.w + b.w, symbols: a.symbols.concat(b.symbols) };
    let lo = 0;
    let hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid]!.w <= merged.w) lo = mid + 1;
      else hi = mid;
    }
    nodes.splice(lo, 0, merged);
  }
  if (Math.max(...lengths) > limit) throw new Error(`deflate-runs: a code of ${Math.max(...lengths)} bits (at most ${limit})`);
  return lengths;
}

/** Canonical codes (RFC 1951 3.2.2) for the lengths, bit-reversed: DEFLATE sends Huffman codes from their first bit, and the writer packs bits from the least significant. */
function canonicalReversed(lengths: number[]): number[] {
  const max = Math.max(...lengths);
  const count = new Array<number>(max + 1).fill(0);
  for (const l of lengths) if (l) count[l]!++;
  const next = new Array<number>(max + 2).fill(0);
  for (let bits = 1, code = 0; bits <= max; bits++) {
    code = (code + count[bits - 1]!) << 1;
    next[bits] = code;
  }
  return lengths.map((l) => {
    if (!l) return 0;
    const code = next[l]!++;
    let reversed = 0;
    for (let i = 0; i < l; i++) reversed |= ((code >> i) & 1) << (l - 1 - i);
    return reversed;
  });
}

/** Bits packed from the least significant, as DEFLATE sends them. */
class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;
  put(value: number, bits: number): void {
    for (let i = 0; i < bits; i++) {
      this.acc |= ((value >> i) & 1) << this.count;
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
  }
  /** The bits so far: whole bytes, then the partial byte and how many of its bits count. */
  get partial(): { bytes: number[]; last: number; lastBits: number } {
    return { bytes: this.bytes, last: this.acc, lastBits: this.count };
  }
}

/** The length symbol (257…285), its extra bits and their value for a match of `length` (3…258), RFC 1951 3.2.5. */
function lengthSymbol(length: number): [number, number, number] {
  const base = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  const extra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  let i = base.length - 1;
  while (base[i]! > length) i--;
  return [257 + i, extra[i]!, length - base[i]!];
}

/**
 * The tables both encoders use, as 32-bit pairs (bits, count): literals 0…255, end of block (256), then a
 * match of each length 3…258 with its distance code (entry 256 + length); then the block's header bits.
 */
interface RunTables {
  entries: Uint32Array;
  header: Uint8Array;
  headerBits: number;
}
let tables: RunTables | undefined;
/** The tables, made on first use (14 ms: not at every command's start). */
export function runTables(): RunTables {
  tables ??= makeTables();
  return tables;
}

function makeTables(): RunTables {
  // Weights for the code: a run of 258 (symbol 285) about half of all symbols, then the small bytes (class
  // codes), the other lengths and the end of block, then every other byte.
  const weights = new Array<number>(286).fill(1);
  weights[285] = 1 << 14;
  for (let b = 0; b < 16; b++) weights[b] = 1 << 9;
  for (let s = 257; s < 285; s++) weights[s] = 1 << 7;
  weights[256] = 1 << 5;
  const litLengths = huffmanLengths(weights, 15);
  const litCodes = canonicalReversed(litLengths);
  // Two distance codes of one bit (a complete code): distance 1 is code 0.
  const distLengths = [1, 1];
  const entries = new Uint32Array(2 * (256 + 259));
  for (let b = 0; b <= 256; b++) {
    entries[2 * b] = litCodes[b]!;
    entries[2 * b + 1] = litLengths[b]!;
  }
  for (let length = 3; length <= 258; length++) {
    const [symbol, extraBits, extraValue] = lengthSymbol(length);
    const l = litLengths[symbol]!;
    // Code, extra bits, then distance 1's code (a zero bit): at most 15 + 5 + 1 bits.
    entries[2 * (256 + length)] = litCodes[symbol]! | (extraValue << l);
    entries[2 * (256 + length) + 1] = l + extraBits + 1;
  }
  // The block header: final, dynamic; 286 literal/length and 2 distance code lengths, run-length coded
  // with the code-length alphabet (16: repeat the previous 3…6 times), whose own code is sent first.
  const all = [...litLengths, ...distLengths];
  const cl: Array<[number, number, number]> = [];
  for (let i = 0; i < all.length; ) {
    let run = 1;
    while (i + run < all.length && all[i + run] === all[i] && run < 7) run++;
    cl.push([all[i]!, 0, 0]);
    if (run >= 4) {
      cl.push([16, 2, run - 4]);
      i += run;
    } else i++;
  }
  const clWeights = new Array<number>(19).fill(0);
  for (const [s] of cl) clWeights[s]!++;
  const clLengths = huffmanLengths(clWeights, 7);
  const clCodes = canonicalReversed(clLengths);
  const w = new BitWriter();
  w.put(1, 1);
  w.put(2, 2);
  w.put(286 - 257, 5);
  w.put(2 - 1, 5);
  w.put(19 - 4, 4);
  for (const s of [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]) w.put(clLengths[s]!, 3);
  for (const [s, extraBits, extraValue] of cl) {
    w.put(clCodes[s]!, clLengths[s]!);
    w.put(extraValue, extraBits);
  }
  const { bytes, last, lastBits } = w.partial;
  return { entries, header: Uint8Array.from([...bytes, last]), headerBits: bytes.length * 8 + lastBits };
}

/** Adler-32 (RFC 1950) of the bytes. */
export function adler32(data: Uint8Array): number {
  let s1 = 1;
  let s2 = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      s1 += data[i]!;
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

/** The encoder in JavaScript (where WebAssembly does not run): the same bytes as deflate-runs.wat. */
export function deflateRunsScalar(data: Uint8Array): Uint8Array {
  const { entries, header, headerBits } = runTables();
  const n = data.length;
  const out = new Uint8Array(maxEncodedBytes(n));
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  const whole = headerBits >> 3;
  out.set(header.subarray(0, whole), o);
  o += whole;
  // Bits waiting, least significant first (fewer than 32 between puts: a put adds at most 21).
  let acc = header[whole]! & ((1 << (headerBits & 7)) - 1);
  let count = headerBits & 7;
  const put = (entry: number): void => {
    acc += entries[2 * entry]! * 2 ** count;
    count += entries[2 * entry + 1]!;
    while (count >= 8) {
      out[o++] = acc & 0xff;
      acc = Math.floor(acc / 256);
      count -= 8;
    }
  };
  if (n > 0) put(data[0]!);
  for (let i = 1; i < n; ) {
    const prev = data[i - 1]!;
    const max = Math.min(258, n - i);
    let run = 0;
    while (run < max && data[i + run] === prev) run++;
    if (run >= 3) {
      put(256 + run);
      i += run;
    } else put(data[i++]!);
  }
  put(256);
  if (count > 0) out[o++] = acc & 0xff;
  const a = adler32(data);
  out[o++] = a >>> 24;
  out[o++] = (a >>> 16) & 0xff;
  out[o++] = (a >>> 8) & 0xff;
  out[o++] = a & 0xff;
  return storedIfLarger(data, out.subarray(0, o));
}

/** Bytes the coding may need for n bytes: the header, at most 15 bits a byte, the end, the checksum. */
function maxEncodedBytes(n: number): number {
  return 2 + runTables().header.length + Math.ceil((n * 15 + 15) / 8) + 8;
}

/** Data with few runs code larger than they are: stored (zlib level 0) instead. */
function storedIfLarger(data: Uint8Array, coded: Uint8Array): Uint8Array {
  return coded.length > data.length + 16 ? new Uint8Array(deflateSync(data, { level: 0 })) : coded;
}

let kernel: { k: RunsExports; memory: ArrayBuffer } | null | undefined;

/** The WebAssembly encoder, instantiated on first use; null where it does not run. */
function runsKernel(): { k: RunsExports; memory: ArrayBuffer } | null {
  if (kernel === undefined) {
    const k = instantiateKernel<RunsExports>(DEFLATE_RUNS_WASM);
    kernel = k ? { k, memory: k.memory.buffer } : null;
    if (kernel) new Uint32Array(ensureMemory(kernel.k.memory, 65536), 0, runTables().entries.length).set(runTables().entries);
  }
  return kernel;
}

/** Whether deflateRuns codes in WebAssembly here (the tests check which encoder they compared). */
export function deflateRunsInWebAssembly(): boolean {
  return runsKernel() !== null;
}

/** `data` as a zlib stream (see the module's comment): a new array. */
export function deflateRuns(data: Uint8Array): Uint8Array {
  const kernel = runsKernel();
  if (!kernel) return deflateRunsScalar(data);
  const { entries, header, headerBits } = runTables();
  // Memory: the tables, the header (bit count, then its bytes), the input (and 16 bytes past it: the run
  // scan reads eight at a time), the output.
  const tables = 0;
  const headerAt = entries.byteLength;
  const src = Math.ceil((headerAt + 4 + header.length) / 16) * 16;
  const dst = Math.ceil((src + data.length + 16) / 16) * 16;
  const memory = ensureMemory(kernel.k.memory, dst + maxEncodedBytes(data.length));
  if (memory !== kernel.memory || new Uint32Array(memory, headerAt, 1)[0] !== headerBits) {
    kernel.memory = memory;
    new Uint32Array(memory, headerAt, 1)[0] = headerBits;
    new Uint8Array(memory, headerAt + 4, header.length).set(header);
  }
  new Uint8Array(memory, src, data.length).set(data);
  new Uint8Array(memory, src + data.length, 16).fill(0);
  const length = kernel.k.encode(src, data.length, dst, tables);
  return storedIfLarger(data, new Uint8Array(memory, dst, length).slice());
}
