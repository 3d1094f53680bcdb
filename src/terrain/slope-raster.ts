/**
 * A slope raster (degrees, as `gdaldem slope -compute_edges`) written as a
 * tiled DEFLATE float32 GeoTIFF, one band of 256 rows in memory at a time.
 * The output is checked against the DEM (never over it) and written
 * atomically (a failure leaves no file).
 *
 * The slope rows and the tiles' predictor run in WebAssembly (slope.wat,
 * predict.wat); the DEM inflates on the pool's workers, a block row ahead, and
 * tiles compress on libuv's thread pool (see writeTiledTiff). On four cores or
 * more (and from the built JavaScript) a worker thread computes the right half
 * of each band while this thread computes the left half, one band ahead at
 * most. Both halves read the DEM with a one-column halo, so the seam is
 * invisible: the same floats as one thread.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { GreenmineError } from '../errors.js';
import { checkOutput } from '../io/files.js';
import { startWorker } from '../io/worker-argv.js';
import { RasterReader, writeTiledTiff } from '../raster/index.js';
import { BandTiles } from '../raster/predict.js';
import { floatPredict } from '../raster/writer.js';
import { type SlopeAlgorithm, SlopeRows } from './slope.js';

const TILE = 256;
export const NODATA = -9999;

export interface SlopeBandJob {
  demPath: string;
  algorithm: SlopeAlgorithm;
  colStart: number;
  colEnd: number;
}

/** Slope rows [ty·256, ty·256 + 256) of columns [colStart, colEnd) into `out` (rows of colEnd − colStart), nodata as −9999 (`slopes` made with that `missing` value). */
export async function slopeBand(slopes: SlopeRows, ty: number, colStart: number, colEnd: number, out: Float32Array): Promise<void> {
  if (!Object.is(slopes.missing, NODATA)) throw new Error(`slopeBand: the slope rows must give ${NODATA} where there is no slope`);
  const height = slopes.reader.info.height;
  const w = colEnd - colStart;
  out.fill(NODATA);
  const rows = Math.min(TILE, height - ty * TILE);
  const from = colStart - slopes.offset;
  for (let r = 0; r < rows; r++) out.set((await slopes.row(ty * TILE + r)).subarray(from, from + w), r * w);
}

/** The tile at column x0 of a band (rows `bandWidth` wide) into `out`, row by row (a memory copy each); columns past the band are nodata. */
function layTile(band: Float32Array, bandWidth: number, x0: number, out: Float32Array): void {
  const n = Math.min(TILE, bandWidth - x0);
  for (let r = 0; r < TILE; r++) {
    out.set(band.subarray(r * bandWidth + x0, r * bandWidth + x0 + n), r * TILE);
    if (n < TILE) out.fill(NODATA, r * TILE + n, (r + 1) * TILE);
  }
}

/**
 * The tiles of a band of columns [colStart, width) (rows of `band`, `bandWidth` wide), laid out and
 * put through the floating-point predictor, ready for the writer: the worker does this for its half,
 * so the main thread only compresses and writes them. With `kernel` (BandTiles of that width) in
 * WebAssembly, copied out of its memory; else here.
 */
export function predictedTiles(band: Float32Array, bandWidth: number, kernel: BandTiles | null): Uint8Array[] {
  if (kernel) return kernel.predict(band, 0).map((t) => t.slice());
  const tiles: Uint8Array[] = [];
  const tile = new Float32Array(TILE * TILE);
  for (let x0 = 0; x0 < bandWidth; x0 += TILE) {
    layTile(band, bandWidth, x0, tile);
    const bytes = new Uint8Array(TILE * TILE * 4);
    floatPredict(tile, TILE, TILE, bytes);
    tiles.push(bytes);
  }
  return tiles;
}

