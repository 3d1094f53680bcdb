/**
 * Line-of-sight visibility of one camera on a DEM grid (viewshed).
 *
 * Rays are cast from the observer to every cell on the border of the square
 * that holds its range (the "R2" scheme of Franklin & Ray): each ray steps one
 * cell at a time along its major axis and keeps the steepest gradient seen so
 * far (from the elevation interpolated where the ray crosses between cells);
 * a cell is visible when the gradient to its target height, at its centre, is
 * at least that horizon. Every cell of the square lies on some ray, so the work is
 * ~8·r² steps for a range of r cells (times the share of the circle the
 * field of view spans, since rays outside the view sector are skipped), with
 * no allocation: this is the hot path, written by hand for that reason.
 *
 * Grids are north-up: columns run east, rows run south.
 */

export interface ViewGrid {
  /** Ground elevations, row-major (NaN: nodata); null for flat ground at elevation 0. */
  dem: Float32Array | null;
  width: number;
  height: number;
  /** Cell size in metres along a row (east) and down a column (south). */
  cellXM: number;
  cellYM: number;
}

/** What a camera sees from where it stands: mounting, aim and fields of view. */
export interface Optics {
  /** Mounting height of the lens above the ground at the camera, m. */
  heightM: number;
  /** Centre of view, degrees clockwise from north. */
  headingDeg: number;
  /** Horizontal field of view, degrees (360 for a dome or PTZ camera). */
  hfovDeg: number;
  rangeM: number;
  /** Depression of the optical axis below horizontal, degrees (null: not given). */
  tiltDeg: number | null;
  /** Vertical field of view, degrees (null: not given). */
  vfovDeg: number | null;
}

export interface ViewParams extends Optics {
  /** Camera position in continuous pixel coordinates (column, row; cell (c, r) spans [c, c+1] × [r, r+1]). */
  col: number;
  row: number;
  /** Height above the ground a target must show (0: the ground itself is seen). */
  targetHeightM: number;
  /** Ground elevation under the lens, m (default: the grid's cell there; a coarsened grid passes the fine one's). */
  groundM?: number;
}

const RAD = Math.PI / 180;

/**
 * Mark the visible cells: `marks[index] = mark` for each (cells not visible are left as they are, so
 * one array can hold several cameras' marks, each its own value). Returns the observer's elevation
 * (lens), or NaN when the DEM has no value under the camera.
 *
 * One loop over the cells of the range square's border, the ray to each written inline and marks
 * written directly: a callback per visible cell and a ray closure per camera kept V8 from inlining
 * (each camera made new closures), which cost half the time (measured on the demo mine's cameras).
 */
