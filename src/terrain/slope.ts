/**
 * Slope in degrees on a DEM's grid, streamed strip by strip (one block row at
 * a time, with the neighbouring rows as a one-pixel halo), matching
 * `gdaldem slope -alg Horn -compute_edges` (or ZevenbergenThorne):
 * - outside the image, a missing row is extrapolated linearly (2·edge − inner);
 *   a missing column too, except in the first and last rows, where GDAL
 *   repeats the edge column;
 * - a nodata neighbour (or an extrapolation from one) takes the centre's value;
 *   a nodata centre gives nodata (NaN here).
 * Geographic DEMs get metric pixel sizes from the ellipsoid at each row's latitude.
 */
import { GreenmineError } from '../errors.js';
import type { RasterBlock, RasterReader } from '../raster/reader.js';
import { slopeInterior } from './slope-kernel.js';

export type SlopeAlgorithm = 'horn' | 'zevenbergen';

const A = 6378137;
const F = 1 / 298.257222101;
const E2 = F * (2 - F);

/** Metres per degree of longitude and latitude at latitude φ on the CGCS2000/GRS80 ellipsoid. */
export function metresPerDegree(latDeg: number): [number, number] {
  const phi = (latDeg * Math.PI) / 180;
  const s = Math.sin(phi);
  const w = Math.sqrt(1 - E2 * s * s);
  const n = A / w;
  const m = (A * (1 - E2)) / (w * w * w);
  return [(n * Math.cos(phi) * Math.PI) / 180, (m * Math.PI) / 180];
}

/** The DEM as float rows (nodata → NaN), a block row at a time. */
export class DemRows {
  private strips = new Map<number, Float32Array>();
  /** Columns [colStart, colEnd) of the DEM are kept (all by default): row arrays start at colStart. */
  readonly colStart: number;
  readonly colEnd: number;

  constructor(
    readonly reader: RasterReader,
    colStart = 0,
    colEnd = reader.info.width,
  ) {
    this.colStart = Math.max(0, colStart);
    this.colEnd = Math.min(reader.info.width, colEnd);
    if (reader.info.width < 2 || reader.info.height < 2) {
      throw new GreenmineError('TERRAIN_DEM_TOO_SMALL', `${reader.info.file}: a DEM needs at least 2 × 2 pixels for a slope`, { file: reader.info.file });
    }
  }

  /** Strip buffers no longer needed, reused (a strip of a wide DEM is tens of MB). */
  private spare: Float32Array[] = [];
  /** The block row read ahead (through the inflate pool), and the last strip made (reading ahead only follows row order). */
  private ahead: { by: number; blocks: Promise<Array<RasterBlock | null>> } | null = null;
  private lastStrip = -1;

  /** Full-width strip of block row `by` (rows by·bh … ), nodata as NaN. */
  async strip(by: number): Promise<Float32Array> {
    const cached = this.strips.get(by);
    if (cached) return cached;
    const { blockWidth: bw, blockHeight: bh, nodata } = this.reader.info;
    const W = this.colEnd - this.colStart;
    const rows = this.reader.blockRows(by);
    const full = this.spare.pop() ?? new Float32Array(W * bh);
    const out = full.subarray(0, W * rows);
    const nanNodata = nodata !== null && Number.isNaN(nodata);
    // A few blocks in flight at a time, each copied into the strip as it arrives: little transient memory.
    const first = Math.floor(this.colStart / bw);
    const last = Math.floor((this.colEnd - 1) / bw);
    const copy = (block: RasterBlock, bx: number): void => {
      const x0 = Math.max(bx * bw, this.colStart);
      const x1 = Math.min((bx + 1) * bw, this.colEnd);
      for (let r = 0; r < rows; r++) {
        const src = r * bw - bx * bw;
        const dst = r * W - this.colStart;
        // A typed-array copy (converting to float32), then nodata to NaN over the copied floats.
        out.set(block.subarray(src + x0, src + x1), dst + x0);
        if (nodata !== null && !nanNodata) {
          // Found by the typed array's own search (a loop here cost 5 ns a pixel).
          const seg = out.subarray(dst + x0, dst + x1);
          for (let i = seg.indexOf(nodata); i >= 0; i = seg.indexOf(nodata, i + 1)) seg[i] = NaN;
        }
      }
    };
    // Through the inflate pool when the raster has one (inflate and predictor off this thread), else
    // a few blocks in flight at a time, each copied into the strip as it arrives: little transient memory.
    const pool = this.reader.pool;
    if (pool) {
      // Read in row order, the next block row is read ahead while this one is used (the pool's workers
      // inflate it while this thread computes): waiting for each strip left the thread idle a third of the time.
      const pending = this.ahead?.by === by ? this.ahead.blocks : this.reader.readBlockRowPooled(by, first, last);
      const sequential = this.lastStrip === by - 1 && by + 1 < this.reader.blocksDown;
      this.ahead = sequential ? { by: by + 1, blocks: this.reader.readBlockRowPooled(by + 1, first, last) } : null;
      this.ahead?.blocks.catch(() => undefined);
      const blocks = await pending;
      blocks.forEach((block, k) => copy(block!, first + k));
    } else {
      for (let bx0 = first; bx0 <= last; bx0 += 8) {
        const blocks = await Promise.all(Array.from({ length: Math.min(8, last - bx0 + 1) }, (_, k) => this.reader.readBlock(bx0 + k, by)));
        blocks.forEach((block, k) => copy(block, bx0 + k));
      }
    }
    this.strips.set(by, out);
    this.lastStrip = by;
    // Keep only the strips around the one asked for; recycle the others' buffers.
    for (const [key, strip] of this.strips) {
      if (key < by - 1 || key > by + 1) {
        this.strips.delete(key);
        if (strip.buffer.byteLength === W * bh * 4) this.spare.push(new Float32Array(strip.buffer));
      }
    }
    return out;
  }

