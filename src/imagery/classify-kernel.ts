/**
 * classify.wat for one classification of a single image: an instance of its own, its memory laid out
 * once and never grown (the views handed out stay valid):
 *   ExG table (256 × 511 codes) · counters (4 lanes × A, B × 256 u32) · reflectance table (a double per
 *   sample value, 8- and 16-bit images) · the block being classified (its bytes) · its internal mask ·
 *   index_span's scratch · two slots of a band of tiles.
 * Pass 1 (index codes): the slots hold the band's index tiles (tile-major: each tile's bytes together,
 * handed to the writer as they are, one slot written while the other's tiles are written out). Pass 2
 * (classes): a row of index tiles is read back into a slot while the other is mapped to classes in
 * place and its tiles coded. See src/io/wasm.ts for why WebAssembly.
 */
import { ensureMemory, instantiateKernel, type KernelMemory } from '../io/wasm.js';
import type { RasterBlock } from '../raster/reader.js';
import { CLASSIFY_WASM } from './classify.wasm.js';

interface ClassifyExports {
  memory: KernelMemory;
  exg_span(src: number, bands: number, n: number, dst: number, pmask: number, iR: number, iG: number, iB: number, iA: number, nodata: number, ratio: number, table: number, shadowSum: number): void;
  nir_span(src: number, wide: number, bands: number, n: number, dst: number, pmask: number, iR: number, iG: number, iB: number, iN: number, iA: number, nodata: number, shadowSum: number): void;
  count(dst: number, n: number, which: number, counts: number): void;
  index_span(
    src: number,
    type: number,
    bands: number,
    n: number,
    dst: number,
    pmask: number,
    iR: number,
    iG: number,
    iB: number,
    iN: number,
    iS: number,
    iA: number,
    nodata: number,
    scale: number,
    norm: number,
    shadow: number,
    ratio: number,
    method: number,
    lo: number,
    hi: number,
    binScale: number,
    scratch: number,
  ): void;
  classes(src: number, n: number, dst: number, firstGreen: number): void;
}

const align = (n: number): number => Math.ceil(n / 64) * 64;
const TABLE = 0;
const COUNTS = 131072;
const NORM = COUNTS + 8192;
/** index_span's planes (6 × 512 doubles) and marks (512 bytes): runs are at most 512 pixels. */
const SCRATCH_BYTES = 6 * 4096 + 512;
export const MAX_SPAN = 512;
/** Typed arrays by index_span's sample type code. */
const TYPE_CODES = new Map<unknown, number>([
  [Uint8Array, 0],
  [Int8Array, 1],
  [Uint16Array, 2],
  [Int16Array, 3],
  [Uint32Array, 4],
  [Int32Array, 5],
  [Float32Array, 6],
  [Float64Array, 7],
]);

/** The shadow rule for 8-bit RGB as an integer: mean < shadow ⟺ R + G + B < ⌈765 · shadow⌉ (at most 766: every sum is below it). */
export function exgShadowSum(shadow: number): number {
  return Math.max(0, Math.min(766, Math.ceil(shadow * 765)));
}

/**
 * The shadow rule of NDVI on 8- or 16-bit samples as an integer: the mean reflectance, the bands' sum
 * (`bands` of them: blue, green, red and NIR, or without blue) ÷ (bands · scale) in doubles, is below
 * `shadow` ⟺ the sum is below the value returned (at most one above the largest sum: every sum is below
 * it). The smallest sum whose quotient is not below `shadow`, found by testing the quotients themselves:
 * 4 · 10 000 · 0.07 is 2 800.0000000000005 in doubles, but 2 800 ÷ 40 000 is 0.07's double, not below it.
 */
export function nirShadowSum(shadow: number, scale: number, bands: 3 | 4, maxSample: number): number {
  const divisor = bands * scale;
  const top = bands * maxSample + 1;
  if (!(shadow > 0)) return 0;
  let sum = Math.max(0, Math.floor(divisor * shadow) - 2);
  if (sum >= top) return top;
  while (sum < top && sum / divisor < shadow) sum++;
  return sum;
}

export interface ClassifyLayout {
  width: number;
  tile: number;
  /** Bytes and pixels of one decoded block. */
  blockBytes: number;
  blockPixels: number;
  /** exgTable's codes (indexed 511·G + R + B) for 8-bit RGB with ExG; null: index_span on doubles. */
  table: Uint8Array | null;
  /** Reflectance per sample value (8- and 16-bit images), or null (divided by the scale). */
  norm: Float64Array | null;
  /** NDVI of 8- or 16-bit unsigned samples, decided in integers (nir_span); else index_span on doubles. */
  nir?: boolean;
}

