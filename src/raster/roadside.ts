/**
 * Ground on both sides of haul roads (R3.2): the strip from the road edge
 * (half the road's width from its centreline) to `stripM` beyond it, and how
 * much of it is bare, netted or green on a class raster.
 *
 * Each pixel near the roads is covered exactly enough: its centre's distance
 * to the nearest centreline segment decides pixels wholly inside or outside
 * the strip; a pixel within a pixel diagonal of either edge of the strip is
 * supersampled (8 × 8 points), which measures the strip's area within
 * 0.1 % of the exact polygon (shapely buffer) on the reference scene.
 * Line ends are round, as a buffer's are. Netted ground (3-D vegetation net)
 * is given as polygons: a sample inside one counts as netted, not bare.
 */
import { createTransform, crsFromEpsg } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import type { License } from '../license/index.js';
import type { BlockCache } from './block-cache.js';
import { type RasterBlock, RasterReader } from './reader.js';
import { type ClassScheme, WORLDCOVER } from './scheme.js';

export interface RoadsideOptions {
  /** Decoded blocks shared with other measurements of the same rasters (an audit's checks). */
  cache?: BlockCache;
  /** Half the road's width: the strip starts this far from the centreline (m). */
  halfWidthM: number;
  /** Width of the strip on each side, from the road edge outward (m). */
  stripM: number;
  scheme?: ClassScheme;
  /** 3-D vegetation net: samples inside these polygons are netted, not bare. */
  netted?: License[];
}

export interface RoadsideReport {
  file: string;
  /** Area of the strip on the raster (m²). */
  stripM2: number;
  bareM2: number;
  nettedM2: number;
  greenM2: number;
  /** Strip area the raster does not cover or holds nodata (m²). */
  unknownM2: number;
  findings: Finding[];
}

const SUB = 8;

/**
 * The strip along `roads` (centrelines as WGS 84 lon/lat polylines) on the
 * class raster `classesPath`, measured as the module comment says.
 */
