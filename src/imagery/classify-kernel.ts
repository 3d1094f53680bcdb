/**
 * classify.wat for one classification of a single image: an instance of its own, its memory laid out
 * once and never grown (the views handed out stay valid):
 *   ExG table (256 × 511 codes) · counters (8 lanes × A, B × 256 u32) · reflectance table (a double per
 *   sample value, 8- and 16-bit images) · the block being classified (its bytes) · its internal mask ·
 *   index_span's scratch · one or two slots of a band of tiles.
 * Pass 1 (index codes): a slot holds the band's index tiles (tile-major: each tile's bytes together,
 * handed to the writer as they are; the writer writes a band out before the next is classified, so one
 * slot does). Pass 2 (classes) here, where the inflate pool does not run it: a row of index tiles is read
 * back into one slot while the other is mapped to classes in place and its tiles coded. See
 * src/io/wasm.ts for why WebAssembly.
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
const NORM = COUNTS + 16384;
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

/** Index codes: bins 0 … BINS − 1, then water, shadow and no data. */
export const BINS = 250;
export const CODE_WATER = 251;
export const CODE_SHADOW = 252;
export const CODE_NODATA = 253;

/** The classes raster's codes (classify.wat's `classes` writes the same). */
export const CLASS_CODES = { nodata: 0, green: 1, bare: 2, water: 3, shadow: 4 } as const;

/** Index code → class: bins from `firstGreen` on green, below it bare; water, shadow, no data (classify.wat's `classes` as a table). */
export function classLut(firstGreen: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let c = 0; c < BINS; c++) lut[c] = c >= firstGreen ? CLASS_CODES.green : CLASS_CODES.bare;
  lut[CODE_WATER] = CLASS_CODES.water;
  lut[CODE_SHADOW] = CLASS_CODES.shadow;
  lut[CODE_NODATA] = CLASS_CODES.nodata;
  return lut;
}

/**
 * Index codes to classes off the main thread (an inflate worker's, classify's second pass): `classes` in
 * WebAssembly, in place in its memory, else through classLut.
 */
export class ClassMapper {
  private k: ClassifyExports | null = instantiateKernel<ClassifyExports>(CLASSIFY_WASM);
  private out = new Uint8Array(0);

  /** The classes of `codes` (a view valid until the next call). */
  map(codes: Uint8Array, firstGreen: number): Uint8Array {
    if (this.k) {
      try {
        const view = new Uint8Array(ensureMemory(this.k.memory, codes.length), 0, codes.length);
        view.set(codes);
        this.k.classes(0, codes.length, 0, firstGreen);
        return view;
      } catch {
        // No room to grow its memory: the table from now on.
        this.k = null;
      }
    }
    const lut = classLut(firstGreen);
    if (this.out.length < codes.length) this.out = new Uint8Array(codes.length);
    for (let i = 0; i < codes.length; i++) this.out[i] = lut[codes[i]!]!;
    return this.out.subarray(0, codes.length);
  }
}

/**
 * ExG of 8-bit RGB through a table: with X = R + B and S = G + X (integers), ExG + 1 = 3G ÷ S, so on ExG's
 * range [−1, 2] in 250 bins the bin is ⌊250·G ÷ S⌋ exactly (at most 249; black, S = 0, is ExG 0: bin 83), and
 * the shadow rule depends on S alone: one table of 256 × 511 codes indexed by (G, X) — 128 KB, so it stays in
 * the core's cache — replaces the floating-point work per pixel; water (blue above 1.4 × red and above green,
 * mean below 0.35) is tested in integers. The same rules as the kernel, decided in exact arithmetic where the
 * kernel rounds (773 of the table's 130 305 (G, X) pairs lie exactly on a bin's edge, where the kernel's
 * doubles may fall one bin lower): the tests allow 0.1 % against the reference. classify.wat's SIMD path
 * computes the same codes sixteen pixels at a time (a float32 quotient of these integers floors exactly).
 */