/** What the rules need: band roles (−1 absent), no data, reflectance scale, shadow and water levels, the index and its bins (classify.ts's Kernel extends it). */
export interface SpanRules {
  iR: number;
  iG: number;
  iB: number;
  iN: number;
  iS: number;
  iA: number;
  nodata: number;
  hasNodata: number;
  scale: number;
  shadow: number;
  blueRatio: number;
  method: number;
  lo: number;
  hi: number;
  binScale: number;
}

export class ClassifyKernel {
  readonly tilesAcross: number;
  readonly tileBytes: number;
  private readonly block: number;
  private readonly pmask: number;
  private readonly scratch: number;
  private readonly regionB: number;
  private readonly memory: ArrayBuffer;

  private constructor(
    private readonly k: ClassifyExports,
    readonly layout: ClassifyLayout,
  ) {
    const { width, tile, blockBytes, blockPixels, table, norm } = layout;
    this.tilesAcross = Math.ceil(width / tile);
    this.tileBytes = tile * tile;
    const rowBytes = this.tilesAcross * this.tileBytes;
    this.block = align(NORM + (norm ? norm.byteLength : 0));
    this.pmask = align(this.block + blockBytes);
    this.scratch = align(this.pmask + blockPixels);
    this.regionB = align(this.scratch + SCRATCH_BYTES);
    this.memory = ensureMemory(k.memory, this.regionB + 2 * rowBytes);
    if (table) new Uint8Array(this.memory, TABLE, table.length).set(table);
    if (norm) new Float64Array(this.memory, NORM, norm.length).set(norm);
  }

  /** Null where WebAssembly does not run (the caller's JavaScript kernel classifies). */
  static create(layout: ClassifyLayout): ClassifyKernel | null {
    const k = instantiateKernel<ClassifyExports>(CLASSIFY_WASM);
    if (!k) return null;
    try {
      return new ClassifyKernel(k, layout);
    } catch {
      // No room to grow the memory to this image's band: the JavaScript kernel classifies.
      return null;
    }
  }

  private slotAt(slot: number): number {
    return this.regionB + slot * this.tilesAcross * this.tileBytes;
  }

  /**
   * Slot `slot` of region B made ready for a band of `rows` image rows: its pixels past the image (the
   * last tile's columns past the width, the rows past the height) set to `code`; every other byte is
   * written by the spans.
   */
  clearSlot(slot: 0 | 1, code: number, rows: number): void {
    const { width, tile } = this.layout;
    const start = this.slotAt(slot);
    if (rows < tile) {
      new Uint8Array(this.memory, start, this.tilesAcross * this.tileBytes).fill(code);
      return;
    }
    const lastCols = width - (this.tilesAcross - 1) * tile;
    if (lastCols === tile) return;
    const last = new Uint8Array(this.memory, start + (this.tilesAcross - 1) * this.tileBytes, this.tileBytes);
    for (let r = 0; r < tile; r++) last.fill(code, r * tile + lastCols, (r + 1) * tile);
  }

  /** Tile tx of slot `slot` (a view of the kernel's memory, valid until the slot is written again). */
  tileOf(slot: 0 | 1, tx: number): Uint8Array {
    return new Uint8Array(this.memory, this.slotAt(slot) + tx * this.tileBytes, this.tileBytes);
  }

  /** Sample type of the loaded block (index_span's code) and its bytes per sample. */
  private type = 0;
  private sampleBytes = 1;

  /** The block to classify (its bytes as they are), and its internal mask (1 = data) or null. */
  loadBlock(block: RasterBlock, mask: Uint8Array | null): void {
    const type = TYPE_CODES.get(block.constructor);
    if (type === undefined) throw new Error(`ClassifyKernel: blocks of ${block.constructor.name} are not classified here`);
    if (this.layout.nir && type !== 0 && type !== 2) throw new Error(`ClassifyKernel: NDVI in integers classifies 8- and 16-bit unsigned blocks, not ${block.constructor.name}`);
    this.type = type;
    this.sampleBytes = block.BYTES_PER_ELEMENT;
    new Uint8Array(this.memory, this.block, block.byteLength).set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
    if (mask) new Uint8Array(this.memory, this.pmask, mask.length).set(mask);
  }

