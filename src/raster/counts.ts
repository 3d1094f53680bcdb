/**
 * Class counts of uint8/uint16 pixels in integer tables: the hot loop of the
 * class-area pipeline, shared by the main thread and the inflate workers.
 */
import { ensureMemory, instantiateKernel, type KernelMemory } from '../io/wasm.js';
import { COUNT_SIMD_WASM } from './count-simd.wasm.js';
import type { RasterBlock } from './reader.js';

/**
 * Count block[from…to) into `hist`: for uint8 (with `words`, its 32-bit view)
 * four lanes of 256 filled from one read per four pixels, so runs of one class
 * do not wait on each other; otherwise one entry per code.
 */
export function countRun(block: Uint8Array | Uint16Array, words: Uint32Array | null, from: number, to: number, hist: Uint32Array): void {
  if (!words) {
    for (let i = from; i < to; i++) hist[block[i]!]!++;
    return;
  }
  let i = from;
  const wordFrom = (from + 3) >> 2;
  const wordTo = to >> 2;
  if (wordTo > wordFrom) {
    for (; i < wordFrom << 2; i++) hist[block[i]!]!++;
    for (let k = wordFrom; k < wordTo; k++) {
      const w = words[k]!;
      hist[w & 255]!++;
      hist[256 | ((w >>> 8) & 255)]!++;
      hist[512 | ((w >>> 16) & 255)]!++;
      hist[768 | (w >>> 24)]!++;
    }
    i = wordTo << 2;
  }
  for (; i < to; i++) hist[block[i]!]!++;
}

interface SimdCounter {
  count4(p: number, vectors: number, c0: number, c1: number, c2: number, c3: number, out: number): void;
  memory: KernelMemory;
}
let simdInstance: SimdCounter | null | undefined;

/** The WebAssembly SIMD kernel (count-simd.wat), or null where it cannot run (the scalar path counts). */
function simdCounter(): SimdCounter | null {
  if (simdInstance === undefined) simdInstance = instantiateKernel<SimdCounter>(COUNT_SIMD_WASM);
  return simdInstance;
}

/** Bytes before the block in the kernel's memory: 16 int32 totals. */
const SIMD_DATA = 64;

/**
 * Counts of whole blocks, for the inflate workers.
 *
 * uint8 blocks: class rasters hold few codes, so the codes of a block are
 * counted with the WebAssembly SIMD kernel, 16 pixels per comparison and
 * four codes per pass (up to 16 codes), about 3× faster than any scalar
 * histogram here. The codes are learnt from the first block and checked on
 * every block (the counts must add up to its pixels); a block with other codes
 * is counted by the scalar path and teaches the codes for the next ones, and
 * when that happens often the kernel is left aside.
 *
 * The scalar path counts pairs of pixels: four tables of 65 536 pair codes
 * (one per 16-bit half of two consecutive words), half the increments of
 * counting pixels; the pairs met stay in cache. They are folded into classes
 * once, at `take`. uint16 blocks go to one table.
 */
export class BlockCounts {
  private tables: Uint32Array | null = null;
  /** Counts per class code (exact integers). */
  private readonly folded: Float64Array;
  private pending = 0;
  private codes: number[] = [];
  private simd: SimdCounter | null;
  private blocks = 0;
  private misses = 0;

  constructor(
    readonly u8: boolean,
    options: { simd?: boolean } = {},
  ) {
    this.folded = new Float64Array(u8 ? 256 : 65536);
    this.simd = u8 && options.simd !== false ? simdCounter() : null;
  }

  count(block: Uint8Array | Uint16Array): void {
    this.blocks++;
    if (this.simd && block instanceof Uint8Array) {
      if (this.codes.length === 0) this.learnCodes(block);
      if (this.countSimd(block)) return;
      this.misses++;
      if (this.misses > 8 && this.misses * 4 > this.blocks) this.simd = null;
      else this.learnCodes(block);
    }
    this.countScalar(block);
  }

  /** The codes present in `block`, for the kernel (none when more than 16). */
  private learnCodes(block: Uint8Array): void {
    const seen = new Uint8Array(256);
    for (let i = 0; i < block.length; i++) seen[block[i]!] = 1;
    const codes: number[] = [];
    for (let v = 0; v < 256; v++) if (seen[v]) codes.push(v);
    this.codes = codes.length <= 16 ? codes : [];
  }

  /** Count `block` with the kernel; false (nothing counted) when it holds codes other than the learnt ones. */
  private countSimd(block: Uint8Array): boolean {
    const simd = this.simd!;
    const codes = this.codes;
    const k = codes.length;
    if (k === 0) return false;
    const need = SIMD_DATA + block.length;
    new Uint8Array(ensureMemory(simd.memory, need)).set(block, SIMD_DATA);
    const totals = new Int32Array(simd.memory.buffer, 0, 16).fill(0);
    const vectors = block.length >> 4;
    // The last pass repeats a code in its spare slots; their totals are not read.
    for (let g = 0; g < k; g += 4) simd.count4(SIMD_DATA, vectors, codes[g]!, codes[g + 1] ?? codes[g]!, codes[g + 2] ?? codes[g]!, codes[g + 3] ?? codes[g]!, g * 4);
    let total = 0;
    for (let i = 0; i < k; i++) total += totals[i]!;
    if (total !== vectors * 16) return false;
    const folded = this.folded;
    for (let i = 0; i < k; i++) folded[codes[i]!] = folded[codes[i]!]! + totals[i]!;
    for (let i = vectors << 4; i < block.length; i++) folded[block[i]!]!++;
    return true;
  }