export function exgTable(K: { shadow: number; lo: number; hi: number; binScale: number }): Uint8Array {
  if (K.lo !== -1 || K.hi !== 2) throw new Error(`exgTable: ExG's range is [-1, 2], not [${K.lo}, ${K.hi}]`);
  const table = new Uint8Array(256 * 511);
  const shadowSum = exgShadowSum(K.shadow);
  for (let g = 0; g < 256; g++) {
    for (let x = 0; x <= 510; x++) {
      const sum = g + x;
      table[g * 511 + x] = sum < shadowSum ? CODE_SHADOW : sum === 0 ? Math.floor(-K.lo * K.binScale) : Math.min(BINS - 1, Math.floor((BINS * g) / sum));
    }
  }
  return table;
}

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

/**
 * exg_span's or nir_span's arguments but the pixels': a plain object, so that it can cross to an inflate
 * worker, which classifies whole blocks as it inflates them (BlockClassifier).
 */
export interface BlockRules {
  kind: 'exg' | 'nir';
  bands: number;
  /** 1 for 16-bit samples (nir only), else 0. */
  wide: number;
  iR: number;
  iG: number;
  iB: number;
  iN: number;
  iA: number;
  /** The no-data sample value, or −1 (none, or none a sample can equal). */
  nodata: number;
  shadowSum: number;
  /** exg: the water ratio (NaN for 1.4, tested in integers), and what its table is made from. */
  ratio: number;
  shadow: number;
  lo: number;
  hi: number;
  binScale: number;
}

/** The rules of classify.ts for exg_span (8-bit RGB, ExG) or nir_span (NDVI of 8- or 16-bit samples). */
export function blockRules(kind: 'exg' | 'nir', R: SpanRules, bands: number, sampleBytes: number): BlockRules {
  const maxSample = sampleBytes === 1 ? 255 : 65535;
  const nodata = R.hasNodata === 1 && Number.isInteger(R.nodata) && R.nodata >= 0 && R.nodata <= maxSample ? R.nodata : -1;
  return {
    kind,
    bands,
    wide: sampleBytes - 1,
    iR: R.iR,
    iG: R.iG,
    iB: R.iB,
    iN: R.iN,
    iA: R.iA,
    nodata,
    shadowSum: kind === 'exg' ? exgShadowSum(R.shadow) : nirShadowSum(R.shadow, R.scale, R.iB >= 0 ? 4 : 3, maxSample),
    ratio: R.blueRatio === 1.4 ? Number.NaN : R.blueRatio,
    shadow: R.shadow,
    lo: R.lo,
    hi: R.hi,
    binScale: R.binScale,
  };
}

function runSpan(k: ClassifyExports, b: BlockRules, src: number, n: number, dst: number, pmask: number): void {
  if (b.kind === 'exg') k.exg_span(src, b.bands, n, dst, pmask, b.iR, b.iG, b.iB, b.iA, b.nodata, b.ratio, TABLE, b.shadowSum);
  else k.nir_span(src, b.wide, b.bands, n, dst, pmask, b.iR, b.iG, b.iB, b.iN, b.iA, b.nodata, b.shadowSum);
}

/**
 * Whole blocks to index codes where they are inflated (an inflate worker, raster/inflate-worker.ts): the
 * block is in this core's cache, and the main thread gets a quarter of a 4-band block's bytes back.
 * Internal masks are not handled here (the caller classifies masked images itself).
 */
export class BlockClassifier {
  private constructor(
    private readonly k: ClassifyExports,
    private readonly rules: BlockRules,
  ) {}

  /** Null where WebAssembly does not run. */
  static create(rules: BlockRules): BlockClassifier | null {
    const k = instantiateKernel<ClassifyExports>(CLASSIFY_WASM);
    if (!k) return null;
    try {
      if (rules.kind === 'exg') {
        const table = exgTable(rules);
        new Uint8Array(ensureMemory(k.memory, TABLE + table.length), TABLE, table.length).set(table);
      }
    } catch {
      return null;
    }
    return new BlockClassifier(k, rules);
  }

