/**
 * Video coverage of the mining area (R5.3): the share of the license area that
 * some camera sees. Without a DEM a camera sees its view sector on flat
 * ground; with one, what its line of sight reaches (a pit wall hides what lies
 * behind it). The license is rasterised with exact fractional cover on the
 * analysis grid (the DEM's, or a synthetic one in the license's plane), so
 * areas are exact up to the cells the view boundaries cut.
 */
import { type Crs, createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { gkZoneFor, type License, licenseArea } from '../license/index.js';
import { type BlockCache, outlineRuns, type PixelPolygons, PolygonCoverage, RasterReader, StreamingLabeler, toPixelPolygons } from '../raster/index.js';
import { DemRows, metresPerDegree } from '../terrain/index.js';
import type { Camera } from './cameras.js';
import { type ViewGrid, viewshed } from './viewshed.js';

export interface CameraCoverageOptions {
  /** DEM (path or open reader) for line-of-sight visibility; without it, flat ground. */
  dem?: string | RasterReader;
  /** Cell size of the synthetic grid used without a DEM, m (default: fine enough for ~4 million cells over the license, at least 0.1 m). */
  cellM?: number;
  /** Height above ground a target must show to count as seen, m (default 0: the ground). */
  targetHeightM?: number;
  /** Uncovered parts smaller than this are left out of the GeoJSON (still counted in the area), m² (default 0). */
  minUncoveredM2?: number;
  /** Largest analysis window, cells (default 100 million). */
  maxCells?: number;
  /**
   * A camera whose range spans more grid cells than this is traced on a coarser grid (blocks of cells
   * averaged) fine enough for it (default 2048): ~8·2048² ray steps at most per camera, whatever the DEM's
   * resolution. The cell size each camera was traced at is in its `traceCellM`.
   */
  maxRangeCells?: number;
  /** Decoded blocks shared with other measurements of the same rasters (an audit's checks). */
  cache?: BlockCache;
}

export interface CameraVisibility {
  id: string;
  /** License area this camera sees, m² (on the ellipsoid). */
  visibleM2: number;
  /** Whether the camera's range reaches the license at all. */
  reachesLicense: boolean;
  /** Lens elevation used for line of sight, m (null without a DEM). */
  lensElevationM: number | null;
  /** Cell size its line of sight was traced at, m (the grid's, or coarser for a long range: `maxRangeCells`). */
  traceCellM: number;
}

export interface UncoveredFeature {
  type: 'Feature';
  properties: { id: number; areaM2: number };
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
}

export interface CameraCoverage {
  mode: 'line-of-sight' | 'sectors';
  coveredShare: number;
  coveredM2: number;
  /** License area on the ellipsoid, m². */
  licenseM2: number;
  uncoveredM2: number;
  cameras: CameraVisibility[];
  /** Uncovered parts of the license (WGS 84), as outlines of the analysis cells. */
  uncovered: { type: 'FeatureCollection'; features: UncoveredFeature[] };
  grid: { crs: string; cellXM: number; cellYM: number; width: number; height: number };
  findings: Finding[];
}

const WGS84 = crsFromEpsg(4326);

/** Video coverage of `licenses` (all their blocks together) by `cameras`. */
export async function cameraCoverage(licenses: License[], cameras: Camera[], options: CameraCoverageOptions = {}): Promise<CameraCoverage> {
  if (licenses.length === 0) throw new GreenmineError('CAMERA_NO_LICENSE', 'no license to cover');
  const findings: Finding[] = [];
  const ownsReader = typeof options.dem === 'string';
  const reader = typeof options.dem === 'string' ? await RasterReader.open(options.dem, { cache: options.cache }) : (options.dem ?? null);
  try {
    return await measure(licenses, cameras, reader, options, findings);
  } finally {
    if (ownsReader) await reader?.close();
  }
}

type Transform6 = [number, number, number, number, number, number];

/**
 * Camera coverage in named phases: the analysis grid (`analysisGrid`), the
 * cameras placed on it, the window that holds the license and the cameras
 * that reach it (`analysisWindow`), the license cover and DEM of that window
 * (`loadWindow`), line of sight camera by camera (`traceVisibility`), and the
 * parts no camera sees (`uncoveredParts`).
 */
async function measure(licenses: License[], cameras: Camera[], reader: RasterReader | null, options: CameraCoverageOptions, findings: Finding[]): Promise<CameraCoverage> {
  const { gridCrs, t, gridW, gridH } = analysisGrid(licenses, reader, options);
  const grid = { info: { transform: t, crs: gridCrs } };
  const pixel: PixelPolygons = licenses.flatMap((l) =>
    toPixelPolygons(
      l.blocks.map((b) => b.rings),
      l.crs,
      grid,
    ),
  );
  const cover = new PolygonCoverage(pixel, 'fractional');

  // Cell size in metres (geographic DEMs: at the license's centre latitude).
  let cellXM = Math.abs(t[1]);
  let cellYM = Math.abs(t[5]);
  if (gridCrs.geographic) {
    const [mx, my] = metresPerDegree(t[3] + ((cover.rowMin + cover.rowMax) / 2) * t[5]);
    cellXM *= mx;
    cellYM *= my;
  }

  // Cameras in pixel coordinates; which of them reach the license (metres from a pixel position to the license's box).
  const gapM = (p: { col: number; row: number }): number => Math.hypot(Math.max(cover.colMin - p.col, 0, p.col - cover.colMax) * cellXM, Math.max(cover.rowMin - p.row, 0, p.row - cover.rowMax) * cellYM);
  const placed = cameras.map((cam) => placeCamera(cam, gridCrs, t, gapM, findings));
  const reaching = placed.map((p, k) => {
    const gap = gapM(p);
    const ok = gap <= cameras[k]!.rangeM;
    if (!ok) findings.push({ code: 'CAMERA_OUT_OF_RANGE', severity: 'warning', message: `camera ${cameras[k]!.id}: ${gap.toFixed(0)} m from the license, beyond its range of ${cameras[k]!.rangeM} m`, where: cameras[k]!.where });
    return ok;
  });

  const win = analysisWindow(cover, placed, reaching, reader, gridW, gridH, gridCrs, options.maxCells ?? 100e6, findings);
  const { frac, dem } = await loadWindow(cover, reader, win);
  const view: ViewGrid = { dem, width: win.w, height: win.h, cellXM, cellYM };
  const seen = traceVisibility(view, cameras, placed, reaching, frac, win, options.targetHeightM ?? 0, reader !== null, options.maxRangeCells ?? 2048, findings);

  // Areas: cell sums scaled so the license sums to its ellipsoidal area.
  let licenseCells = 0;
  for (let i = 0; i < frac.length; i++) licenseCells += frac[i]!;
  const licenseM2 = licenses.reduce((a, l) => a + licenseArea(l).ellipsoidalM2, 0);
  const m2PerCell = licenseCells > 0 ? licenseM2 / licenseCells : 0;
  const toWgs = createTransform(gridCrs, WGS84);
  const toMap = (p: number[]): [number, number] => toWgs.point(t[0] + (p[0]! + win.c0) * t[1], t[3] + (p[1]! + win.r0) * t[5]);
  const features = uncoveredParts(frac, seen.covered, win.w, win.h, m2PerCell, toMap, options.minUncoveredM2 ?? 0);

  const coveredM2 = seen.coveredCells * m2PerCell;
  return {
    mode: reader ? 'line-of-sight' : 'sectors',
    coveredShare: licenseCells > 0 ? seen.coveredCells / licenseCells : 0,
    coveredM2,
    licenseM2,
    uncoveredM2: licenseM2 - coveredM2,
    cameras: cameras.map((cam, k) => ({ id: cam.id, visibleM2: seen.visibleCells[k]! * m2PerCell, reachesLicense: reaching[k]!, lensElevationM: seen.lens[k]!, traceCellM: Math.max(cellXM, cellYM) * seen.factor[k]! })),
    uncovered: { type: 'FeatureCollection', features },
    grid: { crs: crsLabel(gridCrs), cellXM, cellYM, width: win.w, height: win.h },
    findings,
  };
}

/** The analysis grid: the DEM's (north-up), or without one a grid in the license's GK plane fine enough for ~4 million cells. */
function analysisGrid(licenses: License[], reader: RasterReader | null, options: CameraCoverageOptions): { gridCrs: Crs; t: Transform6; gridW: number; gridH: number } {
  if (reader) {
    const info = reader.info;
    if (info.transform[2] !== 0 || info.transform[4] !== 0 || info.transform[5] >= 0) {
      throw new GreenmineError('CAMERA_DEM_ROTATED', `${info.file}: the DEM must be north-up (no rotation, rows running south)`, { file: info.file });
    }
    return { gridCrs: info.crs, t: info.transform, gridW: info.width, gridH: info.height };
  }
  const first = licenses[0]!;
  const bbox = licenseArea(first).bboxLonLat;
  const gridCrs = first.crs.geographic ? gkZoneFor((bbox[0] + bbox[2]) / 2, first.crs.datum) : first.crs;
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const license of licenses) {
    const tr = createTransform(license.crs, gridCrs);
    for (const block of license.blocks) {
      for (const ring of block.rings) {
        for (let i = 0; i + 1 < ring.length; i += 2) {
          const [x, y] = tr.point(ring[i]!, ring[i + 1]!);
          box[0] = Math.min(box[0]!, x);
          box[1] = Math.min(box[1]!, y);
          box[2] = Math.max(box[2]!, x);
          box[3] = Math.max(box[3]!, y);
        }
      }
    }
  }
  const cellM = options.cellM ?? Math.max(0.1, Math.sqrt(((box[2]! - box[0]!) * (box[3]! - box[1]!)) / 4e6));
  if (!(cellM > 0)) throw new GreenmineError('CAMERA_BAD_OPTION', `cell size ${cellM} m: expected a positive number of metres`);
  return {
    gridCrs,
    t: [box[0]! - cellM, cellM, 0, box[3]! + cellM, 0, -cellM],
    gridW: Math.ceil((box[2]! - box[0]!) / cellM) + 2,
    gridH: Math.ceil((box[3]! - box[1]!) / cellM) + 2,
  };
}