  private countScalar(block: Uint8Array | Uint16Array): void {
    // A table entry can take at most `pending` increments: fold well before 2³².
    if (this.pending + block.length > 2 ** 31) this.fold();
    this.pending += block.length;
    const t = (this.tables ??= new Uint32Array(this.u8 ? 4 * 65536 : 65536));
    const folded = this.folded;
    if (!this.u8) {
      for (let i = 0; i < block.length; i++) t[block[i]!]!++;
      return;
    }
    if (block.byteOffset % 4 !== 0) {
      for (let i = 0; i < block.length; i++) folded[block[i]!]!++;
      return;
    }
    const words = new Uint32Array(block.buffer, block.byteOffset, block.length >> 2);
    const pairs = words.length & ~1;
    for (let k = 0; k < pairs; k += 2) {
      const w = words[k]!,
        x = words[k + 1]!;
      t[w & 0xffff]!++;
      t[65536 | (w >>> 16)]!++;
      t[131072 | (x & 0xffff)]!++;
      t[196608 | (x >>> 16)]!++;
    }
    // The bytes after the last pair of words, one by one.
    for (let i = pairs << 2; i < block.length; i++) folded[block[i]!]!++;
  }

  private fold(): void {
    const { tables: t, folded } = this;
    if (!t) return;
    if (this.u8) {
      for (let q = 0; q < t.length; q++) {
        const n = t[q]!;
        if (n === 0) continue;
        const p = q & 0xffff;
        folded[p & 255] = folded[p & 255]! + n;
        folded[p >>> 8] = folded[p >>> 8]! + n;
      }
    } else for (let v = 0; v < t.length; v++) folded[v] = folded[v]! + t[v]!;
    t.fill(0);
    this.pending = 0;
  }

  /** The counts per class code so far (the object is spent). */
  take(): Float64Array {
    this.fold();
    return this.folded;
  }
}

/**
 * Counts of fully covered pixels per class code, in integers: for uint8 four
 * lanes of 256 filled from one 32-bit read per four pixels (so runs of one
 * class do not wait on each other), for uint16 one table. Moved into m² by
 * `flush` whenever the pixel area changes, at the end, and before a lane
 * could overflow.
 */
export class FullCounts {
  readonly hist: Uint32Array;
  /** Pixel area the current counts are in. */
  areaM2 = NaN;
  /** Pixels counted since the last flush (flushed before a lane could overflow). */
  private counted = 0;
  private static readonly LIMIT = 2 ** 32 - 1;
  constructor(
    readonly u8: boolean,
    private readonly into: Float64Array,
  ) {
    this.hist = new Uint32Array(u8 ? 1024 : 65536);
  }

  /** Count block[from…to) (uint8 with its 32-bit view, or uint16). */
  count(block: Uint8Array | Uint16Array, words: Uint32Array | null, from: number, to: number): void {
    const hist = this.hist;
    if (this.counted + (to - from) > FullCounts.LIMIT) this.flush();
    this.counted += to - from;
    countRun(block, words, from, to, hist);
  }

  /** Add counts made elsewhere (per class code, exact integers: an inflate pool's). */
  add(counts: Float64Array): void {
    let total = 0;
    for (let v = 0; v < counts.length; v++) total += counts[v]!;
    if (this.counted + total > FullCounts.LIMIT) this.flush();
    if (total > FullCounts.LIMIT) {
      // More than the integer lanes hold: straight into m².
      for (let v = 0; v < counts.length; v++) if (counts[v] !== 0) this.into[v] = this.into[v]! + counts[v]! * this.areaM2;
      return;
    }
    this.counted += total;
    const hist = this.hist;
    for (let v = 0; v < counts.length; v++) hist[v] = hist[v]! + counts[v]!;
  }

  /** Add the counts × their pixel area to `into` (m² per class code) and clear them. */
  flush(): void {
    const { hist, areaM2, into } = this;
    if (Number.isNaN(areaM2)) return;
    if (this.u8) {
      for (let v = 0; v < 256; v++) {
        const n = hist[v]! + hist[256 | v]! + hist[512 | v]! + hist[768 | v]!;
        if (n !== 0) into[v] = into[v]! + n * areaM2;
      }
    } else {
      for (let v = 0; v < 65536; v++) if (hist[v] !== 0) into[v] = into[v]! + hist[v]! * areaM2;
    }
    hist.fill(0);
    this.counted = 0;
  }

  /** Switch to pixel area `areaM2`, flushing counts made at another area. */
  setArea(areaM2: number): void {
    if (areaM2 === this.areaM2) return;
    this.flush();
    this.areaM2 = areaM2;
  }
}

/** The 32-bit views of uint8 blocks (null for other types or unaligned blocks). */
export function wordViews(blocks: Array<RasterBlock | null>): Array<Uint32Array | null> {
  return blocks.map((b) => (b instanceof Uint8Array && b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.length >> 2) : null));
}
