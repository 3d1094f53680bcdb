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
import { StreamingLabeler, type Component } from './components.js';
import { FullCounts, wordViews } from './counts.js';

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
  /** Connected patches (when `patchClasses` was given), weights in m². */
  patches: Component[] | null;
}

export interface ZonalOptions {
  mode?: CoverageMode;
  /** Polygons not due for greening (active working floor…), subtracted. */
  exclude?: PixelPolygons;
  /** Also sum classes outside the zones within this distance (m), by pixel centre. */
  bufferM?: number;
  /** Also label connected patches of these class codes inside the zones (after exclusion, coverage ≥ 0.5), 8-connected. */
  patchClasses?: Set<number>;
  /** Blocks requested at once within a block row (default: the whole row). */
  concurrency?: number;
}

/**
 * Polygons (shell + holes, flat rings in `crs`) into the raster's pixel
 * coordinates, densifying edges so the reprojected edge is within 0.1 pixel
 * of the true curve.
 */
export function toPixelPolygons(polygons: Float64Array[][], crs: Crs, reader: { info: Pick<RasterReader["info"], "transform" | "crs"> }): PixelPolygons {
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
  // Integer nodata (or none) lets the tight loop compare with ===; -1 never matches a uint8/uint16 value.
  const nodataIsInteger = nodata === null || Number.isInteger(nodata);
  const inside = sums();
  const insideEx = sums();
  const ring = sums();
  let nodataIn = 0, nodataEx = 0, nodataRing = 0;
  const zw = zone.width;
  let covZ = new Float64Array(0);
  let covE = new Float64Array(0);
  // All blocks of the next block row are requested at once, so their inflates queue on the thread pool.
  const concurrency = Math.max(1, options.concurrency ?? 1024);
  const edgesForBuffer = bufferPx ? bufferEdges(zones) : null;

  // Block rows requested ahead: one on the libuv thread pool; with the inflate workers three, so they
  // are not left idle while this thread sums a row.
  const ahead = new Map<number, Promise<Array<RasterBlock | null>>>();
  // On the fused path (one pixel area, no buffer ring), blocks wholly inside the zone are counted by the
  // inflate workers (only their counts come back, at the end) and blocks wholly outside are not read.
  // Not in block rows that meet an excluded zone, whose rows need every block.
  const pool = reader.pool;
  const session = pool && mode === 'fractional' && small && nodataIsInteger && !bufferPx && !options.patchClasses && !info.crs.geographic ? pool.session() : 0;
  const readRow = (by: number, bxFirst: number, bxLast: number): Promise<Array<RasterBlock | null>> => {
    if (!pool) return readBlockRow(reader, by, bxFirst, bxLast, concurrency);
    let plan: Uint8Array | null = null;
    const y0 = by * bh, y1 = y0 + bh;
    if (session && y1 <= H && !(exclude && y1 > exclude.rowMin && y0 < exclude.rowMax)) {
      plan = new Uint8Array(bxLast - bxFirst + 1);
      for (let bx = bxFirst; bx <= bxLast; bx++) {
        const where = zone.rectangle(bx * bw, y0, (bx + 1) * bw, y1);
        if (where === 0) plan[bx - bxFirst] = 2;
        else if (where === 1 && (bx + 1) * bw <= W) plan[bx - bxFirst] = 1;
      }
    }
    return reader.readBlockRowPooled(by, bxFirst, bxLast, plan, session);
  };
  const patchClasses = options.patchClasses;
  const labeler = patchClasses ? new StreamingLabeler(c1 - c0, 8, c0) : null;
  const patchMask = labeler ? new Uint8Array(c1 - c0) : null;
  const patchWeight = labeler ? new Float64Array(c1 - c0) : null;
  // Fused path accumulators, shared by inside and inside-minus-excluded (rows without excluded zones):
  // integer counts of fully covered pixels (uint16 only where the pixel area is constant: its table is
  // too large to flush every row), and partial areas.
  const shared = new Float64Array(65536);
  const counts = info.dataType === 'uint8' || !info.crs.geographic ? new FullCounts(info.dataType === 'uint8', shared) : null;
  let depositRow0 = 0;
  try {
    for (let by = Math.floor(r0 / bh); by * bh < r1; by++) {
      const ra = Math.max(r0, by * bh);
      const rb = Math.min(r1, (by + 1) * bh, H);
      // Fused path (fractional, uint8/uint16, integer nodata, no buffer): deposit the edges only and
      // turn running sums into class sums in one pass per row; otherwise dense coverage rows.
      const fused = mode === 'fractional' && small && nodataIsInteger && !edgesForBuffer && !labeler;
      // The fused path deposits DEPOSIT_ROWS rows at a time (below), so its deposit array stays small and warm.
      if (!fused) {
        if (covZ.length < (rb - ra) * zw) covZ = new Float64Array((rb - ra) * zw);
        zone.rows(ra, rb, covZ);
      }
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
      // The blocks of this row were requested while the previous row was being summed (inflate runs
      // on the libuv thread pool); request the next row's now, then sum this one.
      const depth = pool ? 3 : 1;
      for (let k = by; k <= by + depth && k < reader.blocksDown && k * bh < r1; k++) {
        if (ahead.has(k)) continue;
        const row = readRow(k, bxFirst, bxLast);
        // If a row fails before its turn, the prefetch must not surface later as an unhandled rejection.
        row.catch(() => undefined);
        ahead.set(k, row);
      }
      const blocks = await ahead.get(by)!;
      ahead.delete(by);
      const words = fused && counts?.u8 ? wordViews(blocks) : [];
      for (let r = ra; r < rb; r++) {
        // Yield to the event loop now and then, so finished reads of the next block row can start inflating.
        if ((r - ra) % 32 === 31) await yieldToEventLoop();
        const areaM2 = reader.pixelAreaM2(r);
        const zRow = (r - ra) * zw - zone.colMin;
        const eRow = exclude ? (r - ra) * exclude.width - exclude.colMin : 0;
        const rowInZone = r >= zone.rowMin && r < zone.rowMax;
        const rowInExclude = exclude !== null && r >= exclude.rowMin && r < exclude.rowMax;
        if (fused) {
          if ((r - ra) % DEPOSIT_ROWS === 0) {
            depositRow0 = r;
            zone.deposit(r, Math.min(r + DEPOSIT_ROWS, rb));
          }
          if (!rowInZone) continue;
          const ri = r - depositRow0;
          if (rowInExclude) {
            // Rows that meet an excluded zone need the dense coverage of the row.
            if (covZ.length < zw) covZ = new Float64Array(zw);
            zone.prefixRow(ri, covZ, 0);
            const rowZ = -zone.colMin;
            for (let bx = bxFirst; bx <= bxLast; bx++) {
              const from = Math.max(c0, bx * bw, zone.colMin);
              const to = Math.min(c1, (bx + 1) * bw, W, zone.colMax);
              if (from < to) sumRowSmall(blocks[bx - bxFirst] as Uint8Array | Uint16Array, (r - by * bh) * bw - bx * bw, covZ, rowZ, covE, eRow, from, to, exclude!.colMin, exclude!.colMax, areaM2, inside.acc, insideEx.acc);
            }
          } else {
            // Projected rasters have one pixel area: count full pixels; geographic ones add areas row by row.
            counts?.setArea(areaM2);
            sumRowFused(zone, ri, c0, c1, bw, blocks as Array<Uint8Array | Uint16Array | null>, words, bxFirst, (r - by * bh) * bw, areaM2, counts, shared);
          }
          continue;
        }
        for (let bx = bxFirst; bx <= bxLast; bx++) {
          const block = blocks[bx - bxFirst]!;
          const ca = Math.max(c0, bx * bw);
          const cb = Math.min(c1, (bx + 1) * bw, W);
          const bRow = (r - by * bh) * bw - bx * bw;
          if (small && !bandEdges && nodataIsInteger && !labeler) {
            // The common case (uint8/uint16 classes, no buffer): a tight loop over the zone's columns.
            if (!rowInZone) continue;
            const from = Math.max(ca, zone.colMin + zone.rowFrom[r - ra]!);
            const to = Math.min(cb, zone.colMin + zone.rowTo[r - ra]!);
            if (from >= to) continue;
            if (rowInExclude && to > exclude!.colMin && from < exclude!.colMax) {
              sumRowSmall(block as Uint8Array | Uint16Array, bRow, covZ, zRow, covE, eRow, from, to, exclude!.colMin, exclude!.colMax, areaM2, inside.acc, insideEx.acc);
            } else {
              sumRowSmallPlain(block as Uint8Array | Uint16Array, bRow, covZ, zRow, from, to, areaM2, inside.acc, exclude ? insideEx.acc : null);
            }
            continue;
          }
          for (let c = ca; c < cb; c++) {
            const w = rowInZone && c >= zone.colMin && c < zone.colMax ? covZ[zRow + c]! : 0;
            if (w === 0) {
              if (bandEdges && withinBuffer(bandEdges, c + 0.5, r + 0.5, bufferPx)) {
                const v = block[bRow + c]!;
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
            if (patchMask && we >= 0.5 && patchClasses!.has(v)) {
              patchMask[c - c0] = 1;
              patchWeight![c - c0] = ae;
            }
            if (v === nodata || (nodata !== null && Number.isNaN(nodata) && Number.isNaN(v)) || (!integer && Number.isNaN(v))) {
              nodataIn += a;
              nodataEx += ae;
            } else {
              add(inside, v, a, small);
              if (ae > 0) add(insideEx, v, ae, small);
            }
          }
        }
        if (labeler) {
          labeler.pushRow(r, patchMask!, patchWeight!);
          patchMask!.fill(0);
          patchWeight!.fill(0);
        }
      }
    }
  } catch (err) {
    // Free the workers' tables of this session before giving up.
    if (session) await pool!.collect(session).catch(() => null);
    throw err;
  }

  if (session) {
    const workerCounts = await pool!.collect(session);
    if (workerCounts) {
      counts!.setArea(reader.pixelAreaM2(0));
      counts!.add(workerCounts);
    }
  }
  counts?.flush();
  for (let v = 0; v < 65536; v++) {
    if (shared[v] === 0) continue;
    inside.acc[v] = inside.acc[v]! + shared[v]!;
    insideEx.acc[v] = insideEx.acc[v]! + shared[v]!;
  }
  // The tight loops summed nodata pixels under the nodata code: move them apart.
  if (small && nodataIsInteger && nodata !== null && nodata >= 0 && nodata < 65536) {
    nodataIn += inside.acc[nodata]!;
    nodataEx += insideEx.acc[nodata]!;
    inside.acc[nodata] = 0;
    insideEx.acc[nodata] = 0;
  }
  const zoneAreaM2 = polygonAreaPx(zones) * reader.pixelAreaM2(Math.floor((zone.rowMin + zone.rowMax) / 2));
  const insideTotalM2 = finish(inside, nodataIn).totalM2;
  const outsideRasterM2 = Math.max(0, zoneAreaM2 - insideTotalM2);
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
    inside: finish(inside, nodataIn),
    insideExcluded: finish(exclude ? insideEx : inside, exclude ? nodataEx : nodataIn),
    outsideBuffer: bufferPx ? finish(ring, nodataRing) : null,
    zoneAreaM2,
    outsideRasterM2,
    findings,
    patches: labeler ? labeler.finish() : null,
  };
}

/**
 * Band row `ri` of the zone straight into class sums, without a coverage
 * array: the running sum of the deposits is computed cell by cell only where
 * edges touched the row; between those cells it is constant, so fully
 * covered stretches are pure class counts and uncovered ones are skipped.
 * Deposits are zeroed behind the reader.
 */
function sumRowFused(
  zone: PolygonCoverage,
  ri: number,
  c0: number,
  c1: number,
  bw: number,
  blocks: Array<Uint8Array | Uint16Array | null>,
  words: Array<Uint32Array | null>,
  bxFirst: number,
  rowBase: number,
  areaM2: number,
  counts: FullCounts | null,
  partial: Float64Array,
): void {
  const acc = zone.acc;
  const width = zone.width;
  const colMin = zone.colMin;
  const line = ri * (width + 2);
  const lo = Math.max(0, c0 - colMin);
  const hi = Math.min(width, c1 - colMin);
  const { list, count } = zone.rowIntervals(ri);
  let sum = 0;
  let pos = count > 0 ? list[0]! : 0;
  for (let k = 0; k < count; k++) {
    const start = list[2 * k]!;
    const end = list[2 * k + 1]!;
    if (start > pos) addRun(pos, start, sum);
    for (let c = start; c < end; c++) {
      sum += acc[line + c]!;
      acc[line + c] = 0;
      if (c >= lo && c < hi) addRun(c, c + 1, sum);
    }
    pos = end;
  }

  function addRun(from: number, to: number, w: number): void {
    const a = Math.max(from, lo);
    const b = Math.min(to, hi);
    if (a >= b || w < 1e-12) return;
    const full = w >= 1 - 1e-12;
    let c = a;
    while (c < b) {
      const bx = Math.floor((colMin + c) / bw);
      const block = blocks[bx - bxFirst];
      const segmentEnd = Math.min(b, (bx + 1) * bw - colMin);
      const offset = rowBase - bx * bw + colMin;
      if (!block) {
        // A block wholly inside, counted by an inflate worker (or outside, never read).
        c = segmentEnd;
        continue;
      }
      if (full && counts) {
        counts.count(block, words[bx - bxFirst] ?? null, offset + c, offset + segmentEnd);
        c = segmentEnd;
      } else {
        const m2 = full ? areaM2 : w * areaM2;
        for (; c < segmentEnd; c++) {
          const v = block[offset + c]!;
          partial[v] = partial[v]! + m2;
        }
      }
    }
  }
}

/** Rows deposited at once in the fused path: few enough that the deposit array (rows × width) stays in cache. */
const DEPOSIT_ROWS = 32;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Decode the blocks bxFirst…bxLast of block row `by`, `concurrency` at a time. */
async function readBlockRow(reader: RasterReader, by: number, bxFirst: number, bxLast: number, concurrency: number): Promise<RasterBlock[]> {
  const blocks: RasterBlock[] = [];
  for (let bxStart = bxFirst; bxStart <= bxLast; bxStart += concurrency) {
    const batch: Array<Promise<RasterBlock>> = [];
    for (let bx = bxStart; bx <= Math.min(bxLast, bxStart + concurrency - 1); bx++) batch.push(reader.readBlock(bx, by));
    blocks.push(...(await Promise.all(batch)));
  }
  return blocks;
}

/** One row of one block: coverage-weighted sums per class code (uint8/uint16 values, integer nodata). */
function sumRowSmall(
  block: Uint8Array | Uint16Array,
  bRow: number,
  covZ: Float64Array,
  zRow: number,
  covE: Float64Array,
  eRow: number,
  from: number,
  to: number,
  ex0: number,
  ex1: number,
  areaM2: number,
  accIn: Float64Array,
  accEx: Float64Array,
): void {
  for (let c = from; c < to; c++) {
    const w = covZ[zRow + c]!;
    if (w === 0) continue;
    const v = block[bRow + c]!;
    let we = w;
    if (c >= ex0 && c < ex1) {
      we = w - covE[eRow + c]!;
      if (we < 0) we = 0;
    }
    // Nodata is summed under its own code here and moved apart at the end.
    accIn[v] = accIn[v]! + w * areaM2;
    accEx[v] = accEx[v]! + we * areaM2;
  }
}

/** sumRowSmall without excluded zones in the row: one weight per pixel. */
function sumRowSmallPlain(block: Uint8Array | Uint16Array, bRow: number, covZ: Float64Array, zRow: number, from: number, to: number, areaM2: number, accIn: Float64Array, accEx: Float64Array | null): void {
  for (let c = from; c < to; c++) {
    const w = covZ[zRow + c]!;
    if (w === 0) continue;
    const v = block[bRow + c]!;
    accIn[v] = accIn[v]! + (w === 1 ? areaM2 : w * areaM2);
  }
  if (accEx) {
    for (let c = from; c < to; c++) {
      const w = covZ[zRow + c]!;
      if (w === 0) continue;
      const v = block[bRow + c]!;
      accEx[v] = accEx[v]! + (w === 1 ? areaM2 : w * areaM2);
    }
  }
}

function add(s: { acc: Float64Array; other: Map<number, number> }, v: number, a: number, small: boolean): void {
  if (small) s.acc[v]! += a;
  else s.other.set(v, (s.other.get(v) ?? 0) + a);
}

function finish(s: { acc: Float64Array; other: Map<number, number> }, nodataM2: number): ClassSums {
  const byClassM2 = new Map(s.other);
  for (let v = 0; v < s.acc.length; v++) if (s.acc[v]! !== 0) byClassM2.set(v, s.acc[v]!);
  const sorted = new Map([...byClassM2].sort((a, b) => a[0] - b[0]));
  // The total from the class sums, in code order: the same whatever the block layout.
  let totalM2 = nodataM2;
  for (const m2 of sorted.values()) totalM2 += m2;
  return { byClassM2: sorted, nodataM2, totalM2 };
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
