/**
 * Class areas inside polygons, streamed block row by block row: coverage of
 * the zones for the rows of one block row, then the blocks of that row
 * (decoded concurrently), weighted and summed per class. Memory is one block
 * row of coverage and blocks, whatever the raster's size.
 */
import { type Crs, createTransform } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { type Component, StreamingLabeler } from './components.js';
import { FullCounts, wordViews } from './counts.js';
import { type CoverageMode, type PixelPolygons, PolygonCoverage } from './coverage.js';
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
  /** Connected patches (when `patchClasses` was given), weights in m²: the `maxPatches` largest, top to bottom. */
  patches: Component[] | null;
  /** How many patches passed `minPatchM2` (more than `patches` holds when there were over `maxPatches`). */
  patchCount: number;
}

export interface ZonalOptions {
  mode?: CoverageMode;
  /** Polygons not due for greening (active working floor…), subtracted. */
  exclude?: PixelPolygons;
  /** Also sum classes outside the zones within this distance (m), by pixel centre. */
  bufferM?: number;
  /** Also label connected patches of these class codes inside the zones (after exclusion, coverage ≥ 0.5), 8-connected. */
  patchClasses?: Set<number>;
  /** Keep only patches of at least this area (m²); smaller ones are dropped as they close, so memory stays bounded. */
  minPatchM2?: number;
  /** Keep at most this many patches, the largest (default 10 000); the others are counted. */
  maxPatches?: number;
  /** Keep each patch's runs, for outlines (default true); without them only the patches' figures are kept. */
  patchRuns?: boolean;
  /** Blocks requested at once within a block row (default: the whole row). */
  concurrency?: number;
}

/**
 * Polygons (shell + holes, flat rings in `crs`) into the raster's pixel
 * coordinates, densifying edges so the reprojected edge is within 0.1 pixel
 * of the true curve.
 */