interface AnalysisWindow {
  c0: number;
  r0: number;
  c1: number;
  r1: number;
  w: number;
  h: number;
}

/** The window: the license's box, and with a DEM also the cameras that reach it (the terrain between lies in their joint box). */
function analysisWindow(
  cover: PolygonCoverage,
  placed: Array<{ col: number; row: number }>,
  reaching: boolean[],
  reader: RasterReader | null,
  gridW: number,
  gridH: number,
  gridCrs: Crs,
  maxCells: number,
  findings: Finding[],
): AnalysisWindow {
  let c0 = cover.colMin,
    r0 = cover.rowMin,
    c1 = cover.colMax,
    r1 = cover.rowMax;
  if (reader) {
    placed.forEach((p, k) => {
      if (!reaching[k]) return;
      c0 = Math.min(c0, Math.floor(p.col));
      r0 = Math.min(r0, Math.floor(p.row));
      c1 = Math.max(c1, Math.floor(p.col) + 1);
      r1 = Math.max(r1, Math.floor(p.row) + 1);
    });
    c0 = Math.max(0, c0);
    r0 = Math.max(0, r0);
    c1 = Math.min(gridW, c1);
    r1 = Math.min(gridH, r1);
    if (c1 <= c0 || r1 <= r0) throw new GreenmineError('CAMERA_DEM_DISJOINT', `${reader.info.file}: the DEM (${crsLabel(gridCrs)}) does not cover the license`, { file: reader.info.file });
    if (cover.colMin < 0 || cover.rowMin < 0 || cover.colMax > gridW || cover.rowMax > gridH) {
      findings.push({ code: 'CAMERA_DEM_PARTIAL', severity: 'warning', message: `${reader.info.file}: the DEM covers only part of the license; the rest counts as not seen`, where: { file: reader.info.file } });
    }
  }
  const w = c1 - c0,
    h = r1 - r0;
  if (w * h > maxCells) {
    throw new GreenmineError('CAMERA_WINDOW_TOO_LARGE', `the analysis window is ${w} × ${h} cells (limit ${maxCells}); use a coarser DEM (or --cell-m) or fewer distant cameras`);
  }
  return { c0, r0, c1, r1, w, h };
}

