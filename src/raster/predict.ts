/**
 * predict.wat's floating-point predictor (TIFF predictor 3, sixteen samples at a time), called from
 * floatPredict, and for whole bands of tiles by the slope raster (`BandTiles`). See src/io/wasm.ts for
 * why WebAssembly: the JavaScript loop takes 6 ns per sample, the kernel a fraction of one.
 */
import { ensureMemory, instantiateKernel, type KernelMemory } from '../io/wasm.js';
import { PREDICT_WASM } from './predict.wasm.js';

interface PredictExports {
  memory: KernelMemory;
  float_predict(src: number, width: number, height: number, dst: number): void;
  predict_tiles(band: number, bandWidth: number, tile: number, nodata: number, pad: number, dst: number): void;
}
let kernel: PredictExports | null | undefined;

/** Predictor 3 of `width` × `height` samples of `tile` into `out` (copied in and out); false when WebAssembly is not available. */
export function floatPredictKernel(tile: Float32Array, width: number, height: number, out: Uint8Array): boolean {
  kernel ??= instantiateKernel<PredictExports>(PREDICT_WASM);
  if (!kernel) return false;
  const n = width * height;
  const memory = ensureMemory(kernel.memory, 8 * n);
  new Float32Array(memory, 0, n).set(n === tile.length ? tile : tile.subarray(0, n));
  kernel.float_predict(0, width, height, 4 * n);
  out.set(new Uint8Array(memory, 4 * n, 4 * n));
  return true;
}

/**
 * Bands of `tile` rows cut into predicted tiles, in an instance of the kernel of its own (its memory
 * sized once, never grown, so the tiles it hands out stay valid): two slots of tiles, so that one
 * band's tiles can compress on libuv's threads while the next band's are made.
 */
export class BandTiles {
  private constructor(
    private readonly k: PredictExports,
    readonly bandWidth: number,
    readonly tile: number,
    readonly nodata: number,
  ) {}

  /** Null when WebAssembly is not available (the caller lays out and predicts tiles itself). */
  static create(bandWidth: number, tile: number, nodata: number): BandTiles | null {
    const k = instantiateKernel<PredictExports>(PREDICT_WASM);
    if (!k) return null;
    const t = new BandTiles(k, bandWidth, tile, nodata);
    ensureMemory(k.memory, t.slotAt(2));
    return t;
  }

  private get tilesAcross(): number {
    return Math.ceil(this.bandWidth / this.tile);
  }

  /** Byte layout: the band, a padded row, then the slots of tiles. */
  private slotAt(slot: number): number {
    const bandBytes = this.bandWidth * this.tile * 4;
    return bandBytes + this.tile * 4 + slot * this.tilesAcross * this.tile * this.tile * 4;
  }

  /**
   * The tiles of `band` (tile rows of bandWidth samples) in slot 0 or 1, as views of the kernel's
   * memory: valid until the same slot is asked for again.
   */
  predict(band: Float32Array, slot: 0 | 1): Uint8Array[] {
    const { k, bandWidth, tile } = this;
    if (band.length !== bandWidth * tile) throw new Error(`BandTiles: a band of ${band.length} samples, not ${bandWidth} × ${tile}`);
    const memory = k.memory.buffer;
    new Float32Array(memory, 0, band.length).set(band);
    const dst = this.slotAt(slot);
    k.predict_tiles(0, bandWidth, tile, this.nodata, bandWidth * tile * 4, dst);
    const bytes = tile * tile * 4;
    return Array.from({ length: this.tilesAcross }, (_, i) => new Uint8Array(memory, dst + i * bytes, bytes));
  }
}