  /** The codes of a block's first `pixels` pixels (`bytes`: their samples as decoded), row-major, in a buffer of their own. */
  classify(bytes: Uint8Array, pixels: number): Uint8Array {
    const src = align(NORM);
    const dst = align(src + bytes.length);
    const memory = ensureMemory(this.k.memory, dst + pixels);
    new Uint8Array(memory, src, bytes.length).set(bytes);
    runSpan(this.k, this.rules, src, pixels, dst, 0);
    return new Uint8Array(memory, dst, pixels).slice();
  }
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
  /** Band slots in region B: 2 (default; pass 2 reads the next row into one while the other is mapped), or 1 when pass 2 runs elsewhere. */
  slots?: 1 | 2;
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
  private readonly bytes: Uint8Array;
  /** Band slots in region B (see ClassifyLayout.slots). */
  readonly slots: 1 | 2;

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
    this.slots = layout.slots ?? 2;
    this.memory = ensureMemory(k.memory, this.regionB + this.slots * rowBytes);
    this.bytes = new Uint8Array(this.memory);
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
    if (slot >= this.slots) throw new Error(`ClassifyKernel: slot ${slot} of ${this.slots}`);
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

  /** The rules as exg_span's or nir_span's arguments, for the loaded block's sample size (made once). */
  private spanRules: BlockRules | null = null;

  /**
   * `n` pixels of the loaded block from pixel `p` (its row-major index; the mask's too) to band row `r`,
   * columns c … c + n − 1 (one tile), into slot `slot`: classify.ts's rules (see classify.wat).
   */
  span(p: number, n: number, r: number, c: number, slot: 0 | 1, bands: number, R: SpanRules, masked: boolean): void {
    const { table } = this.layout;
    const dst = this.at(slot, r, c);
    const pmask = masked ? this.pmask + p : 0;
    if (table || this.layout.nir) {
      if (this.spanRules?.wide !== this.sampleBytes - 1) this.spanRules = blockRules(table ? 'exg' : 'nir', R, bands, this.sampleBytes);
      runSpan(this.k, this.spanRules, this.block + p * bands * this.sampleBytes, n, dst, pmask);
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
        R.hasNodata === 1 ? R.nodata : Number.NaN,
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

  /** Codes of a block classified elsewhere (BlockClassifier, row-major like the block), for placeCodes. */
  loadCodes(codes: Uint8Array): void {
    this.bytes.set(codes, this.block);
  }

  /** `n` codes of the loaded codes from pixel `p` to band row `r`, columns c … c + n − 1 (one tile), of slot `slot`. */
  placeCodes(p: number, n: number, r: number, c: number, slot: 0 | 1): void {
    this.bytes.copyWithin(this.at(slot, r, c), this.block + p, this.block + p + n);
  }

  /** A block's codes that are a whole tile's first `rows` rows (the block one tile wide, its rows the band's first), straight into tile `tx` of slot `slot`. */
  placeTile(codes: Uint8Array, rows: number, tx: number, slot: 0 | 1): void {
    this.bytes.set(codes.subarray(0, rows * this.layout.tile), this.slotAt(slot) + tx * this.tileBytes);
  }

  /** Count the first `rows` rows of tile `tx` of slot `slot` (all in the tile's columns: see count) into A or B. */
  countTile(slot: 0 | 1, tx: number, rows: number, which: 0 | 1): void {
    this.k.count(this.slotAt(slot) + tx * this.tileBytes, rows * this.layout.tile, which, COUNTS);
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
    const counts = new Uint32Array(this.memory, COUNTS, 4096);
    for (let c = 0; c < 256; c++) {
      let a = 0;
      let b = 0;
      for (let lane = 0; lane < 8; lane++) {
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