  /** Row `r` of the DEM's kept columns (a view into its strip; index 0 is column colStart). */
  async row(r: number): Promise<Float32Array> {
    const { blockHeight: bh } = this.reader.info;
    const W = this.colEnd - this.colStart;
    const by = Math.floor(r / bh);
    const s = await this.strip(by);
    return s.subarray((r - by * bh) * W, (r - by * bh + 1) * W);
  }
}

const DEG = 180 / Math.PI;

/**
 * atan(t) for t ≥ 0 (NaN gives NaN), as slope.wat's $atan_pos, operation for operation: one division
 * reduces t to |z| ≤ tan(π/8) around 0, π/4 or π/2, then fdlibm's polynomial for |z| < 7/16 (Sun
 * Microsystems 1993, freely granted with this notice). Within a few units in the last place of a double
 * of Math.atan, whose call cost two thirds of a slope pixel.
 */
export function atanPositive(t: number): number {
  const mid = t > 0.41421356237309503;
  const high = t > 2.414213562373095;
  const z = (high ? -1 : mid ? t - 1 : t) / (high ? t : mid ? t + 1 : 1);
  const z2 = z * z;
  const w = z2 * z2;
  const s1 = z2 * (0.3333333333333293 + w * (0.14285714272503466 + w * (0.09090887133436507 + w * (0.06661073137387531 + w * (0.049768779946159324 + w * 0.016285820115365782)))));
  const s2 = w * (-0.19999999999876483 + w * (-0.11111110405462356 + w * (-0.0769187620504483 + w * (-0.058335701337905735 + w * -0.036531572744216916))));
  return (high ? Math.PI / 2 : mid ? Math.PI / 4 : 0) + (z - z * (s1 + s2));
}

/** Slope from a 3×3 window (a b c / d e f / g h i), nodata neighbours already replaced; differences times the reciprocal pixel sizes, as GDAL. */
function slopeOf(a: number, b: number, c: number, d: number, f: number, g: number, h: number, i: number, _e: number, ewresM: number, nsresM: number, horn: boolean): number {
  let dx: number, dy: number;
  if (horn) {
    dx = (c + 2 * f + i - (a + 2 * d + g)) * (1 / (8 * ewresM));
    dy = (g + 2 * h + i - (a + 2 * b + c)) * (1 / (8 * nsresM));
  } else {
    dx = (f - d) * (1 / (2 * ewresM));
    dy = (h - b) * (1 / (2 * nsresM));
  }
  return atanPositive(Math.sqrt(dx * dx + dy * dy)) * DEG;
}

/**
 * Slope (degrees) of DEM row `r` into `out` (length width), given the rows above and below
 * (null outside the image); `missing` (NaN by default) where there is no slope.
 */