/** The worker's side: a band's tiles on each request ({ ty }), posted back transferred. */
class BandWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (tiles: Uint8Array[]) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(job: SlopeBandJob) {
    this.worker = startWorker(new URL('./slope-raster-worker.js', import.meta.url), { workerData: job });
    this.worker.on('message', (m: { ty: number; tiles?: Uint8Array[]; error?: { code: string; message: string } }) => {
      const w = this.waiting.get(m.ty);
      this.waiting.delete(m.ty);
      if (m.error) this.fail(new GreenmineError(m.error.code as 'TERRAIN_WORKER', m.error.message, { file: job.demPath }));
      else w?.resolve(m.tiles!);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new GreenmineError('TERRAIN_WORKER', `the slope worker exited (code ${code})`, { file: job.demPath })));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  request(ty: number): Promise<Uint8Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    const p = new Promise<Uint8Array[]>((resolve, reject) => this.waiting.set(ty, { resolve, reject }));
    p.catch(() => undefined);
    this.worker.postMessage({ ty });
    return p;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

export async function writeSlopeRaster(demPath: string, outPath: string, options: { algorithm?: SlopeAlgorithm; threads?: number } = {}): Promise<{ width: number; height: number }> {
  checkOutput(outPath, [demPath], 'slope raster');
  const reader = await RasterReader.open(demPath);
  let helper: BandWorker | null = null;
  try {
    const { width, height, transform, crs } = reader.info;
    if (crs.epsg === null) throw new GreenmineError('CRS_UNSUPPORTED', `${demPath}: the slope raster is written with an EPSG code; this DEM has a custom CRS`, { file: demPath });
    const algorithm = options.algorithm ?? 'horn';
    // Split at a tile boundary near the middle, when asked or on four cores or more. On two cores this
    // thread is not the limit (inflating the DEM and compressing tiles on the other threads are): a
    // second computing thread cost more than it gave (16 000²: 13.2 s split, 10.4 s not).
    const threads = options.threads ?? (availableParallelism() >= 4 ? 2 : 1);
    const seam = Math.round(width / 2 / TILE) * TILE;
    const split = threads > 1 && import.meta.url.endsWith('.js') && seam > 0 && seam < width && (options.threads !== undefined || width * height >= 1 << 22);
    const leftEnd = split ? seam : width;
    const slopes = new SlopeRows(reader, algorithm, 0, leftEnd, NODATA);
    helper = split ? new BandWorker({ demPath, algorithm, colStart: seam, colEnd: width }) : null;
    const left = new Float32Array(leftEnd * TILE);
    // This half's tiles laid out and predicted in WebAssembly, two bands' worth (one compressing while
    // the next is made); without it the writer lays out (fill) and predicts them.
    const kernel = BandTiles.create(leftEnd, TILE, NODATA);
    let mine: Uint8Array[] | null = null;
    let right: Uint8Array[] = [];
    let next: Promise<Uint8Array[]> | null = helper ? helper.request(0) : null;
    const tilesDown = Math.ceil(height / TILE);
    await writeTiledTiff(
      outPath,
      {
        width,
        height,
        tileSize: TILE,
        type: 'float32',
        deflate: true,
        predictor: 3,
        level: 1,
        strategy: 'rle',
        originX: transform[0],
        originY: transform[3],
        pixelSize: transform[1],
        epsg: crs.epsg,
        geographic: crs.geographic,
        nodata: String(NODATA),
      },
      (tx, _ty, out) => layTile(left, leftEnd, tx * TILE, out as Float32Array),
      async (ty) => {
        const theirs = next;
        // The worker starts the next band while both halves of this one are computed.
        next = helper && ty + 1 < tilesDown ? helper.request(ty + 1) : null;
        await slopeBand(slopes, ty, 0, leftEnd, left);
        // The writer compresses band ty − 1's tiles while this runs: they are in the other slot.
        mine = kernel ? kernel.predict(left, (ty % 2) as 0 | 1) : null;
        if (theirs) right = await theirs;
      },
      // The worker's half comes as tiles ready to compress, and this half's too with the kernel.
      (tx) => (tx * TILE >= leftEnd ? right[(tx * TILE - seam) / TILE] : (mine?.[tx] ?? undefined)),
    );
    return { width, height };
  } finally {
    await helper?.close();
    await reader.close();
  }
}
