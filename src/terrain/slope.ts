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
import type { RasterReader } from '../raster/reader.js';

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

  constructor(readonly reader: RasterReader) {
    if (reader.info.width < 2 || reader.info.height < 2) {
      throw new GreenmineError('TERRAIN_DEM_TOO_SMALL', `${reader.info.file}: a DEM needs at least 2 × 2 pixels for a slope`, { file: reader.info.file });
    }
  }

  /** Full-width strip of block row `by` (rows by·bh … ), nodata as NaN. */
  async strip(by: number): Promise<Float32Array> {
    const cached = this.strips.get(by);
    if (cached) return cached;
    const { width: W, blockWidth: bw, blockHeight: bh, nodata } = this.reader.info;
    const rows = this.reader.blockRows(by);
    const out = new Float32Array(W * rows);
    const blocks = await Promise.all(Array.from({ length: this.reader.blocksAcross }, (_, bx) => this.reader.readBlock(bx, by)));
    const nanNodata = nodata !== null && Number.isNaN(nodata);
    blocks.forEach((block, bx) => {
      const x0 = bx * bw;
      const w = Math.min(bw, W - x0);
      for (let r = 0; r < rows; r++) {
        const src = r * bw;
        const dst = r * W + x0;
        for (let c = 0; c < w; c++) {
          const v = block[src + c]!;
          out[dst + c] = v === nodata || (nanNodata && Number.isNaN(v)) ? NaN : v;
        }
      }
    });
    this.strips.set(by, out);
    // Keep only the strips around the one asked for.
    for (const key of this.strips.keys()) if (key < by - 1 || key > by + 1) this.strips.delete(key);
    return out;
  }

  /** Row `r` of the DEM (a view into its strip). */
  async row(r: number): Promise<Float32Array> {
    const { width: W, blockHeight: bh } = this.reader.info;
    const by = Math.floor(r / bh);
    const s = await this.strip(by);
    return s.subarray((r - by * bh) * W, (r - by * bh + 1) * W);
  }
}

/**
 * Slope (degrees) of DEM row `r` into `out` (length width), given the rows above and below
 * (null outside the image).
 */
export function slopeRow(above: Float32Array | null, row: Float32Array, below: Float32Array | null, ewresM: number, nsresM: number, algorithm: SlopeAlgorithm, out: Float32Array): void {
  const W = row.length;
  const firstOrLast = above === null || below === null;
  const win = new Float64Array(9);
  // Value of neighbour (dr, dc) of column c, with GDAL's edge and nodata rules.
  const at = (line: Float32Array | null, c: number, outerLine: Float32Array | null): number => {
    // `line` is the row the neighbour lies in (null: outside, extrapolate from `row` and `outerLine`).
    if (c < 0 || c >= W) {
      if (firstOrLast) return atClamped(line, c < 0 ? 0 : W - 1, outerLine);
      const e = c < 0 ? 0 : W - 1;
      const i = c < 0 ? 1 : W - 2;
      const a = atClamped(line, e, outerLine);
      const b = atClamped(line, i, outerLine);
      return 2 * a - b;
    }
    return atClamped(line, c, outerLine);
  };
  const atClamped = (line: Float32Array | null, c: number, outerLine: Float32Array | null): number => {
    if (line) return line[c]!;
    // Row outside: 2·edge − inner (NaN propagates when either is nodata).
    return 2 * row[c]! - outerLine![c]!;
  };
  const up = above;
  const down = below;
  for (let c = 0; c < W; c++) {
    const e = row[c]!;
    if (Number.isNaN(e)) {
      out[c] = NaN;
      continue;
    }
    if (!firstOrLast && c > 0 && c < W - 1) {
      // Interior: read the 3×3 window directly.
      win[0] = up![c - 1]!;
      win[1] = up![c]!;
      win[2] = up![c + 1]!;
      win[3] = row[c - 1]!;
      win[5] = row[c + 1]!;
      win[6] = down![c - 1]!;
      win[7] = down![c]!;
      win[8] = down![c + 1]!;
    } else {
      win[0] = at(up, c - 1, down);
      win[1] = at(up, c, down);
      win[2] = at(up, c + 1, down);
      win[3] = at(row, c - 1, null);
      win[5] = at(row, c + 1, null);
      win[6] = at(down, c - 1, up);
      win[7] = at(down, c, up);
      win[8] = at(down, c + 1, up);
    }
    win[4] = e;
    for (let k = 0; k < 9; k++) if (Number.isNaN(win[k]!)) win[k] = e;
    let dx: number, dy: number;
    if (algorithm === 'horn') {
      dx = (win[2]! + 2 * win[5]! + win[8]! - (win[0]! + 2 * win[3]! + win[6]!)) / (8 * ewresM);
      dy = (win[6]! + 2 * win[7]! + win[8]! - (win[0]! + 2 * win[1]! + win[2]!)) / (8 * nsresM);
    } else {
      dx = (win[5]! - win[3]!) / (2 * ewresM);
      dy = (win[7]! - win[1]!) / (2 * nsresM);
    }
    out[c] = (Math.atan(Math.sqrt(dx * dx + dy * dy)) * 180) / Math.PI;
  }
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
  private cacheRow = -1;
  private cache: Float32Array;

  constructor(
    readonly reader: RasterReader,
    readonly algorithm: SlopeAlgorithm = 'horn',
  ) {
    this.dem = new DemRows(reader);
    this.cache = new Float32Array(reader.info.width);
  }

  /** Slope of row r (degrees; NaN for nodata). The returned array is reused by the next call. */
  async row(r: number): Promise<Float32Array> {
    if (r === this.cacheRow) return this.cache;
    const H = this.reader.info.height;
    const row = await this.dem.row(r);
    const above = r > 0 ? await this.dem.row(r - 1) : null;
    const below = r < H - 1 ? await this.dem.row(r + 1) : null;
    const [ew, ns] = demPixelMetres(this.reader, r);
    slopeRow(above, row, below, ew, ns, this.algorithm, this.cache);
    this.cacheRow = r;
    return this.cache;
  }
}