export function slopeRow(above: Float32Array | null, row: Float32Array, below: Float32Array | null, ewresM: number, nsresM: number, algorithm: SlopeAlgorithm, out: Float32Array, missing = Number.NaN): void {
  const W = row.length;
  const horn = algorithm === 'horn';
  if (above && below) {
    // Interior columns: in WebAssembly (slope.wat), else this loop, the same operations.
    if (W < 3 || !slopeInterior(above, row, below, ewresM, nsresM, horn, out, missing)) {
      for (let c = 1; c < W - 1; c++) {
        const e = row[c]!;
        if (e !== e) {
          out[c] = missing;
          continue;
        }
        let a = above[c - 1]!,
          b = above[c]!,
          cc = above[c + 1]!;
        let d = row[c - 1]!,
          f = row[c + 1]!;
        let g = below[c - 1]!,
          h = below[c]!,
          i = below[c + 1]!;
        // NaN (nodata) neighbours take the centre's value.
        if (a !== a) a = e;
        if (b !== b) b = e;
        if (cc !== cc) cc = e;
        if (d !== d) d = e;
        if (f !== f) f = e;
        if (g !== g) g = e;
        if (h !== h) h = e;
        if (i !== i) i = e;
        const v = Math.fround(slopeOf(a, b, cc, d, f, g, h, i, e, ewresM, nsresM, horn));
        out[c] = v === v ? v : missing;
      }
    }
    edgeColumn(above, row, below, 0, ewresM, nsresM, horn, out, missing);
    edgeColumn(above, row, below, W - 1, ewresM, nsresM, horn, out, missing);
  } else {
    for (let c = 0; c < W; c++) edgeColumn(above, row, below, c, ewresM, nsresM, horn, out, missing);
  }
}

/**
 * One pixel with GDAL's -compute_edges rules: a row outside the image is
 * 2·edge − inner; a column outside is extrapolated the same way, except in
 * the first and last rows, where the edge column is repeated.
 */
function edgeColumn(above: Float32Array | null, row: Float32Array, below: Float32Array | null, c: number, ewresM: number, nsresM: number, horn: boolean, out: Float32Array, missing: number): void {
  const W = row.length;
  const e = row[c]!;
  if (e !== e) {
    out[c] = missing;
    return;
  }
  const firstOrLast = above === null || below === null;
  // Row values at column k (k may be outside): in a real row, or extrapolated from `row` and `other`.
  const rowValue = (line: Float32Array | null, k: number, other: Float32Array | null): number => (line ? line[k]! : 2 * row[k]! - other![k]!);
  const at = (line: Float32Array | null, k: number, other: Float32Array | null): number => {
    if (k >= 0 && k < W) return rowValue(line, k, other);
    const edge = k < 0 ? 0 : W - 1;
    if (firstOrLast) return rowValue(line, edge, other);
    return 2 * rowValue(line, edge, other) - rowValue(line, k < 0 ? 1 : W - 2, other);
  };
  const v = [at(above, c - 1, below), at(above, c, below), at(above, c + 1, below), at(row, c - 1, null), at(row, c + 1, null), at(below, c - 1, above), at(below, c, above), at(below, c + 1, above)];
  for (let k = 0; k < 8; k++) if (v[k] !== v[k]) v[k] = e;
  const s = Math.fround(slopeOf(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, e, ewresM, nsresM, horn));
  out[c] = s === s ? s : missing;
}

/** Pixel sizes in metres for DEM row `r` ([east-west, north-south]). */
export function demPixelMetres(reader: RasterReader, r: number): [number, number] {
  const t = reader.info.transform;
  if (!reader.info.crs.geographic) return [Math.abs(t[1]), Math.abs(t[5])];
  const lat = t[3] + (r + 0.5) * t[5];
  const [kx, ky] = metresPerDegree(lat);
  return [Math.abs(t[1]) * kx, Math.abs(t[5]) * ky];
}

/** Slope rows of a DEM, computed on demand in row order with a one-row halo. */
export class SlopeRows {
  readonly dem: DemRows;
  /** Column of index 0 in the rows returned (a one-column halo around the asked range is read). */
  readonly offset: number;
  private cacheRow = -1;
  private cache: Float32Array;

  constructor(
    readonly reader: RasterReader,
    readonly algorithm: SlopeAlgorithm = 'horn',
    colStart = 0,
    colEnd = reader.info.width,
    /** The value where there is no slope (NaN by default; the slope raster asks for its nodata value). */
    readonly missing = Number.NaN,
  ) {
    // The halo column on each side (where the DEM goes on) gives the edge columns their true neighbours.
    this.dem = new DemRows(reader, colStart - 1, colEnd + 1);
    this.offset = this.dem.colStart;
    this.cache = new Float32Array(this.dem.colEnd - this.dem.colStart);
  }

  /** Slope of row r (degrees; `missing` for nodata). The returned array is reused by the next call. */
  async row(r: number): Promise<Float32Array> {
    if (r === this.cacheRow) return this.cache;
    const H = this.reader.info.height;
    const row = await this.dem.row(r);
    const above = r > 0 ? await this.dem.row(r - 1) : null;
    const below = r < H - 1 ? await this.dem.row(r + 1) : null;
    const [ew, ns] = demPixelMetres(this.reader, r);
    slopeRow(above, row, below, ew, ns, this.algorithm, this.cache, this.missing);
    this.cacheRow = r;
    return this.cache;
  }
}