export function toPixelPolygons(polygons: Float64Array[][], crs: Crs, reader: { info: Pick<RasterReader['info'], 'transform' | 'crs'> }): PixelPolygons {
  const t = reader.info.transform;
  const same = crs.epsg !== null && crs.epsg === reader.info.crs.epsg && crs.proj4 === reader.info.crs.proj4;
  const transform = same ? null : createTransform(crs, reader.info.crs);
  const toPixel = (x: number, y: number, out: number[]): void => {
    let px = x,
      py = y;
    if (transform) [px, py] = transform.point(x, y);
    out.push((px - t[0]) / t[1], (py - t[3]) / t[5]);
  };
  const tolerancePx = 0.1;
  return polygons.map((rings) =>
    rings.map((ring) => {
      const out: number[] = [];
      for (let i = 0; i + 3 < ring.length; i += 2) {
        const ax = ring[i]!,
          ay = ring[i + 1]!,
          bx = ring[i + 2]!,
          by = ring[i + 3]!;
        toPixel(ax, ay, out);
        if (!transform) continue;
        // Bisect until the midpoint of every piece lands within the tolerance of the straight pixel segment.
        const densify = (x0: number, y0: number, x1: number, y1: number, p0: [number, number], p1: [number, number], depth: number): void => {
          const mx = (x0 + x1) / 2,
            my = (y0 + y1) / 2;
          const m: number[] = [];
          toPixel(mx, my, m);
          const dx = (p0[0] + p1[0]) / 2 - m[0]!,
            dy = (p0[1] + p1[1]) / 2 - m[1]!;
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

/**
 * The plan of a zonal pass: the window the zone (and its buffer) covers, the
 * coverage of the zone and the excluded zones, which path sums the rows
 * (fused: fractional uint8/uint16 classes, edges deposited; dense otherwise),
 * how block rows are read (the inflate pool's plan: blocks counted in the
 * workers, blocks skipped), and the accumulators.
 */
function planZonal(reader: RasterReader, zones: PixelPolygons, options: ZonalOptions) {
  const mode = options.mode ?? 'fractional';
  const info = reader.info;
  const { width: W, height: H, blockWidth: bw, blockHeight: bh, nodata } = info;
  const findings: Finding[] = [];
  const zone = new PolygonCoverage(zones, mode);
  const exclude = options.exclude?.length ? new PolygonCoverage(options.exclude, mode) : null;
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
  const acc = { nodataIn: 0, nodataEx: 0, nodataRing: 0, patchCount: 0 };
  const zw = zone.width;
  // All blocks of a block row are requested at once, so their inflates queue on the libuv thread pool.
  const concurrency = Math.max(1, options.concurrency ?? 1024);
  const edgesForBuffer = bufferPx ? bufferEdges(zones) : null;

  // Block rows requested ahead: one on the libuv thread pool; with the inflate workers three, so they
  // are not left idle while this thread sums a row.
  const ahead = new Map<number, Promise<Array<RasterBlock | null>>>();
  // On the fused path with one pixel area, blocks wholly inside the zone (and farther than the buffer
  // from its edges) are counted by the inflate workers (only their counts come back, at the end; not
  // when patches are labelled) and blocks wholly outside (and beyond the buffer) are not read. Not in
  // block rows that meet an excluded zone, whose rows need every block.
  const pool = reader.pool;
  // The fused path: fractional coverage of uint8/uint16 classes with an integer nodata (or none).
  const fused = mode === 'fractional' && small && nodataIsInteger;
  const session = pool && fused && !info.crs.geographic ? pool.session() : 0;
  // A block is wholly inside (or outside) for every purpose when it is so with the buffer around it.
  const marginPx = bufferPx ? Math.ceil(bufferPx) + 1 : 0;
  const patchClasses = options.patchClasses;
  const isPatch = patchClasses && small ? new Uint8Array(65536) : null;
  if (isPatch) for (const v of patchClasses!) if (v >= 0 && v < 65536 && Number.isInteger(v)) isPatch[v] = 1;
  const patchLut = isPatch ? (info.dataType === 'uint8' ? isPatch.slice(0, 256) : isPatch) : null;
  // Per block row read through the pool with patch classes: the patch bits of its counted blocks.
  const patchBits = new Map<number, Array<Uint32Array | null>>();
  const readRow = (by: number, bxFirst: number, bxLast: number): Promise<Array<RasterBlock | null>> => {
    if (!pool) return readBlockRow(reader, by, bxFirst, bxLast, concurrency);
    let plan: Uint8Array | null = null;
    const y0 = by * bh,
      y1 = y0 + bh;
    if (session && y1 <= H && !(exclude && y1 > exclude.rowMin && y0 < exclude.rowMax)) {
      plan = new Uint8Array(bxLast - bxFirst + 1);
      for (let bx = bxFirst; bx <= bxLast; bx++) {
        const where = zone.rectangle(bx * bw - marginPx, y0 - marginPx, (bx + 1) * bw + marginPx, y1 + marginPx);
        if (where === 0) plan[bx - bxFirst] = 2;
        // With patches, a worker counts a block wholly inside only when it holds no patch class (else it is returned).
        else if (where === 1 && (bx + 1) * bw <= W) plan[bx - bxFirst] = 1;
      }
    }
    const bits: Array<Uint32Array | null> | null = patchLut && plan ? new Array(bxLast - bxFirst + 1).fill(null) : null;
    if (bits) patchBits.set(by, bits);
    return reader.readBlockRowPooled(by, bxFirst, bxLast, plan, session, patchLut, bits);
  };
  const minPatchM2 = options.minPatchM2 ?? 0;
  const maxPatches = options.maxPatches ?? 10_000;
  if (!(Number.isInteger(maxPatches) && maxPatches >= 0)) throw new GreenmineError('RASTER_BAD_OPTION', `maxPatches must be a whole number ≥ 0, got ${maxPatches}`);
  // Patches as they close: the largest maxPatches are kept (trimmed whenever twice as many are held), the rest counted.
  const kept: Component[] = [];
  const byWeight = (a: Component, b: Component): number => b.weight - a.weight || a.bbox[1] - b.bbox[1] || a.bbox[0] - b.bbox[0];
  const onPatch = (c: Component): void => {
    acc.patchCount++;
    kept.push(c);
    if (kept.length >= 2 * maxPatches + 1024) kept.sort(byWeight).length = maxPatches;
  };
  const labeler = patchClasses ? new StreamingLabeler(c1 - c0, 8, c0, 0, options.patchRuns ?? true, onPatch, minPatchM2 > 0 ? (_pixels, m2) => m2 >= minPatchM2 : undefined) : null;
  const patchRuns = labeler ? new PatchRuns(c1 - c0) : null;
  // The buffer ring of the current row: merged column intervals, and the same as a mask over [c0, c1).
  const ringList: number[] = [];
  const ringMask = bufferPx ? new Uint8Array(c1 - c0) : null;
  const extras: RowExtras = { ring: ringList, ringAcc: ring.acc, ringCursor: 0, patchRuns, isPatch, bits: null, c0 };
  // Fused path accumulators, shared by inside and inside-minus-excluded (rows without excluded zones):
  // integer counts of fully covered pixels (uint16 only where the pixel area is constant: its table is
  // too large to flush every row), and partial areas.
  const shared = new Float64Array(65536);
  const counts = info.dataType === 'uint8' || !info.crs.geographic ? new FullCounts(info.dataType === 'uint8', shared) : null;
  return {
    mode,
    info,
    W,
    H,
    bw,
    bh,
    nodata,
    findings,
    zone,
    exclude,
    bufferPx,
    r0,
    r1,
    c0,
    c1,
    integer,
    small,
    nodataIsInteger,
    inside,
    insideEx,
    ring,
    acc,
    zw,
    edgesForBuffer,
    ahead,
    pool,
    fused,
    session,
    readRow,
    patchBits,
    patchClasses,
    maxPatches,
    kept,
    byWeight,
    labeler,
    patchRuns,
    ringList,
    ringMask,
    extras,
    shared,
    counts,
  };
}

type ZonalPlan = ReturnType<typeof planZonal>;

/** Sum the zone's rows block row by block row (prefetching the next rows), on the fused or the dense path. */
async function sumBlockRows(reader: RasterReader, plan: ZonalPlan): Promise<void> {
  const { W, H, bw, bh, zone, exclude, bufferPx, r0, r1, c0, c1, inside, insideEx, ring, zw, edgesForBuffer, ahead, pool, fused, readRow, patchBits, labeler, patchRuns, ringList, ringMask, extras, shared, counts } = plan;
  let covZ = new Float64Array(0);
  let covE = new Float64Array(0);
  let depositRow0 = 0;
  for (let by = Math.floor(r0 / bh); by * bh < r1; by++) {
    const ra = Math.max(r0, by * bh);
    const rb = Math.min(r1, (by + 1) * bh, H);
    // The fused path deposits the edges only (DEPOSIT_ROWS rows at a time, below, so its deposit array
    // stays small and warm) and turns running sums into class sums in one pass per row; the others take
    // dense coverage rows.
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
        const y1 = edgesForBuffer[i + 1]!,
          y2 = edgesForBuffer[i + 3]!;
        if (Math.max(y1, y2) >= ra - bufferPx && Math.min(y1, y2) <= rb + bufferPx) list.push(edgesForBuffer[i]!, y1, edgesForBuffer[i + 2]!, y2);
      }
      bandEdges = Float64Array.from(list);
    }
    const bxFirst = Math.floor(c0 / bw);
    const bxLast = Math.floor((c1 - 1) / bw);
    // The blocks of this row were requested while earlier rows were summed; request the next rows'
    // now (one ahead on the libuv pool, three with the inflate workers), then sum this one in row-major
    // order over the whole row, so the sums do not depend on the block layout.
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
    extras.bits = patchBits.get(by) ?? null;
    patchBits.delete(by);
    const words = fused && counts?.u8 ? wordViews(blocks) : [];
    for (let r = ra; r < rb; r++) {
      // Yield to the event loop now and then, so finished reads of the next block row can start inflating.
      if ((r - ra) % 32 === 31) await yieldToEventLoop();
      const areaM2 = reader.pixelAreaM2(r);
      const zRow = (r - ra) * zw - zone.colMin;
      const eRow = exclude ? (r - ra) * exclude.width - exclude.colMin : 0;
      const rowInZone = r >= zone.rowMin && r < zone.rowMax;
      const rowInExclude = exclude !== null && r >= exclude.rowMin && r < exclude.rowMax;
      // The fused loop walks the ring's intervals; the dense loops read them as a mask.
      const maskRing = bandEdges !== null && (!fused || rowInExclude);
      if (bandEdges) {
        ringIntervals(bandEdges, r + 0.5, bufferPx, c0, c1, ringList);
        if (maskRing) for (let i = 0; i < ringList.length; i += 2) ringMask!.fill(1, ringList[i]! - c0, ringList[i + 1]! - c0);
      }
      if (fused) {
        if ((r - ra) % DEPOSIT_ROWS === 0) {
          depositRow0 = r;
          zone.deposit(r, Math.min(r + DEPOSIT_ROWS, rb));
        }
        const ri = r - depositRow0;
        if (rowInExclude) {
          // Rows that meet an excluded zone take the dense coverage of the row.
          if (covZ.length < zw) covZ = new Float64Array(zw);
          if (rowInZone) zone.prefixRow(ri, covZ, 0);
          else covZ.fill(0, 0, zw);
          const dense: DenseRow = {
            covZ,
            zOffset: -zone.colMin,
            zFrom: zone.colMin,
            zTo: zone.colMax,
            covE,
            eOffset: eRow,
            eFrom: exclude!.colMin,
            eTo: exclude!.colMax,
            ringMask,
            areaM2,
            inside: inside.acc,
            insideEx: insideEx.acc,
            ringAcc: ring.acc,
          };
          for (let bx = bxFirst; bx <= bxLast; bx++) {
            const from = Math.max(c0, bx * bw);
            const to = Math.min(c1, (bx + 1) * bw, W);
            if (from < to) sumRowDense(blocks[bx - bxFirst] as Uint8Array | Uint16Array, (r - by * bh) * bw - bx * bw, from, to, dense, extras);
          }
        } else {
          // Projected rasters have one pixel area: count full pixels; geographic ones add areas row by row.
          counts?.setArea(areaM2);
          extras.ring = bandEdges ? ringList : null;
          extras.ringCursor = 0;
          sumRowFused(zone, ri, rowInZone, c0, c1, bw, blocks as Array<Uint8Array | Uint16Array | null>, words, bxFirst, (r - by * bh) * bw, areaM2, counts, shared, extras);
        }
      } else sumRowPixels(plan, blocks, { r, ra, by, bxFirst, bxLast, covZ, zRow, covE, eRow, areaM2, rowInZone, rowInExclude });
      if (maskRing) for (let i = 0; i < ringList.length; i += 2) ringMask!.fill(0, ringList[i]! - c0, ringList[i + 1]! - c0);
      if (labeler) {
        const runs = patchRuns!;
        labeler.pushRuns(r, runs.starts, runs.ends, runs.weights, runs.count);
        runs.count = 0;
      }
    }
  }
}

/**
 * One row on the dense path (centre or all-touched coverage, or float classes): each pixel's
 * coverage of the zone less the excluded zones, its class or nodata, the buffer ring, bare patches.
 */
function sumRowPixels(
  plan: ZonalPlan,
  blocks: Array<RasterBlock | null>,
  row: { r: number; ra: number; by: number; bxFirst: number; bxLast: number; covZ: Float64Array; zRow: number; covE: Float64Array; eRow: number; areaM2: number; rowInZone: boolean; rowInExclude: boolean },
): void {
  const { W, bw, bh, c0, c1, zone, exclude, small, nodataIsInteger, integer, nodata, labeler, ringMask, inside, insideEx, ring, acc, patchRuns, patchClasses } = plan;
  const { r, ra, by, bxFirst, bxLast, covZ, zRow, covE, eRow, areaM2, rowInZone, rowInExclude } = row;
  for (let bx = bxFirst; bx <= bxLast; bx++) {
    const block = blocks[bx - bxFirst]!;
    const ca = Math.max(c0, bx * bw);
    const cb = Math.min(c1, (bx + 1) * bw, W);
    const bRow = (r - by * bh) * bw - bx * bw;
    if (small && !ringMask && nodataIsInteger && !labeler) {
      // uint8/uint16 classes in centre or all-touched mode, no buffer: a tight loop over the zone's columns.
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
        if (ringMask?.[c - c0]) {
          const v = block[bRow + c]!;
          if (v === nodata || (nodata !== null && Number.isNaN(nodata) && Number.isNaN(v))) acc.nodataRing += areaM2;
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
      if (patchRuns && we >= 0.5 && patchClasses!.has(v)) patchRuns.add(c - c0, ae);
      if (v === nodata || (nodata !== null && Number.isNaN(nodata) && Number.isNaN(v)) || (!integer && Number.isNaN(v))) {
        acc.nodataIn += a;
        acc.nodataEx += ae;
      } else {
        add(inside, v, a, small);
        if (ae > 0) add(insideEx, v, ae, small);
      }
    }
  }
}

/** After the rows: the workers' counts, nodata moved apart from the classes, patches numbered, and the zone's part outside the raster. */
async function finishZonal(reader: RasterReader, zones: PixelPolygons, plan: ZonalPlan): Promise<ZonalResult> {
  const { mode, info, findings, zone, exclude, bufferPx, small, nodataIsInteger, nodata, inside, insideEx, ring, acc, pool, session, maxPatches, kept, byWeight, labeler, shared, counts } = plan;
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
    acc.nodataIn += inside.acc[nodata]!;
    acc.nodataEx += insideEx.acc[nodata]!;
    acc.nodataRing += ring.acc[nodata]!;
    inside.acc[nodata] = 0;
    insideEx.acc[nodata] = 0;
    ring.acc[nodata] = 0;
  }
  const finishPatches = (): Component[] => {
    labeler!.finish();
    if (kept.length > maxPatches) kept.sort(byWeight).length = maxPatches;
    // Top to bottom, left to right, numbered so.
    return kept.sort((a, b) => a.bbox[1] - b.bbox[1] || a.bbox[0] - b.bbox[0]).map((c, i) => ({ ...c, id: i + 1 }));
  };
  const zoneAreaM2 = polygonAreaPx(zones) * reader.pixelAreaM2(Math.floor((zone.rowMin + zone.rowMax) / 2));
  const insideTotalM2 = finish(inside, acc.nodataIn).totalM2;
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
    inside: finish(inside, acc.nodataIn),
    insideExcluded: finish(exclude ? insideEx : inside, exclude ? acc.nodataEx : acc.nodataIn),
    outsideBuffer: bufferPx ? finish(ring, acc.nodataRing) : null,
    zoneAreaM2,
    outsideRasterM2,
    findings,
    patches: labeler ? finishPatches() : null,
    patchCount: acc.patchCount,
  };
}

/**
 * Class areas inside the zone (and inside it less the excluded zones, and in
 * the buffer ring around it), with bare patches when asked: planned
 * (`planZonal`), summed row by row (`sumBlockRows`), finished (`finishZonal`).
 */
export async function zonalClassAreas(reader: RasterReader, zones: PixelPolygons, options: ZonalOptions = {}): Promise<ZonalResult> {
  const plan = planZonal(reader, zones, options);
  try {
    await sumBlockRows(reader, plan);
  } catch (err) {
    // Free the workers' tables of this session before giving up.
    if (plan.session) await plan.pool!.collect(plan.session).catch(() => null);
    throw err;
  }
  return finishZonal(reader, zones, plan);
}

/** What the fused and dense row loops add besides class sums: the buffer ring and bare patches. */
interface RowExtras {
  /** The ring's merged column intervals in this row ([from, to) pairs), or null without a buffer. */
  ring: number[] | null;
  ringAcc: Float64Array;
  /** First ring interval not yet passed (segments come left to right). */
  ringCursor: number;
  /** The row's patch runs over [c0, c1), and the patch codes as a lookup table. */
  patchRuns: PatchRuns | null;
  isPatch: Uint8Array | null;
  /** The patch bits of the blocks an inflate worker counted in this block row (see readBlockRowPooled), by block from bxFirst. */
  bits: Array<Uint32Array | null> | null;
  c0: number;
}

/**
 * The runs of patch pixels of one row, in columns from c0, built left to right
 * as pixels are read (so the labeler needs no mask, no scan of the row's
 * width and no clearing).
 */
class PatchRuns {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly weights: Float64Array;
  count = 0;
  constructor(width: number) {
    const n = Math.ceil(width / 2) + 1;
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.weights = new Float64Array(n);
  }
  /** Column `col` (columns come left to right), of weight `m2`. */
  add(col: number, m2: number): void {
    const last = this.count - 1;
    if (last >= 0 && this.ends[last] === col) {
      this.ends[last] = col + 1;
      this.weights[last]! += m2;
    } else {
      this.starts[this.count] = col;
      this.ends[this.count] = col + 1;
      this.weights[this.count++] = m2;
    }
  }
}

/**
 * Band row `ri` of the zone straight into class sums, without a coverage
 * array: the running sum of the deposits is computed cell by cell only where
 * edges touched the row; between those cells it is constant, so fully
 * covered stretches are pure class counts and uncovered ones are skipped
 * (or, inside the buffer ring, summed into the ring). Deposits are zeroed
 * behind the reader. `inZone` false: a row of the ring outside the zone's rows.
 */
function sumRowFused(
  zone: PolygonCoverage,
  ri: number,
  inZone: boolean,
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
  x: RowExtras,
): void {
  const acc = zone.acc;
  const width = zone.width;
  const colMin = zone.colMin;
  const line = ri * (width + 2);
  const lo = c0 - colMin;
  const hi = c1 - colMin;
  let pos = lo;
  if (inZone) {
    const { list, count } = zone.rowIntervals(ri);
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const start = list[2 * k]!;
      const end = list[2 * k + 1]!;
      // Left of the first touched cell the coverage is 0.
      if (start > pos) segment(pos, start, k === 0 ? 0 : sum);
      for (let c = start; c < end; c++) {
        sum += acc[line + c]!;
        acc[line + c] = 0;
        if (c >= pos) segment(c, c + 1, sum);
      }
      if (end > pos) pos = end;
    }
  }
  // Right of the last touched cell too (the running sum is 0 there up to rounding).
  if (pos < hi) segment(pos, hi, 0);

  /** Columns [from, to) of the zone's frame, all of coverage w. */
  function segment(from: number, to: number, w: number): void {
    const a = Math.max(from, lo);
    const b = Math.min(to, hi);
    if (a >= b) return;
    if (w < 1e-12) {
      if (x.ring) ringSpan(colMin + a, colMin + b);
      return;
    }
    const full = w >= 1 - 1e-12;
    const m2 = full ? areaM2 : w * areaM2;
    const patches = x.isPatch !== null && w >= 0.5;
    let c = a;
    while (c < b) {
      const bx = Math.floor((colMin + c) / bw);
      const block = blocks[bx - bxFirst];
      const segmentEnd = Math.min(b, (bx + 1) * bw - colMin);
      const offset = rowBase - bx * bw + colMin;
      if (!block) {
        // A block wholly inside, counted by an inflate worker (its patch pixels come as bits), or outside, never read.
        const bits = patches ? x.bits?.[bx - bxFirst] : null;
        if (bits) markPatchBits(bits, rowBase / bw, bx * bw - colMin, c, segmentEnd, m2);
        c = segmentEnd;
        continue;
      }
      if (patches) markPatches(block, offset, c, segmentEnd, m2);
      if (full && counts) {
        counts.count(block, words[bx - bxFirst] ?? null, offset + c, offset + segmentEnd);
        c = segmentEnd;
      } else {
        for (; c < segmentEnd; c++) {
          const v = block[offset + c]!;
          partial[v] = partial[v]! + m2;
        }
      }
    }
  }

  /** The patch runs of columns [from, to), all of weight m2 per pixel, appended to the row's runs. */
  function markPatches(block: Uint8Array | Uint16Array, offset: number, from: number, to: number, m2: number): void {
    const isPatch = x.isPatch!;
    const runs = x.patchRuns!;
    const { starts, ends, weights } = runs;
    const shift = colMin - x.c0;
    let n = runs.count;
    for (let c = from; c < to; ) {
      if (isPatch[block[offset + c]!] === 0) {
        c++;
        continue;
      }
      const start = c;
      while (c < to && isPatch[block[offset + c]!] !== 0) c++;
      // A run continues the last one when that ended where this starts (across segments and blocks).
      if (n > 0 && ends[n - 1] === start + shift) {
        ends[n - 1] = c + shift;
        weights[n - 1]! += (c - start) * m2;
      } else {
        starts[n] = start + shift;
        ends[n] = c + shift;
        weights[n] = (c - start) * m2;
        n++;
      }
    }
    runs.count = n;
  }

  /**
   * The patch runs of columns [from, to) (zone frame) of a counted block from its bits: `row` in the
   * block, `left` its first column in the zone frame. Runs are found a word at a time, so the work
   * follows the runs, not the pixels.
   */
  function markPatchBits(bits: Uint32Array, row: number, left: number, from: number, to: number, m2: number): void {
    const runs = x.patchRuns!;
    const { starts, ends, weights } = runs;
    const perRow = (bw + 31) >>> 5;
    const base = row * perRow;
    const shift = colMin - x.c0;
    let n = runs.count;
    for (let wi = (from - left) >>> 5; wi * 32 < to - left; wi++) {
      let word = bits[base + wi]!;
      const c32 = wi * 32;
      // Only the columns in [from, to).
      const lo = from - left - c32;
      const hi = to - left - c32;
      if (lo > 0) word &= ~((1 << lo) - 1);
      if (hi < 32) word &= (1 << hi) - 1;
      while (word !== 0) {
        const s = 31 - Math.clz32(word & -word);
        const zeros = ~word & ~(s === 0 ? 0 : (1 << s) - 1);
        const e = zeros === 0 ? 32 : 31 - Math.clz32(zeros & -zeros);
        word = e === 32 ? 0 : word & ~((1 << e) - 1);
        const start = left + c32 + s + shift;
        const end = left + c32 + e + shift;
        if (n > 0 && ends[n - 1] === start) {
          ends[n - 1] = end;
          weights[n - 1]! += (e - s) * m2;
        } else {
          starts[n] = start;
          ends[n] = end;
          weights[n] = (e - s) * m2;
          n++;
        }
      }
    }
    runs.count = n;
  }

  /** Absolute columns [from, to) of coverage 0: the pixels among them in the ring go to the ring's sums. */
  function ringSpan(from: number, to: number): void {
    const ring = x.ring!;
    while (x.ringCursor < ring.length && ring[x.ringCursor + 1]! <= from) x.ringCursor += 2;
    for (let k = x.ringCursor; k < ring.length && ring[k]! < to; k += 2) {
      const a = Math.max(from, ring[k]!);
      const b = Math.min(to, ring[k + 1]!);
      for (let c = a; c < b; c++) {
        const bx = Math.floor(c / bw);
        const block = blocks[bx - bxFirst];
        if (!block) continue;
        const v = block[rowBase - bx * bw + c]!;
        // Nodata is summed under its code and moved apart at the end.
        x.ringAcc[v] = x.ringAcc[v]! + areaM2;
      }
    }
  }
}

/** The dense coverage of one row that meets an excluded zone, for sumRowDense. */
interface DenseRow {
  covZ: Float64Array;
  /** covZ[zOffset + c] is the zone's coverage of column c, for c in [zFrom, zTo). */
  zOffset: number;
  zFrom: number;
  zTo: number;
  covE: Float64Array;
  eOffset: number;
  eFrom: number;
  eTo: number;
  ringMask: Uint8Array | null;
  areaM2: number;
  inside: Float64Array;
  insideEx: Float64Array;
  ringAcc: Float64Array;
}

/** Columns [from, to) of one block row (uint8/uint16, integer nodata summed under its code) in a row that meets an excluded zone. */
function sumRowDense(block: Uint8Array | Uint16Array, bRow: number, from: number, to: number, d: DenseRow, x: RowExtras): void {
  const { covZ, covE, areaM2 } = d;
  for (let c = from; c < to; c++) {
    const w = c >= d.zFrom && c < d.zTo ? covZ[d.zOffset + c]! : 0;
    if (w === 0) {
      if (d.ringMask?.[c - x.c0]) {
        const v = block[bRow + c]!;
        d.ringAcc[v] = d.ringAcc[v]! + areaM2;
      }
      continue;
    }
    const v = block[bRow + c]!;
    let we = w;
    if (c >= d.eFrom && c < d.eTo) {
      we = w - covE[d.eOffset + c]!;
      if (we < 0) we = 0;
    }
    d.inside[v] = d.inside[v]! + w * areaM2;
    d.insideEx[v] = d.insideEx[v]! + we * areaM2;
    if (x.isPatch && we >= 0.5 && x.isPatch[v]) x.patchRuns!.add(c - x.c0, we * areaM2);
  }
}

/**
 * The columns of [c0, c1) whose pixel centres on the line y lie within
 * `bufferPx` of an edge (flat x1, y1, x2, y2 quadruples), as merged
 * [from, to) pairs in `out`. Each edge's buffer is a capsule, convex, so it
 * meets the line in one interval: the union of what its end discs and its
 * band give.
 */
function ringIntervals(edges: Float64Array, y: number, bufferPx: number, c0: number, c1: number, out: number[]): void {
  out.length = 0;
  const b = bufferPx;
  const pieces: Array<[number, number]> = [];
  for (let i = 0; i < edges.length; i += 4) {
    const x1 = edges[i]!,
      y1 = edges[i + 1]!,
      x2 = edges[i + 2]!,
      y2 = edges[i + 3]!;
    if ((y1 < y - b && y2 < y - b) || (y1 > y + b && y2 > y + b)) continue;
    let lo = Infinity,
      hi = -Infinity;
    for (const [px, py] of [
      [x1, y1],
      [x2, y2],
    ] as const) {
      const dy = y - py;
      if (Math.abs(dy) > b) continue;
      const half = Math.sqrt(b * b - dy * dy);
      if (px - half < lo) lo = px - half;
      if (px + half > hi) hi = px + half;
    }
    // The band: 0 ≤ (p − A)·(B − A) ≤ L² and |(p − A) × (B − A)| ≤ b·L, each an x-interval on the line.
    const dx = x2 - x1,
      dyE = y2 - y1;
    const len2 = dx * dx + dyE * dyE;
    if (len2 > 0) {
      const len = Math.sqrt(len2);
      const ry = y - y1;
      let a0 = -Infinity,
        a1 = Infinity;
      if (dx !== 0) {
        const u = (0 - ry * dyE) / dx,
          v = (len2 - ry * dyE) / dx;
        a0 = x1 + Math.min(u, v);
        a1 = x1 + Math.max(u, v);
      } else if (ry * dyE < 0 || ry * dyE > len2) a1 = -Infinity;
      let b0 = -Infinity,
        b1 = Infinity;
      if (dyE !== 0) {
        const u = (-b * len + ry * dx) / dyE,
          v = (b * len + ry * dx) / dyE;
        b0 = x1 + Math.min(u, v);
        b1 = x1 + Math.max(u, v);
      } else if (Math.abs(ry * dx) > b * len) b1 = -Infinity;
      const from = Math.max(a0, b0),
        to = Math.min(a1, b1);
      if (from <= to) {
        if (from < lo) lo = from;
        if (to > hi) hi = to;
      }
    }
    if (lo > hi) continue;
    // Pixel c is in when its centre c + 0.5 is in [lo, hi].
    const first = Math.max(c0, Math.ceil(lo - 0.5));
    const last = Math.min(c1, Math.floor(hi - 0.5) + 1);
    if (first < last) pieces.push([first, last]);
  }
  pieces.sort((p, q) => p[0] - q[0]);
  for (const [from, to] of pieces) {
    const n = out.length;
    if (n > 0 && from <= out[n - 1]!) out[n - 1] = Math.max(out[n - 1]!, to);
    else out.push(from, to);
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