  /**
   * `n` pixels of the loaded block from pixel `p` (its row-major index; the mask's too) to band row `r`,
   * columns c … c + n − 1 (one tile), into slot `slot`: classify.ts's rules (see classify.wat).
   */
  span(p: number, n: number, r: number, c: number, slot: 0 | 1, bands: number, R: SpanRules, masked: boolean): void {
    const { table } = this.layout;
    const dst = this.at(slot, r, c);
    const pmask = masked ? this.pmask + p : 0;
    const nodata = R.hasNodata === 1 ? R.nodata : Number.NaN;
    if (table) {
      // The image's no-data value as an 8-bit sample (−1: none, or none a sample can equal); the water ratio NaN for 1.4 (tested in integers).
      const nd = Number.isInteger(nodata) && nodata >= 0 && nodata <= 255 ? nodata : -1;
      this.k.exg_span(this.block + p * bands, bands, n, dst, pmask, R.iR, R.iG, R.iB, R.iA, nd, R.blueRatio === 1.4 ? Number.NaN : R.blueRatio, TABLE, exgShadowSum(R.shadow));
    } else if (this.layout.nir) {
      const maxSample = this.sampleBytes === 1 ? 255 : 65535;
      const nd = Number.isInteger(nodata) && nodata >= 0 && nodata <= maxSample ? nodata : -1;
      const shadowSum = nirShadowSum(R.shadow, R.scale, R.iB >= 0 ? 4 : 3, maxSample);
      this.k.nir_span(this.block + p * bands * this.sampleBytes, this.sampleBytes - 1, bands, n, dst, pmask, R.iR, R.iG, R.iB, R.iN, R.iA, nd, shadowSum);
    } else {
      if (n > MAX_SPAN) throw new Error(`ClassifyKernel: a run of ${n} pixels (at most ${MAX_SPAN})`);
      this.k.index_span(
        this.block + p * bands * this.sampleBytes,
        this.type,
        bands,
        n,
        dst,
        pmask,
        R.iR,
        R.iG,
        R.iB,
        R.iN,
        R.iS,
        R.iA,
        nodata,
        R.scale,
        this.layout.norm ? NORM : 0,
        R.shadow,
        R.blueRatio,
        R.method,
        R.lo,
        R.hi,
        R.binScale,
        this.scratch,
      );
    }
  }

  /** Where band row r, column c of slot `slot` is (tile-major). */
  private at(slot: 0 | 1, r: number, c: number): number {
    const { tile } = this.layout;
    const tx = Math.floor(c / tile);
    return this.slotAt(slot) + tx * this.tileBytes + r * tile + (c - tx * tile);
  }

  /** Count the codes of band row r, columns [a, b) (within one tile) of slot `slot`: in A (0: the license's, or all without one) or B (1: the buffer's). */
  count(slot: 0 | 1, r: number, a: number, b: number, which: 0 | 1): void {
    this.k.count(this.at(slot, r, a), b - a, which, COUNTS);
  }

  /**
   * Adds the counters to the caller's and zeroes them: codeCounts (inside the license, or everywhere)
   * gets A; the histogram (bins below `bins`) gets A + B.
   */
  takeCounts(codeCounts: Float64Array, hist: Float64Array, bins: number): void {
    const counts = new Uint32Array(this.memory, COUNTS, 2048);
    for (let c = 0; c < 256; c++) {
      let a = 0;
      let b = 0;
      for (let lane = 0; lane < 4; lane++) {
        a += counts[lane * 512 + c]!;
        b += counts[lane * 512 + 256 + c]!;
      }
      codeCounts[c]! += a;
      if (c < bins) hist[c]! += a + b;
    }
    counts.fill(0);
  }

  /** Pass 2: slot `slot`, where a row of index tiles is read back (tile-major, as pass 1 wrote them). */
  indexRow(slot: 0 | 1): Uint8Array {
    return new Uint8Array(this.memory, this.slotAt(slot), this.tilesAcross * this.tileBytes);
  }

  /** Pass 2: the index tiles read into slot `slot` to class tiles, in place (bins from `firstGreen` on are green). */
  classes(slot: 0 | 1, firstGreen: number): void {
    this.k.classes(this.slotAt(slot), this.tilesAcross * this.tileBytes, this.slotAt(slot), firstGreen);
  }
}
