/**
 * Class areas inside polygons, streamed block row by block row: coverage of
 * the zones for the rows of one block row, then the blocks of that row
 * (decoded concurrently), weighted and summed per class. Memory is one block
 * row of coverage and blocks, whatever the raster's size.
 */
import { createTransform, type Crs } from '../crs/index.js';
import { GreenmineError, type Finding } from '../errors.js';
import { PolygonCoverage, type CoverageMode, type PixelPolygons } from './coverage.js';
import type { RasterBlock, RasterReader } from './reader.js';

/** Sums per class code (m²), with nodata apart. */
export interface ClassSums {
  byClassM2: Map<number, number>;
  nodataM2: number;
  /** Σ coverage × pixel area over the raster (nodata included). */
  totalM2: number;
}

export interface ZonalResult {
  mode: CoverageMode;
  /** Inside the zones (license blocks minus their holes). */
  inside: ClassSums;
  /** Inside minus the excluded zones (equal to `inside` when none are given). */
  insideExcluded: ClassSums;
  /** Outside the zones within `bufferM` (pixel centres), when a buffer was asked for. */
  outsideBuffer: ClassSums | null;
  /** Area of the zones in the raster's plane (m²), and how much of it lies outside the raster. */
  zoneAreaM2: number;
  outsideRasterM2: number;
  findings: Finding[];
}

export interface ZonalOptions {
  mode?: CoverageMode;
  /** Polygons not due for greening (active working floor…), subtracted. */
  exclude?: PixelPolygons;
  /** Also sum classes outside the zones within this distance (m), by pixel centre. */
  bufferM?: number;
  /** Blocks decoded concurrently (default 8). */
  concurrency?: number;
}

/**
 * Polygons (shell + holes, flat rings in `crs`) into the raster's pixel
 * coordinates, densifying edges so the reprojected edge is within 0.1 pixel
 * of the true curve.
 */
export function toPixelPolygons(polygons: Float64Array[][], crs: Crs, reader: RasterReader): PixelPolygons {
  const t = reader.info.transform;
  const same = crs.epsg !== null && crs.epsg === reader.info.crs.epsg && crs.proj4 === reader.info.crs.proj4;
  const transform = same ? null : createTransform(crs, reader.info.crs);
  const toPixel = (x: number, y: number, out: number[]): void => {
    let px = x, py = y;
    if (transform) [px, py] = transform.point(x, y);
    out.push((px - t[0]) / t[1], (py - t[3]) / t[5]);
  };
  const tolerancePx = 0.1;
  return polygons.map((rings) =>
    rings.map((ring) => {
      const out: number[] = [];
      for (let i = 0; i + 3 < ring.length; i += 2) {
        const ax = ring[i]!, ay = ring[i + 1]!, bx = ring[i + 2]!, by = ring[i + 3]!;
        toPixel(ax, ay, out);
        if (!transform) continue;
        // Bisect until the midpoint of every piece lands within the tolerance of the straight pixel segment.
        const densify = (x0: number, y0: number, x1: number, y1: number, p0: [number, number], p1: [number, number], depth: number): void => {
          const mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
          const m: number[] = [];
          toPixel(mx, my, m);
          const dx = (p0[0] + p1[0]) / 2 - m[0]!, dy = (p0[1] + p1[1]) / 2 - m[1]!;
          if (depth < 16 && Math.hypot(dx, dy) > tolerancePx) {
            densify(x0, y0, mx, my, p0, [m[0]!, m[1]!], depth + 1);
            out.push(m[0]!, m[1]!);
            densify(mx, my, x1, y1, [m[0]!, m[1]!], p1, depth + 1);
          }
        };
        const p0: number[] = [];
        const p1: number[] = [];
        toPixel(ax, ay, p0);
        toPixel(bx, by, p1);
        densify(ax, ay, bx, by, [p0[0]!, p0[1]!], [p1[0]!, p1[1]!], 0);
      }
      out.push(out[0]!, out[1]!);
      return Float64Array.from(out);
    }),
  );
}

function sums(): { acc: Float64Array; other: Map<number, number> } {
  return { acc: new Float64Array(65536), other: new Map() };
}

