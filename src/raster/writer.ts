/**
 * A minimal tiled GeoTIFF writer (slope rasters, benchmarks, test fixtures): one band,
 * uint8 or float32, uncompressed or DEFLATE, tiles produced one at a time by a
 * callback and streamed to disk (so a gigapixel raster never sits in memory).
 * Georeferencing by ModelPixelScale + ModelTiepoint; the CRS as an EPSG code
 * (projected or geographic) or none at all.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { constants, deflate } from 'node:zlib';

const deflateAsync = promisify(deflate);

import { commitTemp, discardTemp, tempPathFor } from '../io/files.js';
import { deflateRuns } from './deflate-runs.js';
import { floatPredictKernel } from './predict.js';

export interface TiffSpec {
  width: number;
  height: number;
  tileSize: number;
  type: 'uint8' | 'float32';
  deflate: boolean;
  /** Pixel corner of the top-left pixel and pixel size (map units). */
  originX: number;
  originY: number;
  pixelSize: number;
  /** EPSG code of the CRS, or null to write no GeoKeys. */
  epsg: number | null;
  geographic?: boolean;
  nodata?: string;
  /** TIFF predictor: 1 none (default), 3 floating point (float32 only, as GDAL's PREDICTOR=3). */
  predictor?: 1 | 3;
  /** zlib level (default 6). */
  level?: number;
  /**
   * zlib strategy: 'rle' looks for runs only (matches at distance 1), about twice as fast; default zlib's.
   * 'runs' (uint8, no predictor): runs only too, coded by deflateRuns on this thread with a code made for
   * class rasters, about four times faster than zlib's 'rle' and allocating nothing per tile.
   */
  strategy?: 'default' | 'rle' | 'runs';
}

/**
 * TIFF floating-point predictor (3) for one tile of float32 samples, rows of `width`: each row's bytes
 * by significance (most significant plane first, as if big-endian), then differenced along the row.
 * One pass per row reading whole samples (the planes' first bytes are fixed up after it, as their
 * predecessor is the previous plane's last byte): four times faster than shuffling bytes, then differencing.
 */
export function floatPredict(tile: Float32Array, width: number, height: number, out: Uint8Array): void {
  // In WebAssembly (predict.wat) where it runs, else the same pass here.
  if (!floatPredictKernel(tile, width, height, out)) floatPredictScalar(tile, width, height, out);
}

/** floatPredict in JavaScript (where WebAssembly does not run; the tests compare the two). */
export function floatPredictScalar(tile: Float32Array, width: number, height: number, out: Uint8Array): void {
  const words = new Uint32Array(tile.buffer, tile.byteOffset, width * height);
  const rowBytes = width * 4;
  for (let r = 0; r < height; r++) {
    const o = r * rowBytes;
    const w0 = r * width;
    const o1 = o + width,
      o2 = o1 + width,
      o3 = o2 + width;
    let p3 = 0,
      p2 = 0,
      p1 = 0,
      p0 = 0;
    for (let i = 0; i < width; i++) {
      const v = words[w0 + i]!;
      const b3 = v >>> 24,
        b2 = (v >>> 16) & 0xff,
        b1 = (v >>> 8) & 0xff,
        b0 = v & 0xff;
      out[o + i] = b3 - p3;
      out[o1 + i] = b2 - p2;
      out[o2 + i] = b1 - p1;
      out[o3 + i] = b0 - p0;
      p3 = b3;
      p2 = b2;
      p1 = b1;
      p0 = b0;
    }
    // A plane's first byte follows the previous plane's last one.
    const first = words[w0]!;
    out[o1] = ((first >>> 16) & 0xff) - (p3 as number);
    out[o2] = ((first >>> 8) & 0xff) - p2;
    out[o3] = (first & 0xff) - p1;
  }
}

/**
 * Returns each tile's offset and byte count in the file (row-major tiles).
 * `fill(tileX, tileY, out)` writes tileSize² samples (row-major) for that tile,
 * unless `readyTile(tileX, tileY)` gives the tile's bytes ready to compress
 * (samples in file order, predictor applied: made on another thread);
 * `beforeTileRow(ty)`, when given, is awaited before the tiles of each tile row
 * (so a producer can compute one band of rows at a time); when it gives the
 * row's tiles already coded (DEFLATE streams), those are written as they are.
 *
 * DEFLATE runs on libuv's thread pool, a tile row at a time: the tiles of one
 * row compress while the producer computes the next row, and are written in
 * order when that is done, so memory holds two tile rows and the main thread
 * never compresses. An uncompressed file's row is written before the next
 * `beforeTileRow`, so a producer's ready tiles may live in one buffer reused
 * for every row.
 */