/** The license's cover of each cell of the window, and the DEM window (null without a DEM). */
async function loadWindow(cover: PolygonCoverage, reader: RasterReader | null, win: AnalysisWindow): Promise<{ frac: Float32Array; dem: Float32Array | null }> {
  const { c0, r0, c1, r1, w, h } = win;
  const frac = new Float32Array(w * h);
  const band = Math.max(1, Math.min(h, Math.floor(4e6 / Math.max(1, cover.width))));
  const rowsOut = new Float64Array(band * cover.width);
  for (let rb = r0; rb < r1; rb += band) {
    const re = Math.min(r1, rb + band);
    cover.rows(rb, re, rowsOut);
    for (let r = rb; r < re; r++) {
      for (let c = Math.max(c0, cover.colMin); c < Math.min(c1, cover.colMax); c++) frac[(r - r0) * w + (c - c0)] = rowsOut[(r - rb) * cover.width + (c - cover.colMin)]!;
    }
  }
  if (!reader) return { frac, dem: null };
  const dem = new Float32Array(w * h);
  const rows = new DemRows(reader, c0, c1);
  for (let r = r0; r < r1; r++) dem.set(await rows.row(r), (r - r0) * w);
  return { frac, dem };
}

/** A coarser copy of the view grid: each cell the mean of a factor × factor block of cells (nodata left out; a block without data is nodata). */
function coarsen(view: ViewGrid, factor: number): ViewGrid {
  const width = Math.ceil(view.width / factor),
    height = Math.ceil(view.height / factor);
  const coarse = { dem: null as Float32Array | null, width, height, cellXM: view.cellXM * factor, cellYM: view.cellYM * factor };
  if (!view.dem) return coarse;
  const sum = new Float64Array(width * height);
  const count = new Uint32Array(width * height);
  for (let r = 0; r < view.height; r++) {
    const o = ((r / factor) | 0) * width;
    for (let c = 0; c < view.width; c++) {
      const z = view.dem[r * view.width + c]!;
      if (z !== z) continue;
      const k = o + ((c / factor) | 0);
      sum[k]! += z;
      count[k]!++;
    }
  }
  coarse.dem = new Float32Array(width * height);
  for (let k = 0; k < sum.length; k++) coarse.dem[k] = count[k]! > 0 ? sum[k]! / count[k]! : NaN;
  return coarse;
}