export async function zonalClassAreas(reader: RasterReader, zones: PixelPolygons, options: ZonalOptions = {}): Promise<ZonalResult> {
  const mode = options.mode ?? 'fractional';
  const info = reader.info;
  const { width: W, height: H, blockWidth: bw, blockHeight: bh, nodata } = info;
  const findings: Finding[] = [];
  const zone = new PolygonCoverage(zones, mode);
  const exclude = options.exclude && options.exclude.length ? new PolygonCoverage(options.exclude, mode) : null;
  const pixelM = Math.sqrt(reader.pixelAreaM2(Math.floor(H / 2)));
  const bufferPx = options.bufferM ? options.bufferM / pixelM : 0;
  const pad = Math.ceil(bufferPx) + 1;
  const r0 = Math.max(0, zone.rowMin - (bufferPx ? pad : 0));
  const r1 = Math.min(H, zone.rowMax + (bufferPx ? pad : 0));
  const c0 = Math.max(0, zone.colMin - (bufferPx ? pad : 0));
  const c1 = Math.min(W, zone.colMax + (bufferPx ? pad : 0));
  if (r0 >= r1 || c0 >= c1 || zone.rowMax <= 0 || zone.colMax <= 0 || zone.rowMin >= H || zone.colMin >= W) {
    throw new GreenmineError('RASTER_NO_OVERLAP', `${info.file}: the license does not overlap the raster (${reader.describe()})`, { file: info.file });
  }
  const integer = info.dataType !== 'float32' && info.dataType !== 'float64';
  const small = info.dataType === 'uint8' || info.dataType === 'uint16';
  const inside = sums();
  const insideEx = sums();
  const ring = sums();
  let nodataIn = 0, nodataEx = 0, nodataRing = 0, totalIn = 0, totalEx = 0, totalRing = 0;
  const zw = zone.width;
  let covZ = new Float64Array(0);
  let covE = new Float64Array(0);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const edgesForBuffer = bufferPx ? bufferEdges(zones) : null;

  for (let by = Math.floor(r0 / bh); by * bh < r1; by++) {
    const ra = Math.max(r0, by * bh);
    const rb = Math.min(r1, (by + 1) * bh, H);
    if (covZ.length < (rb - ra) * zw) covZ = new Float64Array((rb - ra) * zw);
    zone.rows(ra, rb, covZ);
    if (exclude) {
      if (covE.length < (rb - ra) * exclude.width) covE = new Float64Array((rb - ra) * exclude.width);
      exclude.rows(ra, rb, covE);
    }
    // Buffer ring: the edges near this block row, and per row the x-intervals they can reach.
    let bandEdges: Float64Array | null = null;
    if (edgesForBuffer) {
      const list: number[] = [];
      for (let i = 0; i < edgesForBuffer.length; i += 4) {
        const y1 = edgesForBuffer[i + 1]!, y2 = edgesForBuffer[i + 3]!;
        if (Math.max(y1, y2) >= ra - bufferPx && Math.min(y1, y2) <= rb + bufferPx) list.push(edgesForBuffer[i]!, y1, edgesForBuffer[i + 2]!, y2);
      }
      bandEdges = Float64Array.from(list);
    }
    const bxFirst = Math.floor(c0 / bw);
    const bxLast = Math.floor((c1 - 1) / bw);
    // Decode the blocks of this block row (a few at a time, concurrently), then sum in row-major
    // order over the whole row, so the sums do not depend on the block layout.
    const blocks: RasterBlock[] = [];
    for (let bxStart = bxFirst; bxStart <= bxLast; bxStart += concurrency) {
      const batch: Array<Promise<RasterBlock>> = [];
      for (let bx = bxStart; bx <= Math.min(bxLast, bxStart + concurrency - 1); bx++) batch.push(reader.readBlock(bx, by));
      blocks.push(...(await Promise.all(batch)));
    }
    for (let r = ra; r < rb; r++) {
      const areaM2 = reader.pixelAreaM2(r);
      const zRow = (r - ra) * zw - zone.colMin;
      const eRow = exclude ? (r - ra) * exclude.width - exclude.colMin : 0;
      const rowInZone = r >= zone.rowMin && r < zone.rowMax;
      const rowInExclude = exclude !== null && r >= exclude.rowMin && r < exclude.rowMax;
      for (let bx = bxFirst; bx <= bxLast; bx++) {
        const block = blocks[bx - bxFirst]!;
        const ca = Math.max(c0, bx * bw);
        const cb = Math.min(c1, (bx + 1) * bw, W);
        const bRow = (r - by * bh) * bw - bx * bw;
        for (let c = ca; c < cb; c++) {
          const w = rowInZone && c >= zone.colMin && c < zone.colMax ? covZ[zRow + c]! : 0;
          if (w === 0) {
            if (bandEdges && withinBuffer(bandEdges, c + 0.5, r + 0.5, bufferPx)) {
              const v = block[bRow + c]!;
              totalRing += areaM2;
              if (v === nodata || (nodata !== null && Number.isNaN(nodata) && Number.isNaN(v))) nodataRing += areaM2;
              else add(ring, v, areaM2, small);
            }
            continue;
          }
          const v = block[bRow + c]!;
          let we = w;
          if (rowInExclude && c >= exclude!.colMin && c < exclude!.colMax) {
            we = w - covE[eRow + c]!;
            if (we < 0) we = 0;
          }
          const a = w * areaM2;
          const ae = we * areaM2;
          totalIn += a;
          totalEx += ae;
          if (v === nodata || (nodata !== null && Number.isNaN(nodata) && Number.isNaN(v)) || (!integer && Number.isNaN(v))) {
            nodataIn += a;
            nodataEx += ae;
          } else {
            add(inside, v, a, small);
            if (ae > 0) add(insideEx, v, ae, small);
          }
        }
      }
    }
  }

  const zoneAreaM2 = polygonAreaPx(zones) * reader.pixelAreaM2(Math.floor((zone.rowMin + zone.rowMax) / 2));
  const outsideRasterM2 = Math.max(0, zoneAreaM2 - totalIn);
  if (outsideRasterM2 > reader.pixelAreaM2(0) * 0.5 && mode === 'fractional') {
    findings.push({
      code: 'RASTER_LICENSE_PARTLY_OUTSIDE',
      severity: 'warning',
      message: `${info.file}: ${outsideRasterM2.toFixed(1)} m² of the license (${((outsideRasterM2 / zoneAreaM2) * 100).toFixed(2)} %) lies outside the raster and is not measured`,
      where: { file: info.file },
    });
  }
  return {
    mode,
    inside: finish(inside, nodataIn, totalIn),
    insideExcluded: finish(exclude ? insideEx : inside, exclude ? nodataEx : nodataIn, exclude ? totalEx : totalIn),
    outsideBuffer: bufferPx ? finish(ring, nodataRing, totalRing) : null,
    zoneAreaM2,
    outsideRasterM2,
    findings,
  };
}