export function viewshed(grid: ViewGrid, view: ViewParams, marks: Uint8Array | Uint16Array, mark = 1): number {
  const { dem, width, height, cellXM, cellYM } = grid;
  const oc = Math.floor(view.col);
  const or = Math.floor(view.row);
  let ground = 0;
  if (dem) {
    if (oc < 0 || or < 0 || oc >= width || or >= height) return NaN;
    ground = view.groundM ?? dem[or * width + oc]!;
    if (Number.isNaN(ground)) return NaN;
  }
  const zo = ground + view.heightM;
  const rangeM = view.rangeM;
  const range2 = rangeM * rangeM;
  const full = view.hfovDeg >= 360;
  const halfFov = (view.hfovDeg * RAD) / 2;
  const heading = view.headingDeg * RAD;
  const sinH = Math.sin(heading),
    cosH = Math.cos(heading);
  const cosHalf = Math.cos(halfFov) - 1e-12;
  // Vertical window as gradients (tan of elevation angle): [tan(−tilt − vfov/2), tan(−tilt + vfov/2)].
  let gMin = -Infinity,
    gMax = Infinity;
  if (view.tiltDeg !== null && view.vfovDeg !== null) {
    const lo = -view.tiltDeg - view.vfovDeg / 2,
      hi = -view.tiltDeg + view.vfovDeg / 2;
    gMin = lo <= -90 ? -Infinity : Math.tan(lo * RAD);
    gMax = hi >= 90 ? Infinity : Math.tan(hi * RAD);
  }
  const targetH = view.targetHeightM;
  const rc = Math.ceil(rangeM / cellXM) + 1;
  const rr = Math.ceil(rangeM / cellYM) + 1;
  // A ray is cast when its direction is within the field of view plus the angle of one border cell.
  const margin = 2 / Math.min(rc, rr);
  const cosRay = full || halfFov + margin >= Math.PI ? -2 : Math.cos(halfFov + margin);
  const ox = view.col,
    oy = view.row;
  // Past this distance a ray has left the range for good.
  const beyond = rangeM + 2 * Math.hypot(cellXM, cellYM);
  const beyond2 = beyond * beyond;

  // The camera's own cell (seen straight down): within range and, unless the view is all round, at distance 0 or in the sector.
  if (oc >= 0 && or >= 0 && oc < width && or < height) {
    const e = (oc + 0.5 - ox) * cellXM,
      n = (oy - or - 0.5) * cellYM;
    const d2 = e * e + n * n;
    if (d2 <= range2 && gMin === -Infinity && (full || d2 === 0 || e * sinH + n * cosH >= cosHalf * Math.sqrt(d2))) marks[or * width + oc] = mark;
  }

  // The border of the range square: its top and bottom rows (2·rc + 1 cells each), then its side columns inside them.
  const across = 2 * rc + 1;
  const sides = 2 * rr - 1;
  const border = 2 * across + 2 * sides;
  for (let q = 0; q < border; q++) {
    let tc: number, tr: number;
    if (q < 2 * across) {
      tc = oc - rc + (q % across);
      tr = q < across ? or - rr : or + rr;
    } else {
      const k = q - 2 * across;
      tr = or - rr + 1 + (k % sides);
      tc = k < sides ? oc - rc : oc + rc;
    }
    const dc = tc - oc,
      dr = tr - or;
    // Direction of the ray in metres (east, north).
    const de = dc * cellXM,
      dn = -dr * cellYM;
    if (cosRay > -2 && (de * sinH + dn * cosH) / Math.sqrt(de * de + dn * dn) < cosRay) continue;
    const n = Math.max(Math.abs(dc), Math.abs(dr));
    // One step per cell along the major axis (whose coordinate stays whole); the minor one is fractional.
    const sc = dc / n,
      sr = dr / n;
    const alongColumns = Math.abs(dc) >= Math.abs(dr);
    let horizon = -Infinity;
    for (let k = 1; k <= n; k++) {
      const fc = oc + k * sc;
      const fr = or + k * sr;
      const c = Math.round(fc);
      const r = Math.round(fr);
      const e = (c + 0.5 - ox) * cellXM;
      const nn = (oy - r - 0.5) * cellYM;
      const d2 = e * e + nn * nn;
      if (d2 > beyond2) break;
      if (c < 0 || r < 0 || c >= width || r >= height) continue;
      const i = r * width + c;
      const z = dem ? dem[i]! : 0;
      if (z !== z) continue; // nodata: neither seen nor blocking
      const d = Math.sqrt(d2);
      const gt = (z + targetH - zo) / d;
      // Visible: not below the horizon, within range, the vertical window and the horizontal field of view.
      if (gt >= horizon - 1e-12 && d2 <= range2 && gt >= gMin && gt <= gMax && (full || e * sinH + nn * cosH >= cosHalf * d)) marks[i] = mark;
      // The horizon rises with the terrain on the ray itself: elevation interpolated between the
      // two cells the ray passes between, at the ray's own distance.
      let g = (z - zo) / d;
      if (dem) {
        let zi = z;
        if (alongColumns) {
          const r0 = Math.floor(fr),
            t = fr - r0;
          if (t > 0 && r0 >= 0 && r0 + 1 < height) zi = (1 - t) * dem[r0 * width + c]! + t * dem[(r0 + 1) * width + c]!;
        } else {
          const c0 = Math.floor(fc),
            t = fc - c0;
          if (t > 0 && c0 >= 0 && c0 + 1 < width) zi = (1 - t) * dem[r * width + c0]! + t * dem[r * width + c0 + 1]!;
        }
        if (zi === zi) {
          const ei = (fc + 0.5 - ox) * cellXM,
            ni = (oy - fr - 0.5) * cellYM;
          g = (zi - zo) / Math.sqrt(ei * ei + ni * ni);
        }
      }
      if (g > horizon) horizon = g;
    }
  }
  return zo;
}