/**
 * Line of sight camera by camera: each marks the cells it sees with its own stamp, then its range square is
 * summed. A camera whose range spans more than `maxRangeCells` cells is traced on a grid coarsened by the
 * smallest whole factor that brings it under (the lens still stands on its own cell's elevation), and a
 * cell counts as seen when its coarse cell is.
 */
function traceVisibility(
  view: ViewGrid,
  cameras: Camera[],
  placed: Array<{ col: number; row: number }>,
  reaching: boolean[],
  frac: Float32Array,
  win: AnalysisWindow,
  targetHeightM: number,
  withDem: boolean,
  maxRangeCells: number,
  findings: Finding[],
): { covered: Uint8Array; coveredCells: number; visibleCells: Float64Array; lens: Array<number | null>; factor: Uint32Array } {
  if (cameras.length > 65535) throw new GreenmineError('CAMERA_TOO_MANY', `${cameras.length} cameras: at most 65535 per run`);
  if (!(maxRangeCells >= 16)) throw new GreenmineError('CAMERA_BAD_OPTION', `maxRangeCells ${maxRangeCells}: expected at least 16 cells`);
  // The grids cameras are traced on, by coarsening factor, each with its stamps.
  const grids = new Map<number, { grid: ViewGrid; stamp: Uint16Array }>([[1, { grid: view, stamp: new Uint16Array(win.w * win.h) }]]);
  const covered = new Uint8Array(win.w * win.h);
  let coveredCells = 0;
  const visibleCells = new Float64Array(cameras.length);
  const lens: Array<number | null> = cameras.map(() => null);
  const factor = new Uint32Array(cameras.length).fill(1);
  for (let k = 0; k < cameras.length; k++) {
    if (!reaching[k]) continue;
    const cam = cameras[k]!;
    const s = k + 1;
    const col = placed[k]!.col - win.c0,
      row = placed[k]!.row - win.r0;
    const f = Math.max(1, Math.ceil(Math.max(cam.rangeM / view.cellXM, cam.rangeM / view.cellYM) / maxRangeCells));
    factor[k] = f;
    let traced = grids.get(f);
    if (!traced) {
      const grid = coarsen(view, f);
      traced = { grid, stamp: new Uint16Array(grid.width * grid.height) };
      grids.set(f, traced);
    }
    // The lens stands on the elevation of its own cell of the full grid.
    const oc = Math.floor(col),
      or = Math.floor(row);
    const groundM = view.dem && oc >= 0 && or >= 0 && oc < view.width && or < view.height ? view.dem[or * view.width + oc]! : view.dem ? NaN : 0;
    const optics = { heightM: cam.heightM, headingDeg: cam.headingDeg, hfovDeg: cam.hfovDeg, rangeM: cam.rangeM, tiltDeg: cam.tiltDeg, vfovDeg: cam.vfovDeg, targetHeightM };
    const zo = Number.isNaN(groundM) ? NaN : viewshed(traced.grid, { ...optics, col: col / f, row: row / f, groundM }, traced.stamp, s);
    if (Number.isNaN(zo)) {
      findings.push({ code: 'CAMERA_OFF_DEM', severity: 'warning', message: `camera ${cam.id}: the DEM has no elevation at its position; its line of sight cannot be traced (counted as seeing nothing)`, where: cam.where });
      continue;
    }
    // The cells it marked lie in its range square.
    const { stamp, grid } = traced;
    let seen = 0;
    const rc = Math.ceil(cam.rangeM / view.cellXM) + 2 * f,
      rr = Math.ceil(cam.rangeM / view.cellYM) + 2 * f;
    const c0 = Math.max(0, oc - rc),
      c1 = Math.min(win.w - 1, oc + rc);
    for (let r = Math.max(0, or - rr); r <= Math.min(win.h - 1, or + rr); r++) {
      const coarseRow = ((r / f) | 0) * grid.width;
      for (let c = c0; c <= c1; c++) {
        if (stamp[f === 1 ? r * win.w + c : coarseRow + ((c / f) | 0)] !== s) continue;
        const i = r * win.w + c;
        const fr = frac[i]!;
        if (fr === 0) continue;
        seen += fr;
        if (covered[i] === 0) {
          covered[i] = 1;
          coveredCells += fr;
        }
      }
    }
    visibleCells[k] = seen;
    lens[k] = withDem ? zo : null;
  }
  return { covered, coveredCells, visibleCells, lens, factor };
}