export async function writeTiledTiff(
  path: string,
  spec: TiffSpec,
  fill: (tx: number, ty: number, out: Uint8Array | Float32Array) => void,
  // biome-ignore lint/suspicious/noConfusingVoidType: most producers give nothing back (an async function of theirs is a Promise<void>)
  beforeTileRow?: (ty: number) => Promise<void | Uint8Array[]>,
  readyTile?: (tx: number, ty: number) => Uint8Array | undefined,
): Promise<{ offsets: Uint32Array; counts: Uint32Array }> {
  const { width, height, tileSize } = spec;
  const across = Math.ceil(width / tileSize);
  const down = Math.ceil(height / tileSize);
  const n = across * down;
  // Written to a temporary file renamed into place at the end: a failure leaves no partial TIFF.
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'wx');
  let done = false;
  const offsets = new Uint32Array(n);
  const counts = new Uint32Array(n);
  try {
    const header = Buffer.alloc(8);
    header.write('II', 0, 'latin1');
    header.writeUInt16LE(42, 2);
    let pos = 8;
    const tile = spec.type === 'uint8' ? new Uint8Array(tileSize * tileSize) : new Float32Array(tileSize * tileSize);
    const predictor = spec.predictor ?? 1;
    if (predictor === 3 && spec.type !== 'float32') throw new Error('tiff-writer: predictor 3 is for float32');
    const runs = spec.deflate && spec.strategy === 'runs';
    if (runs && (spec.type !== 'uint8' || predictor !== 1)) throw new Error("tiff-writer: the 'runs' strategy is for uint8 tiles without a predictor");
    // The previous tile row's tiles, compressing, and their input buffers (reused once compressed).
    let pending: Array<Promise<Uint8Array>> = [];
    let inputs: Uint8Array[] = [];
    const spare: Uint8Array[] = [];
    let pendingRow = -1;
    const flush = async (): Promise<void> => {
      const parts = await Promise.all(pending);
      spare.push(...inputs);
      inputs = [];
      parts.forEach((bytes, tx) => {
        offsets[pendingRow * across + tx] = pos;
        counts[pendingRow * across + tx] = bytes.length;
        writeSync(fd, bytes, 0, bytes.length, pos);
        pos += bytes.length;
        if (pos > 0xfff00000) throw new Error('tiff-writer: classic TIFF is limited to 4 GiB');
      });
      pending = [];
    };
    try {
      for (let ty = 0; ty < down; ty++) {
        // Nothing to overlap without compression: the row goes out before the producer refills its buffers.
        if (!spec.deflate && pending.length) await flush();
        const coded = beforeTileRow ? await beforeTileRow(ty) : undefined;
        if (pending.length) await flush();
        pendingRow = ty;
        if (coded) {
          // The row's tiles coded already (DEFLATE streams, made on another thread).
          if (!spec.deflate || coded.length !== across) throw new Error(`tiff-writer: tile row ${ty} handed back coded as ${coded.length} tiles (${across} DEFLATE tiles expected)`);
          pending = coded.map((bytes) => Promise.resolve(bytes));
          continue;
        }
        for (let tx = 0; tx < across; tx++) {
          // A tile the producer has ready (its samples laid out, the predictor applied: made on another thread) is compressed as it is.
          const ready = readyTile?.(tx, ty);
          if (!ready) {
            tile.fill(0);
            fill(tx, ty, tile);
          }
          if (ready && ready.length !== tile.byteLength) throw new Error(`tiff-writer: tile ${tx},${ty} handed back with ${ready.length} bytes, not ${tile.byteLength}`);
          // A copy per tile: the tile buffer is reused while the copy compresses.
          let raw = ready;
          if (!raw) {
            // This thread's own buffers are reused once compressed (a ready tile is the producer's).
            raw = spare.pop() ?? new Uint8Array(tile.byteLength);
            inputs.push(raw);
            if (predictor === 3) floatPredict(tile as Float32Array, tileSize, tileSize, raw);
            else raw.set(new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength));
          }
          if (runs) {
            pending.push(Promise.resolve(deflateRuns(raw)));
            continue;
          }
          // One chunk per tile: a chunk-sized output buffer means one callback, not one per 16 KiB.
          pending.push(spec.deflate ? deflateAsync(raw, { level: spec.level ?? 6, strategy: spec.strategy === 'rle' ? constants.Z_RLE : constants.Z_DEFAULT_STRATEGY, chunkSize: raw.length + 1024 }) : Promise.resolve(raw));
        }
      }
      await flush();
    } finally {
      // A failure must not leave compressions running unobserved.
      await Promise.allSettled(pending);
    }
    // IFD with out-of-line values after it.
    type Entry = { tag: number; type: number; values: number[] | string };
    const entries: Entry[] = [
      { tag: 256, type: 4, values: [width] },
      { tag: 257, type: 4, values: [height] },
      { tag: 258, type: 3, values: [spec.type === 'uint8' ? 8 : 32] },
      { tag: 259, type: 3, values: [spec.deflate ? 8 : 1] },
      { tag: 262, type: 3, values: [1] },
      { tag: 277, type: 3, values: [1] },
      { tag: 284, type: 3, values: [1] },
      ...(predictor !== 1 ? [{ tag: 317, type: 3, values: [predictor] }] : []),
      { tag: 322, type: 4, values: [tileSize] },
      { tag: 323, type: 4, values: [tileSize] },
      { tag: 324, type: 4, values: Array.from(offsets) },
      { tag: 325, type: 4, values: Array.from(counts) },
      { tag: 339, type: 3, values: [spec.type === 'uint8' ? 1 : 3] },
      { tag: 33550, type: 12, values: [spec.pixelSize, spec.pixelSize, 0] },
      { tag: 33922, type: 12, values: [0, 0, 0, spec.originX, spec.originY, 0] },
    ];
    if (spec.epsg !== null) {
      const keys = spec.geographic ? [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, spec.epsg] : [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, spec.epsg];
      entries.push({ tag: 34735, type: 3, values: keys });
    }
    if (spec.nodata !== undefined) entries.push({ tag: 42113, type: 2, values: `${spec.nodata}\0` });
    const size = (e: Entry): number => (e.type === 2 ? (e.values as string).length : (e.values as number[]).length * (e.type === 3 ? 2 : e.type === 4 ? 4 : 8));
    const ifdPos = pos + (pos % 2);
    const ifdSize = 2 + entries.length * 12 + 4;
    let extra = ifdPos + ifdSize;
    const ifd = Buffer.alloc(ifdSize);
    ifd.writeUInt16LE(entries.length, 0);
    const blobs: Array<[number, Buffer]> = [];
    entries.forEach((e, i) => {
      const o = 2 + i * 12;
      const count = e.type === 2 ? (e.values as string).length : (e.values as number[]).length;
      ifd.writeUInt16LE(e.tag, o);
      ifd.writeUInt16LE(e.type, o + 2);
      ifd.writeUInt32LE(count, o + 4);
      const bytes = Buffer.alloc(Math.max(4, size(e)));
      if (e.type === 2) bytes.write(e.values as string, 0, 'latin1');
      else (e.values as number[]).forEach((v, k) => (e.type === 3 ? bytes.writeUInt16LE(v, k * 2) : e.type === 4 ? bytes.writeUInt32LE(v, k * 4) : bytes.writeDoubleLE(v, k * 8)));
      if (size(e) <= 4) bytes.copy(ifd, o + 8, 0, 4);
      else {
        ifd.writeUInt32LE(extra, o + 8);
        blobs.push([extra, bytes]);
        extra += bytes.length + (bytes.length % 2);
      }
    });
    header.writeUInt32LE(ifdPos, 4);
    writeSync(fd, header, 0, 8, 0);
    writeSync(fd, ifd, 0, ifd.length, ifdPos);
    for (const [at, bytes] of blobs) writeSync(fd, bytes, 0, bytes.length, at);
    done = true;
  } finally {
    closeSync(fd);
    if (!done) discardTemp(temp);
  }
  commitTemp(temp, path);
  return { offsets, counts };
}