function add(s: { acc: Float64Array; other: Map<number, number> }, v: number, a: number, small: boolean): void {
  if (small) s.acc[v]! += a;
  else s.other.set(v, (s.other.get(v) ?? 0) + a);
}

function finish(s: { acc: Float64Array; other: Map<number, number> }, nodataM2: number, totalM2: number): ClassSums {
  const byClassM2 = new Map(s.other);
  for (let v = 0; v < s.acc.length; v++) if (s.acc[v]! !== 0) byClassM2.set(v, s.acc[v]!);
  return { byClassM2: new Map([...byClassM2].sort((a, b) => a[0] - b[0])), nodataM2, totalM2 };
}

/** Signed-area sum (shells minus holes) in pixel units. */
function polygonAreaPx(polygons: PixelPolygons): number {
  let total = 0;
  for (const rings of polygons) {
    rings.forEach((r, ri) => {
      let a2 = 0;
      for (let i = 0; i + 3 < r.length; i += 2) a2 += r[i]! * r[i + 3]! - r[i + 2]! * r[i + 1]!;
      total += (ri === 0 ? 1 : -1) * Math.abs(a2 / 2);
    });
  }
  return total;
}

/** Edges sorted by their top row, for the buffer ring test. */
function bufferEdges(polygons: PixelPolygons): Float64Array {
  const list: number[] = [];
  for (const rings of polygons) for (const r of rings) for (let i = 0; i + 3 < r.length; i += 2) list.push(r[i]!, r[i + 1]!, r[i + 2]!, r[i + 3]!);
  return Float64Array.from(list);
}

function withinBuffer(edges: Float64Array, x: number, y: number, bufferPx: number): boolean {
  const b2 = bufferPx * bufferPx;
  for (let i = 0; i < edges.length; i += 4) {
    const x1 = edges[i]!, y1 = edges[i + 1]!, x2 = edges[i + 2]!, y2 = edges[i + 3]!;
    if ((y1 < y - bufferPx && y2 < y - bufferPx) || (y1 > y + bufferPx && y2 > y + bufferPx)) continue;
    if ((x1 < x - bufferPx && x2 < x - bufferPx) || (x1 > x + bufferPx && x2 > x + bufferPx)) continue;
    const dx = x2 - x1, dy = y2 - y1;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((x - x1) * dx + (y - y1) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const ex = x1 + t * dx - x, ey = y1 + t * dy - y;
    if (ex * ex + ey * ey <= b2) return true;
  }
  return false;
}