/** The parts no camera sees: cells at least half inside the license, 8-connected, outlined along cell edges, from `minM2` up. */
function uncoveredParts(frac: Float32Array, covered: Uint8Array, w: number, h: number, m2PerCell: number, toMap: (p: number[]) => [number, number], minM2: number): UncoveredFeature[] {
  const labeler = new StreamingLabeler(w, 8, 0);
  const mask = new Uint8Array(w);
  const weights = new Float64Array(w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const i = r * w + c;
      mask[c] = frac[i]! >= 0.5 && covered[i] === 0 ? 1 : 0;
      weights[c] = covered[i] === 0 ? frac[i]! * m2PerCell : 0;
    }
    labeler.pushRow(r, mask, weights);
  }
  return labeler
    .finish()
    .filter((comp) => comp.weight >= minM2 && comp.weight > 0)
    .map((comp, i) => ({
      type: 'Feature',
      properties: { id: i + 1, areaM2: comp.weight },
      geometry: { type: 'MultiPolygon', coordinates: outlineRuns(comp.runs).map((poly) => poly.map((ring) => ring.map(toMap))) },
    }));
}

/** A camera's position in the grid's pixel coordinates; plain X/Y columns are read in whichever order lands nearer the license. */
function placeCamera(cam: Camera, gridCrs: Crs, t: number[], gapM: (p: { col: number; row: number }) => number, findings: Finding[]): { col: number; row: number } {
  const tr = createTransform(cam.crs, gridCrs);
  const place = (x: number, y: number): { col: number; row: number } | null => {
    try {
      const [gx, gy] = tr.point(x, y);
      return { col: (gx - t[0]!) / t[1]!, row: (gy - t[3]!) / t[5]! };
    } catch {
      return null;
    }
  };
  const asGiven = place(cam.x, cam.y);
  const swapped = cam.axisOrderUnknown ? place(cam.y, cam.x) : null;
  if (swapped && (!asGiven || gapM(swapped) < gapM(asGiven))) {
    findings.push({ code: 'CAMERA_AXES_SWAPPED', severity: 'warning', message: `camera ${cam.id}: X/Y read as northing/easting (the survey convention), which places it near the license`, where: cam.where });
    return swapped;
  }
  if (!asGiven) throw new GreenmineError('CAMERA_BAD_POSITION', `camera ${cam.id}: ${cam.x}, ${cam.y} (${crsLabel(cam.crs)}) cannot be placed in ${crsLabel(gridCrs)}`, cam.where);
  return asGiven;
}