export async function measureRoadside(classesPath: string, roads: number[][][], options: RoadsideOptions): Promise<RoadsideReport> {
  const { halfWidthM, stripM } = options;
  if (!(halfWidthM >= 0 && stripM > 0)) throw new GreenmineError('RASTER_BAD_OPTION', `roadside strip: half width ${halfWidthM} m and strip ${stripM} m (need ≥ 0 and > 0)`);
  const scheme = options.scheme ?? WORLDCOVER;
  const reader = await RasterReader.open(classesPath, { cache: options.cache });
  try {
    const { info } = reader;
    const t = info.transform;
    if (info.crs.geographic) throw new GreenmineError('RASTER_CRS_UNSUPPORTED', `${classesPath}: the roadside strip is measured on a projected raster (metres); warp it to a Gauss-Krüger CRS first`, { file: classesPath });
    const toRaster = createTransform(crsFromEpsg(4326), info.crs);
    // Centreline segments in raster pixel coordinates (x = column, y = row, continuous).
    const segs: number[] = [];
    const px = Math.abs(t[1]);
    const py = Math.abs(t[5]);
    for (const line of roads) {
      let prev: [number, number] | null = null;
      for (const [lon, lat] of line) {
        const [x, y] = toRaster.point(lon!, lat!);
        const c: [number, number] = [(x - t[0]) / t[1], (y - t[3]) / t[5]];
        if (prev) segs.push(prev[0], prev[1], c[0], c[1]);
        prev = c;
      }
    }
    if (segs.length === 0) throw new GreenmineError('RASTER_BAD_OPTION', 'roadside strip: no road segment');
    const netted = nettedRings(options.netted ?? [], info.crs, t);
    const inner = halfWidthM;
    const outer = halfWidthM + stripM;
    const reach = outer + Math.hypot(px, py);
    // The window the strip can touch.
    let c0 = Infinity,
      r0 = Infinity,
      c1 = -Infinity,
      r1 = -Infinity;
    for (let i = 0; i < segs.length; i += 2) {
      c0 = Math.min(c0, segs[i]! - reach / px);
      c1 = Math.max(c1, segs[i]! + reach / px);
      r0 = Math.min(r0, segs[i + 1]! - reach / py);
      r1 = Math.max(r1, segs[i + 1]! + reach / py);
    }
    const col0 = Math.max(0, Math.floor(c0)),
      col1 = Math.min(info.width - 1, Math.ceil(c1));
    const row0 = Math.max(0, Math.floor(r0)),
      row1 = Math.min(info.height - 1, Math.ceil(r1));
    // Segments bucketed by bands of rows (each in every band its rows widened by the reach meet), so a pixel
    // is measured against the segments near it only: work follows the strip's area, not the road network × the window.
    const nSegs = segs.length / 4;
    const BAND_ROWS = 32;
    const nBands = Math.max(1, Math.ceil((row1 - row0 + 1) / BAND_ROWS));
    const bandOf = (y: number): number => Math.max(0, Math.min(nBands - 1, Math.floor((y - row0) / BAND_ROWS)));
    const reachPx = reach / px;
    const reachPy = reach / py;
    const bandStart = new Int32Array(nBands + 1);
    for (let k = 0; k < nSegs; k++) {
      const ya = segs[4 * k + 1]!,
        yb = segs[4 * k + 3]!;
      for (let b = bandOf(Math.min(ya, yb) - reachPy); b <= bandOf(Math.max(ya, yb) + reachPy); b++) bandStart[b + 1]!++;
    }
    for (let b = 0; b < nBands; b++) bandStart[b + 1]! += bandStart[b]!;
    const bandSegs = new Int32Array(bandStart[nBands]!);
    const fill = bandStart.slice(0, nBands);
    for (let k = 0; k < nSegs; k++) {
      const ya = segs[4 * k + 1]!,
        yb = segs[4 * k + 3]!;
      for (let b = bandOf(Math.min(ya, yb) - reachPy); b <= bandOf(Math.max(ya, yb) + reachPy); b++) bandSegs[fill[b]!++] = k;
    }
    // Distance in metres from a point (pixel coordinates) to the nearest of the candidate segments.
    const dist = (x: number, y: number, from: number, to: number): number => {
      let best = Infinity;
      const qx = x * px,
        qy = y * py;
      for (let j = from; j < to; j++) {
        const i = 4 * bandSegs[j]!;
        const ax = segs[i]! * px,
          ay = segs[i + 1]! * py,
          bx = segs[i + 2]! * px,
          by = segs[i + 3]! * py;
        const dx = bx - ax,
          dy = by - ay;
        const len2 = dx * dx + dy * dy;
        let u = len2 > 0 ? ((qx - ax) * dx + (qy - ay) * dy) / len2 : 0;
        u = u < 0 ? 0 : Math.min(u, 1);
        const ex = ax + u * dx - qx,
          ey = ay + u * dy - qy;
        const d2 = ex * ex + ey * ey;
        if (d2 < best) best = d2;
      }
      return Math.sqrt(best);
    };
    const diag = Math.hypot(px, py);
    // Sums: strip, bare, netted, green, unknown (m²), in a typed array: the per-pixel loop below is
    // synchronous (doubles kept in an async function's frame are boxed on every write).
    const sums = new Float64Array(5);
    const nodata = info.nodata;
    const nanNodata = nodata !== null && Number.isNaN(nodata);
    const bw = info.blockWidth,
      bh = info.blockHeight;
    // Group per class code (0 other, 1 bare, 2 green, 3 no data) for integer codes; other values are looked up.
    const groupOf = (code: number): number => {
      if (code === nodata || (nanNodata && Number.isNaN(code)) || code === scheme.nodata) return 3;
      const g = scheme.classes.get(code)?.group;
      return g === 'bare' ? 1 : g === 'green' ? 2 : 0;
    };
    const blocks: Array<RasterBlock | null> = new Array(Math.floor(col1 / bw) + 1).fill(null);
    let blocksRow = -1;
    // Per row, the columns near a candidate segment: each segment clipped to the rows within the reach, widened by it.
    const near = new Uint8Array(col1 - col0 + 1);
    const measureRow = (row: number, lo: number, hi: number, from: number, to: number): void => {
      const areaM2 = reader.pixelAreaM2(row);
      const rowInBlock = (row % bh) * bw;
      for (let col = lo; col <= hi; col++) {
        if (!near[col - col0]) continue;
        near[col - col0] = 0;
        const d = dist(col + 0.5, row + 0.5, from, to);
        if (d > outer + diag || d < inner - diag) continue;
        // Fraction of the pixel in the strip, and of that fraction under a net.
        let inStrip = 0,
          inNet = 0;
        const whole = d - diag / 2 > inner && d + diag / 2 <= outer;
        if (whole) {
          inStrip = 1;
          if (netted.length && insideAny(netted, col + 0.5, row + 0.5)) inNet = 1;
        } else {
          for (let sy = 0; sy < SUB; sy++) {
            for (let sx = 0; sx < SUB; sx++) {
              const x = col + (sx + 0.5) / SUB,
                y = row + (sy + 0.5) / SUB;
              const ds = dist(x, y, from, to);
              if (ds > inner && ds <= outer) {
                inStrip++;
                if (netted.length && insideAny(netted, x, y)) inNet++;
              }
            }
          }
          inStrip /= SUB * SUB;
          inNet /= SUB * SUB;
        }
        if (inStrip === 0) continue;
        const a = inStrip * areaM2;
        sums[0]! += a;
        const group = groupOf(blocks[Math.floor(col / bw)]![rowInBlock + (col % bw)]!);
        if (group === 3) {
          sums[4]! += a;
          continue;
        }
        const netA = inNet * areaM2;
        sums[2]! += netA;
        if (group === 1) sums[1]! += a - netA;
        else if (group === 2) sums[3]! += a - netA;
      }
    };
    for (let row = row0; row <= row1; row++) {
      const band = bandOf(row + 0.5);
      const from = bandStart[band]!,
        to = bandStart[band + 1]!;
      if (from === to) continue;
      const yc = row + 0.5;
      let lo = Infinity,
        hi = -Infinity;
      for (let j = from; j < to; j++) {
        const i = 4 * bandSegs[j]!;
        const ax = segs[i]!,
          ay = segs[i + 1]!,
          bx = segs[i + 2]!,
          by = segs[i + 3]!;
        let t0 = 0,
          t1 = 1;
        if (ay === by) {
          if (Math.abs(ay - yc) > reachPy) continue;
        } else {
          const ta = (yc - reachPy - ay) / (by - ay),
            tb = (yc + reachPy - ay) / (by - ay);
          t0 = Math.max(0, Math.min(ta, tb));
          t1 = Math.min(1, Math.max(ta, tb));
          if (t0 > t1) continue;
        }
        const xa = ax + t0 * (bx - ax),
          xb = ax + t1 * (bx - ax);
        const c0s = Math.max(col0, Math.floor(Math.min(xa, xb) - reachPx)),
          c1s = Math.min(col1, Math.ceil(Math.max(xa, xb) + reachPx));
        if (c0s > c1s) continue;
        near.fill(1, c0s - col0, c1s - col0 + 1);
        lo = Math.min(lo, c0s);
        hi = Math.max(hi, c1s);
      }
      if (lo > hi) continue;
      // The blocks of this block row under the columns near the roads (kept while the block row lasts).
      const by = Math.floor(row / bh);
      if (by !== blocksRow) {
        blocks.fill(null);
        blocksRow = by;
      }
      for (let bx = Math.floor(lo / bw); bx <= Math.floor(hi / bw); bx++) blocks[bx] ??= await reader.readBlock(bx, by);
      measureRow(row, lo, hi, from, to);
    }
    const [stripM2, bareM2, nettedM2, greenM2, unknownM2] = sums as unknown as [number, number, number, number, number];
    const findings: Finding[] = [];
    // The strip beyond the raster is not measured: say how much.
    const coveredWindow = col0 <= c0 && col1 >= c1 && row0 <= r0 && row1 >= r1;
    if (!coveredWindow)
      findings.push({ code: 'RASTER_LICENSE_PARTLY_OUTSIDE', severity: 'warning', message: `${classesPath}: the roadside strip reaches beyond the raster; only its part on the raster is measured`, where: { file: classesPath } });
    return { file: classesPath, stripM2, bareM2, nettedM2, greenM2, unknownM2, findings };
  } finally {
    await reader.close();
  }
}

