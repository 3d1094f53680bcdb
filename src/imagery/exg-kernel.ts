/**
 * exg.wat for one classification of an 8-bit RGB(A) orthophoto with ExG: an instance of its own, its
 * memory laid out once and never grown (the views handed out stay valid):
 *   table (256 × 511 codes) · counters (4 lanes × A, B × 256 u32) · the block being classified · its
 *   internal mask · region A · region B.
 * Pass 1 (index codes): region A holds the histogram's and the license's masks for a band of `tile`
 * rows (row-major, filled by the caller), region B two slots of the band's index tiles (tile-major:
 * each tile's bytes together, handed to the writer as they are, one slot written while the other's
 * tiles are written out). Pass 2 (classes): region A holds a row of index tiles read back, region B two
 * slots of class tiles. See src/io/wasm.ts for why WebAssembly.
 */
import { instantiateKernel, type KernelMemory } from '../io/wasm.js';
import { EXG_WASM } from './exg.wasm.js';

interface ExgExports {
  memory: KernelMemory;
  exg_span(src: number, bands: number, n: number, dst: number, hist: number, inside: number, pmask: number, iR: number, iG: number, iB: number, iA: number, nodata: number, ratio: number, table: number, counts: number): void;
  classes(src: number, n: number, dst: number, firstGreen: number): void;
}

const align = (n: number): number => Math.ceil(n / 64) * 64;
const TABLE = 0;
const COUNTS = 131072;
const BLOCK = COUNTS + 8192;

export interface ExgLayout {
  width: number;
  tile: number;
  /** Bytes and pixels of one decoded block. */
  blockBytes: number;
  blockPixels: number;
  /** The histogram's and the license's masks are kept (a license was given). */
  masks: boolean;
  /** exgTable's codes, indexed 511·G + R + B. */
  table: Uint8Array;
}

export class ExgKernel {
  readonly tilesAcross: number;
  readonly tileBytes: number;
  /** Pass 1's masks for the band being classified (width × tile, row-major); empty without a license. */
  readonly histMask: Uint8Array;
  readonly insideMask: Uint8Array;
  private readonly pmask: number;
  private readonly regionA: number;
  private readonly regionB: number;
  private readonly memory: ArrayBuffer;

  private constructor(
    private readonly k: ExgExports,
    readonly layout: ExgLayout,
  ) {
    const { width, tile, blockBytes, blockPixels, masks } = layout;
    this.tilesAcross = Math.ceil(width / tile);
    this.tileBytes = tile * tile;
    const rowBytes = this.tilesAcross * this.tileBytes;
    this.pmask = align(BLOCK + blockBytes);
    this.regionA = align(this.pmask + blockPixels);
    this.regionB = align(this.regionA + Math.max(masks ? 2 * width * tile : 0, rowBytes));
    const end = this.regionB + 2 * rowBytes;
    const have = k.memory.buffer.byteLength;
    if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
    this.memory = k.memory.buffer;
    new Uint8Array(this.memory, TABLE, layout.table.length).set(layout.table);
    this.histMask = new Uint8Array(this.memory, this.regionA, masks ? width * tile : 0);
    this.insideMask = new Uint8Array(this.memory, this.regionA + width * tile, masks ? width * tile : 0);
  }

  /** Null where WebAssembly does not run (the caller's JavaScript kernel classifies). */
  static create(layout: ExgLayout): ExgKernel | null {
    const k = instantiateKernel<ExgExports>(EXG_WASM);
    if (!k) return null;
    try {
      return new ExgKernel(k, layout);
    } catch {
      // No room to grow the memory to this image's band: the JavaScript kernel classifies.
      return null;
    }
  }

  private slotAt(slot: number): number {
    return this.regionB + slot * this.tilesAcross * this.tileBytes;
  }

  /** Slot `slot` of region B, all `code` (the band's pixels past the image keep it). */
  clearSlot(slot: 0 | 1, code: number): void {
    new Uint8Array(this.memory, this.slotAt(slot), this.tilesAcross * this.tileBytes).fill(code);
  }

  /** Tile tx of slot `slot` (a view of the kernel's memory, valid until the slot is written again). */
  tileOf(slot: 0 | 1, tx: number): Uint8Array {
    return new Uint8Array(this.memory, this.slotAt(slot) + tx * this.tileBytes, this.tileBytes);
  }

  /** The block to classify, and its internal mask (1 = data) or null. */
  loadBlock(block: Uint8Array, mask: Uint8Array | null): void {
    new Uint8Array(this.memory, BLOCK, block.length).set(block);
    if (mask) new Uint8Array(this.memory, this.pmask, mask.length).set(mask);
  }

  /**
   * `n` pixels of the loaded block from pixel `p` (its row-major index; the mask's too) to band row `r`,
   * columns c … c + n − 1 (one tile), into slot `slot`: exgKernel's rules (see exg.wat).
   */
  span(p: number, n: number, r: number, c: number, slot: 0 | 1, bands: number, roles: { iR: number; iG: number; iB: number; iA: number }, nodata: number, ratio: number, masked: boolean): void {
    const { tile, width } = this.layout;
    const tx = Math.floor(c / tile);
    const dst = this.slotAt(slot) + tx * this.tileBytes + r * tile + (c - tx * tile);
    const masks = this.histMask.length > 0;
    this.k.exg_span(
      BLOCK + p * bands,
      bands,
      n,
      dst,
      masks ? this.regionA + r * width + c : 0,
      masks ? this.regionA + width * tile + r * width + c : 0,
      masked ? this.pmask + p : 0,
      roles.iR,
      roles.iG,
      roles.iB,
      roles.iA,
      nodata,
      ratio,
      TABLE,
      COUNTS,
    );
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

  /** Pass 2: where a row of index tiles is read back (region A, tile-major). */
  indexRow(): Uint8Array {
    return new Uint8Array(this.memory, this.regionA, this.tilesAcross * this.tileBytes);
  }

  /** Pass 2: the read row's index tiles to class tiles in slot `slot` (bins from `firstGreen` on are green). */
  classes(slot: 0 | 1, firstGreen: number): void {
    this.k.classes(this.regionA, this.tilesAcross * this.tileBytes, this.slotAt(slot), firstGreen);
  }
}
