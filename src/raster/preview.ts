/**
 * A quick look at a raster on another grid (the report map's underlay):
 * nearest-neighbour samples at the centres of a width × height grid over a
 * box in another CRS. It reads the coarsest overview finer than the grid
 * when the file has overviews, and each block it needs once (blocks are
 * visited in file order, the samples bucketed by block), so the cost is
 * bounded by the blocks under the box, never by the raster's size.
 */
import { type Crs, createTransform } from '../crs/index.js';
import type { Finding } from '../errors.js';
import type { BlockCache } from './block-cache.js';
import { RasterReader } from './reader.js';

export interface PreviewGrid {
  crs: Crs;
  /** [minX, minY, maxX, maxY] in `crs`. */
  bbox: [number, number, number, number];
  width: number;
  height: number;
}

export interface Preview {
  /** Sample values row-major from the top-left (interleaved when several bands were asked for); NaN where the raster has no data or does not reach. */
  values: Float64Array;
  /** 0 = full resolution, n = overview n. */
  overview: number;
  blocksRead: number;
  findings: Finding[];
}

export interface PreviewOptions {
  /** At most this many blocks are decoded (default 4096), else null: too costly for a quick look. */
  maxBlocks?: number;
  /** 0-based bands to sample, interleaved (default: band 1 alone). */
  bands?: number[];
  /** 0-based alpha band: a pixel whose alpha is 0 is no data (default none). */
  alpha?: number;
  /** Decoded blocks shared with other readers of the same raster. */
  cache?: BlockCache;
}

/** Sample band 1 of `file` (or `options.bands`) on `grid`; null when more than `options.maxBlocks` blocks lie under it. */
export async function samplePreview(file: string, grid: PreviewGrid, options: PreviewOptions = {}): Promise<Preview | null> {
  const { maxBlocks = 4096, bands, alpha = -1, cache } = options;
  const base = await RasterReader.open(file, { cache });
  const toRaster = createTransform(grid.crs, base.info.crs);
  // Output pixel size in raster units (from the box's diagonal, transformed).
  const [x0, y0] = toRaster.point(grid.bbox[0], grid.bbox[1]);
  const [x1, y1] = toRaster.point(grid.bbox[2], grid.bbox[3]);
  const outPx = Math.hypot(x1 - x0, y1 - y0) / Math.hypot(grid.width, grid.height);
  const rasterPx = Math.hypot(base.info.transform[1], base.info.transform[5]) / Math.SQRT2;
  let overview = 0;
  for (let level = 1; level <= base.info.overviews && rasterPx * 2 ** level <= outPx; level++) overview = level;
  let reader = base;
  if (overview > 0) {
    await base.close();
    reader = await RasterReader.open(file, { overview, cache });
  }
  try {
    const { info } = reader;
    const [a, b, c, d, e, f] = info.transform;
    const det = b * f - c * e;
    const nb = bands?.length ?? 1;
    const values = new Float64Array(grid.width * grid.height * nb).fill(NaN);
    const cols = new Int32Array(values.length).fill(-1);
    const rows = new Int32Array(values.length);
    const keys = new Int32Array(values.length).fill(-1);
    const sx = (grid.bbox[2] - grid.bbox[0]) / grid.width;
    const sy = (grid.bbox[3] - grid.bbox[1]) / grid.height;
    const p: [number, number] = [0, 0];
    // The transform at nodes every STEP samples, interpolated bilinearly between them (a projection is smooth at
    // this scale: the error is far below a sample), instead of a projection per sample.
    const STEP = 16;
    const nx = Math.ceil(grid.width / STEP) + 1;
    const ny = Math.ceil(grid.height / STEP) + 1;
    const nodes = new Float64Array(nx * ny * 2);
    for (let nyi = 0; nyi < ny; nyi++) {
      for (let nxi = 0; nxi < nx; nxi++) {
        toRaster.point(grid.bbox[0] + (nxi * STEP + 0.5) * sx, grid.bbox[3] - (nyi * STEP + 0.5) * sy, p);
        nodes[(nyi * nx + nxi) * 2] = p[0];
        nodes[(nyi * nx + nxi) * 2 + 1] = p[1];
      }
    }
    // Samples per block in a typed array (a quick look over more blocks than this is not quick).
    const totalBlocks = reader.blocksAcross * reader.blocksDown;
    if (totalBlocks > 1 << 24) return null;
    const counts = new Int32Array(totalBlocks);
    let distinct = 0;
    for (let j = 0; j < grid.height; j++) {
      const ni = Math.floor(j / STEP);
      const fy = (j - ni * STEP) / STEP;
      for (let i = 0; i < grid.width; i++) {
        const nj = Math.floor(i / STEP);
        const fx = (i - nj * STEP) / STEP;
        const n00 = (ni * nx + nj) * 2;
        const n10 = n00 + 2;
        const n01 = n00 + nx * 2;
        const n11 = n01 + 2;
        for (let q = 0; q < 2; q++) p[q] = (nodes[n00 + q]! * (1 - fx) + nodes[n10 + q]! * fx) * (1 - fy) + (nodes[n01 + q]! * (1 - fx) + nodes[n11 + q]! * fx) * fy;
        const dx = p[0] - a;
        const dy = p[1] - d;
        const col = Math.floor((f * dx - c * dy) / det);
        const row = Math.floor((b * dy - e * dx) / det);
        if (!(col >= 0 && row >= 0 && col < info.width && row < info.height)) continue;
        const k = j * grid.width + i;
        cols[k] = col;
        rows[k] = row;
        const key = Math.floor(row / info.blockHeight) * reader.blocksAcross + Math.floor(col / info.blockWidth);
        keys[k] = key;
        if (counts[key] === 0) distinct++;
        counts[key]!++;
      }
    }
    if (distinct > maxBlocks) return null;
    // Samples grouped by block (a counting sort), blocks in file order.
    const blockKeys: number[] = [];
    const startOf = new Int32Array(totalBlocks);
    let offset = 0;
    for (let key = 0; key < totalBlocks; key++) {
      if (counts[key] === 0) continue;
      blockKeys.push(key);
      startOf[key] = offset;
      offset += counts[key]!;
    }
    const order = new Int32Array(offset);
    const fill = startOf.slice();
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key < 0) continue;
      order[fill[key]!++] = k;
    }
    const nodata = info.nodata;
    for (const key of blockKeys) {
      const bx = key % reader.blocksAcross;
      const by = Math.floor(key / reader.blocksAcross);
      const block = bands ? await reader.readBlockAll(bx, by) : await reader.readBlock(bx, by);
      const stride = bands ? info.bands : 1;
      const from = startOf[key]!;
      const to = from + counts[key]!;
      for (let n = from; n < to; n++) {
        const k = order[n]!;
        const at = ((rows[k]! - by * info.blockHeight) * info.blockWidth + (cols[k]! - bx * info.blockWidth)) * stride;
        if (alpha >= 0 && block[at + alpha] === 0) continue;
        for (let c = 0; c < nb; c++) {
          const v = block[at + (bands ? bands[c]! : 0)]!;
          values[k * nb + c] = nodata !== null && (v === nodata || (Number.isNaN(nodata) && Number.isNaN(v))) ? NaN : v;
        }
      }
    }
    return { values, overview, blocksRead: blockKeys.length, findings: info.findings };
  } finally {
    await reader.close();
  }
}