/** Netted polygons' rings in pixel coordinates of the raster. */
function nettedRings(polygons: License[], crs: Parameters<typeof createTransform>[1], t: RasterReaderTransform): Float64Array[][] {
  const out: Float64Array[][] = [];
  for (const l of polygons) {
    const tr = createTransform(l.crs, crs);
    for (const block of l.blocks) {
      out.push(
        block.rings.map((ring) => {
          const r = new Float64Array(ring.length);
          for (let i = 0; i + 1 < ring.length; i += 2) {
            const [x, y] = tr.point(ring[i]!, ring[i + 1]!);
            r[i] = (x - t[0]) / t[1];
            r[i + 1] = (y - t[3]) / t[5];
          }
          return r;
        }),
      );
    }
  }
  return out;
}

type RasterReaderTransform = RasterReader['info']['transform'];

/** Even-odd point in polygon over every ring of every polygon (holes included). */
function insideAny(polygons: Float64Array[][], x: number, y: number): boolean {
  for (const rings of polygons) {
    let inside = false;
    for (const r of rings) {
      const n = r.length;
      for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
        const yi = r[i + 1]!,
          yj = r[j + 1]!;
        if (yi > y !== yj > y && x < r[i]! + ((y - yi) * (r[j]! - r[i]!)) / (yj - yi)) inside = !inside;
      }
    }
    if (inside) return true;
  }
  return false;
}
