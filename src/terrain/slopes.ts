/**
 * Exposed final slopes (R2.2, 露天矿山裸露终了边坡不超过2个): bare pixels inside
 * the license whose slope is at least `minSlopeDeg`, grouped into 8-connected
 * components; components of at least `minAreaM2` (planimetric) are exposed
 * final slopes, counted against the limit (default 2). Surface areas are
 * planimetric area ÷ cos(slope), slope capped at `maxSlopeDeg` (85°).
 *
 * The class raster leads: each class pixel takes the slope of the DEM cell
 * under its centre (nearest cell); both rasters must share a CRS.
 */

import { availableParallelism } from 'node:os';
import { createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import type { ErrorCode } from '../error-codes.js';
import { type Finding, GreenmineError } from '../errors.js';
import { startWorker } from '../io/worker-argv.js';
import type { License } from '../license/model.js';
import { type Component, outlineRuns, StreamingLabeler } from '../raster/components.js';
import { type PixelPolygons, PolygonCoverage } from '../raster/coverage.js';
import { type OpenOptions, RasterReader } from '../raster/reader.js';
import { type ClassScheme, WORLDCOVER } from '../raster/scheme.js';
import { toPixelPolygons } from '../raster/zonal.js';
import { type SlopeAlgorithm, SlopeRows } from './slope.js';

export interface SlopesOptions {
  minSlopeDeg?: number;
  minAreaM2?: number;
  limit?: number;
  /** Slope cap for surface areas (default 85°). */
  maxSlopeDeg?: number;
  algorithm?: SlopeAlgorithm;
  scheme?: ClassScheme;
  classes?: OpenOptions;
  dem?: OpenOptions;
  /** Threads for the slope pipeline (default: the number of cores; 2 or more use a worker thread). */
  threads?: number;
  /** Join components separated by less than this gap, m (default 0: off). */
  mergeGapM?: number;
}

/** One band of rows of the slope pipeline, self-contained so it can run in a worker thread. */
export interface BandJob {
  classesPath: string;
  demPath: string;
  classesOptions?: OpenOptions;
  demOptions?: OpenOptions;
  zones: PixelPolygons;
  bareCodes: number[];
  minSlopeDeg: number;
  maxSlopeDeg: number;
  algorithm: SlopeAlgorithm;
  rowStart: number;
  rowEnd: number;
  /** Class columns [colStart, colEnd) of this band (default: the zones' columns). */
  colStart?: number;
  colEnd?: number;
}

export interface BandResult {
  components: Component[];
  totalPlanar: number;
  totalSurface: number;
  demMissing: number;
}

/** Bare steep pixels of rows [rowStart, rowEnd), labelled (8-connected), with their statistics. */
export async function labelBand(job: BandJob): Promise<BandResult> {
  const classes = await RasterReader.open(job.classesPath, job.classesOptions);
  const dem = await RasterReader.open(job.demPath, job.demOptions);
  try {
    const bare = new Uint8Array(65536);
    for (const code of job.bareCodes) bare[code] = 1;
    const ct = classes.info.transform;
    const dt = dem.info.transform;
    const cov = new PolygonCoverage(job.zones, 'centre');
    const { width: W, blockWidth: bw, blockHeight: bh, nodata } = classes.info;
    const r0 = job.rowStart;
    const r1 = job.rowEnd;
    const c0 = Math.max(0, job.colStart ?? cov.colMin);
    const c1 = Math.min(W, job.colEnd ?? cov.colMax);
    // DEM columns under the class pixel centres, and the DEM columns this band needs.
    const demCol = new Int32Array(c1 - c0);
    let dcMin = Infinity,
      dcMax = -Infinity;
    for (let c = c0; c < c1; c++) {
      const dc = Math.floor((ct[0] + (c + 0.5) * ct[1] - dt[0]) / dt[1]);
      demCol[c - c0] = dc;
      dcMin = Math.min(dcMin, dc);
      dcMax = Math.max(dcMax, dc);
    }
    const slopes = new SlopeRows(dem, job.algorithm, Math.max(0, dcMin), Math.min(dem.info.width, dcMax + 1));
    const off = slopes.offset;
    const labeler = new StreamingLabeler(c1 - c0, 8, c0, 3);
    const mask = new Uint8Array(c1 - c0);
    const planar = new Float64Array(c1 - c0);
    const surface = new Float64Array(c1 - c0);
    const slopeCh = new Float64Array(c1 - c0);
    const elevCh = new Float64Array(c1 - c0);
    const covRow = new Float64Array(cov.width);
    let totalPlanar = 0;
    let totalSurface = 0;
    let demMissing = 0;
    const minSlopeDeg = job.minSlopeDeg;
    const cosCap = Math.cos((job.maxSlopeDeg * Math.PI) / 180);
    for (let by = Math.floor(r0 / bh); by * bh < r1; by++) {
      const blocks = await Promise.all(Array.from({ length: Math.floor((c1 - 1) / bw) - Math.floor(c0 / bw) + 1 }, (_, k) => classes.readBlock(Math.floor(c0 / bw) + k, by)));
      const ra = Math.max(r0, by * bh);
      const rb = Math.min(r1, (by + 1) * bh);
      for (let r = ra; r < rb; r++) {
        cov.rows(r, r + 1, covRow);
        const areaM2 = classes.pixelAreaM2(r);
        const demRow = Math.floor((ct[3] + (r + 0.5) * ct[5] - dt[3]) / dt[5]);
        const slopeRow = demRow >= 0 && demRow < dem.info.height ? await slopes.row(demRow) : null;
        const elevRow = slopeRow ? await slopes.dem.row(demRow) : null;
        mask.fill(0);
        for (let c = c0; c < c1; c++) {
          if (covRow[c - cov.colMin] !== 1) continue;
          const bx = Math.floor(c / bw);
          const v = blocks[bx - Math.floor(c0 / bw)]![(r - by * bh) * bw + (c - bx * bw)]!;
          if (v === nodata || !bare[v]) continue;
          const dc = demCol[c - c0]!;
          const s = slopeRow && dc >= 0 && dc < dem.info.width ? slopeRow[dc - off]! : NaN;
          if (Number.isNaN(s)) {
            demMissing++;
            continue;
          }
          if (s < minSlopeDeg) continue;
          const i = c - c0;
          mask[i] = 1;
          planar[i] = areaM2;
          surface[i] = areaM2 / Math.max(Math.cos((s * Math.PI) / 180), cosCap);
          slopeCh[i] = s;
          elevCh[i] = elevRow![dc - off]!;
          totalPlanar += areaM2;
          totalSurface += surface[i]!;
        }
        labeler.pushRow(r, mask, planar, [surface, slopeCh, elevCh]);
      }
    }
    return { components: labeler.finish(), totalPlanar, totalSurface, demMissing };
  } finally {
    await classes.close();
    await dem.close();
  }
}

/** Open options without the block cache (a worker thread has its own memory: the cache cannot cross). */
function uncached(options: OpenOptions | undefined): OpenOptions | undefined {
  if (!options?.cache) return options;
  const { cache: _, ...rest } = options;
  return rest;
}

function labelBandInWorker(job: BandJob): Promise<BandResult> {
  return new Promise((resolve, reject) => {
    // A modest heap for the worker makes it collect often (its arrays are external memory): peak RSS stays low.
    const worker = startWorker(new URL('./slopes-worker.js', import.meta.url), {
      workerData: { ...job, classesOptions: uncached(job.classesOptions), demOptions: uncached(job.demOptions) },
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 },
    });
    worker.once('message', (m: { result?: BandResult; error?: { code: string; message: string } }) => {
      void worker.terminate();
      if (m.result) resolve(m.result);
      else reject(new GreenmineError((m.error?.code as ErrorCode | undefined) ?? 'TERRAIN_WORKER', m.error?.message ?? 'the slope worker failed'));
    });
    worker.once('error', reject);
  });
}

/** Union–find over n items; the smaller index stays the root (so the first appearance leads). */
function unionFind(n: number): { find: (i: number) => number; union: (a: number, b: number) => void } {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a),
      rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  return { find, union };
}

/** Merge components that share a root under `find` into one each (statistics combined, runs sorted); order of first appearance kept. */
function joinComponents(all: Component[], find: (i: number) => number): Component[] {
  const groups = new Map<number, Component[]>();
  all.forEach((c, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(c);
    else groups.set(r, [c]);
  });
  return [...groups.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([, members], k) => {
      if (members.length === 1) return { ...members[0]!, id: k + 1 };
      const pixels = members.reduce((s, c) => s + c.pixels, 0);
      const runs = new Int32Array(members.reduce((s, c) => s + c.runs.length, 0));
      let o = 0;
      for (const c of [...members].sort((p, q) => p.bbox[1] - q.bbox[1])) {
        runs.set(c.runs, o);
        o += c.runs.length;
      }
      // Runs sorted by row, then column.
      const triples: number[][] = [];
      for (let i = 0; i < runs.length; i += 3) triples.push([runs[i]!, runs[i + 1]!, runs[i + 2]!]);
      triples.sort((p, q) => p[0]! - q[0]! || p[1]! - q[1]!);
      // Runs cut at a column seam ([a, seam) and [seam, b) on one row) become one run again.
      for (let t = triples.length - 1; t > 0; t--) {
        const [pr, , pe] = triples[t - 1]!;
        const [cr, cs, ce] = triples[t]!;
        if (pr === cr && pe === cs) {
          triples[t - 1]![2] = ce!;
          triples.splice(t, 1);
        }
      }
      return {
        id: k + 1,
        pixels,
        weight: members.reduce((s, c) => s + c.weight, 0),
        centroid: [members.reduce((s, c) => s + c.centroid[0] * c.pixels, 0) / pixels, members.reduce((s, c) => s + c.centroid[1] * c.pixels, 0) / pixels] as [number, number],
        bbox: [Math.min(...members.map((c) => c.bbox[0])), Math.min(...members.map((c) => c.bbox[1])), Math.max(...members.map((c) => c.bbox[2])), Math.max(...members.map((c) => c.bbox[3]))] as [number, number, number, number],
        runs: Int32Array.from(triples.flat()),
        channels: members[0]!.channels.map((_, ch) => ({
          sum: members.reduce((s, c) => s + c.channels[ch]!.sum, 0),
          min: Math.min(...members.map((c) => c.channels[ch]!.min)),
          max: Math.max(...members.map((c) => c.channels[ch]!.max)),
        })),
      };
    });
}

/**
 * Components separated by less than `gapPx` pixels (edge to edge, 8-connected sense) become one:
 * a narrow platform between two bare faces of one wall does not split the wall.
 */
export function mergeByGap(components: Component[], gapPx: number): Component[] {
  if (gapPx <= 0 || components.length < 2) return components;
  const { find, union } = unionFind(components.length);
  const order = components.map((_, i) => i).sort((a, b) => components[a]!.bbox[0] - components[b]!.bbox[0]);
  const near = (a: Component, b: Component): boolean => {
    for (let i = 0; i < a.runs.length; i += 3) {
      for (let j = 0; j < b.runs.length; j += 3) {
        const dy = Math.abs(a.runs[i]! - b.runs[j]!);
        if (dy > gapPx + 1) continue;
        const dx = Math.max(0, b.runs[j + 1]! - (a.runs[i + 2]! - 1), a.runs[i + 1]! - (b.runs[j + 2]! - 1));
        // Pixels strictly between the two (centre distance less one pixel) fewer than the gap.
        if (Math.hypot(dx, dy) - 1 < gapPx) return true;
      }
    }
    return false;
  };
  for (let x = 0; x < order.length; x++) {
    const a = components[order[x]!]!;
    for (let y = x + 1; y < order.length; y++) {
      const b = components[order[y]!]!;
      if (b.bbox[0] > a.bbox[2] + gapPx + 1) break;
      if (b.bbox[1] > a.bbox[3] + gapPx + 1 || a.bbox[1] > b.bbox[3] + gapPx + 1) continue;
      if (find(order[x]!) !== find(order[y]!) && near(a, b)) union(order[x]!, order[y]!);
    }
  }
  return joinComponents(components, find);
}

/**
 * Join the components of two bands of columns (left ends at column `seam`, right starts there):
 * runs ending at the seam and runs starting there on the same or an adjacent row (8-connected)
 * join their components; runs cut by the seam are made whole again.
 */
export function mergeColumnBands(left: BandResult, right: BandResult, seam: number): BandResult {
  const all = [...left.components, ...right.components];
  const { find, union } = unionFind(all.length);
  // Rows of the runs touching the seam, per component.
  const rowsAt = (c: Component, side: 'end' | 'start'): number[] => {
    const out: number[] = [];
    for (let i = 0; i < c.runs.length; i += 3) if ((side === 'end' ? c.runs[i + 2] : c.runs[i + 1]) === seam) out.push(c.runs[i]!);
    return out;
  };
  const l = left.components.map((c, i) => ({ i, rows: c.bbox[2] === seam ? rowsAt(c, 'end') : [] })).filter((x) => x.rows.length);
  const r = right.components.map((c, i) => ({ i: i + left.components.length, rows: c.bbox[0] === seam ? rowsAt(c, 'start') : [] })).filter((x) => x.rows.length);
  for (const a of l) {
    const rowsA = new Set(a.rows);
    for (const b of r) {
      if (b.rows.some((row) => rowsA.has(row) || rowsA.has(row - 1) || rowsA.has(row + 1))) {
        union(a.i, b.i);
      }
    }
  }
  return { components: joinComponents(all, find), totalPlanar: left.totalPlanar + right.totalPlanar, totalSurface: left.totalSurface + right.totalSurface, demMissing: left.demMissing + right.demMissing };
}

/**
 * Join the components of two bands of rows (top ends at `seam`, bottom starts there): components
 * whose runs touch across the seam row (8-connected) become one; order of first appearance kept.
 */
export function mergeBands(top: BandResult, bottom: BandResult, seam: number): BandResult {
  const all = [...top.components, ...bottom.components];
  const { find, union } = unionFind(all.length);
  const edgeRuns = (c: Component, row: number): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < c.runs.length; i += 3) if (c.runs[i] === row) out.push([c.runs[i + 1]!, c.runs[i + 2]!]);
    return out;
  };
  const topEdge = top.components.map((c, i) => ({ i, runs: c.bbox[3] === seam ? edgeRuns(c, seam - 1) : [] })).filter((x) => x.runs.length);
  const bottomEdge = bottom.components.map((c, i) => ({ i: i + top.components.length, runs: c.bbox[1] === seam ? edgeRuns(c, seam) : [] })).filter((x) => x.runs.length);
  for (const a of topEdge) {
    for (const b of bottomEdge) {
      if (a.runs.some(([s1, e1]) => b.runs.some(([s2, e2]) => s1 < e2 + 1 && s2 < e1 + 1))) {
        union(a.i, b.i);
      }
    }
  }
  const components = joinComponents(all, find);
  return { components, totalPlanar: top.totalPlanar + bottom.totalPlanar, totalSurface: top.totalSurface + bottom.totalSurface, demMissing: top.demMissing + bottom.demMissing };
}

export interface ExposedSlope {
  id: number;
  areaM2: number;
  surfaceAreaM2: number;
  meanSlopeDeg: number;
  maxSlopeDeg: number;
  elevationM: { min: number; max: number };
  /** [lon, lat] (WGS 84). */
  centroid: [number, number];
  /** Outline, GeoJSON MultiPolygon coordinates in WGS 84. */
  outline: number[][][][];
}

export interface SlopesReport {
  count: number;
  limit: number;
  connectivity: 8;
  minSlopeDeg: number;
  minAreaM2: number;
  method: string;
  /** Bare steep area before the area filter. */
  bareSlopeAreaM2: { planar: number; surface: number };
  componentsBeforeAreaFilter: number;
  slopes: ExposedSlope[];
  crs: string;
  findings: Finding[];
}

/** The class raster and the DEM, opened together (one CRS required), and the scheme's bare classes as a lookup table. */
async function openClassesAndDem(classesPath: string, demPath: string, options: SlopesOptions): Promise<{ classes: RasterReader; dem: RasterReader; bare: Uint8Array }> {
  const classes = await RasterReader.open(classesPath, options.classes);
  let dem: RasterReader;
  try {
    dem = await RasterReader.open(demPath, options.dem);
  } catch (err) {
    await classes.close();
    throw err;
  }
  if (classes.info.crs.proj4 !== dem.info.crs.proj4) {
    await classes.close();
    await dem.close();
    throw new GreenmineError('TERRAIN_CRS_MISMATCH', `${demPath} is in ${crsLabel(dem.info.crs)} but ${classesPath} in ${crsLabel(classes.info.crs)}; warp one onto the other's CRS first`, { file: demPath });
  }
  const bare = new Uint8Array(65536);
  for (const [code, c] of (options.scheme ?? WORLDCOVER).classes) if (c.group === 'bare') bare[code] = 1;
  return { classes, dem, bare };
}

export async function exposedSlopes(classesPath: string, demPath: string, licenses: License[], options: SlopesOptions = {}): Promise<SlopesReport> {
  const minSlopeDeg = options.minSlopeDeg ?? 25;
  const minAreaM2 = options.minAreaM2 ?? 50;
  const limit = options.limit ?? 2;
  const maxSlopeDeg = options.maxSlopeDeg ?? 85;
  for (const [k, v] of Object.entries({ minSlopeDeg, minAreaM2, limit, maxSlopeDeg })) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new GreenmineError('TERRAIN_BAD_OPTION', `${k} must be a finite number ≥ 0, got ${v}`);
  }
  const { classes, dem, bare } = await openClassesAndDem(classesPath, demPath, options);
  try {
    const findings: Finding[] = [...classes.info.findings, ...dem.info.findings];
    const ct = classes.info.transform;
    const dt = dem.info.transform;
    const zones = licenses.flatMap((l) =>
      toPixelPolygons(
        l.blocks.map((b) => b.rings),
        l.crs,
        classes,
      ),
    );
    // The reference rule: a pixel belongs to the license when its centre does.
    const cov = new PolygonCoverage(zones, 'centre');
    const { width: W, height: H, blockWidth: bw } = classes.info;
    const r0 = Math.max(0, cov.rowMin);
    const r1 = Math.min(H, cov.rowMax);
    const c0 = Math.max(0, cov.colMin);
    const c1 = Math.min(W, cov.colMax);
    if (r0 >= r1 || c0 >= c1) throw new GreenmineError('RASTER_NO_OVERLAP', `${classesPath}: the license does not overlap the class raster`, { file: classesPath });
    // The DEM must cover some of the license.
    const demMinX = dt[0],
      demMaxX = dt[0] + dem.info.width * dt[1];
    const demMaxY = dt[3],
      demMinY = dt[3] + dem.info.height * dt[5];
    const licMinX = ct[0] + c0 * ct[1],
      licMaxX = ct[0] + c1 * ct[1];
    const licMaxY = ct[3] + r0 * ct[5],
      licMinY = ct[3] + r1 * ct[5];
    if (demMaxX <= licMinX || demMinX >= licMaxX || demMaxY <= licMinY || demMinY >= licMaxY) {
      throw new GreenmineError('TERRAIN_NO_OVERLAP', `${demPath} does not cover the license's part of ${classesPath}`, { file: demPath });
    }
    const job: BandJob = {
      classesPath,
      demPath,
      classesOptions: options.classes,
      demOptions: options.dem,
      zones,
      bareCodes: [...bare.keys()].filter((code) => bare[code] === 1),
      minSlopeDeg,
      maxSlopeDeg,
      algorithm: options.algorithm ?? 'horn',
      rowStart: r0,
      rowEnd: r1,
    };
    // Two cores: the right half of the columns goes to a worker thread (from the built JavaScript),
    // split at a block boundary, each half reading only its columns of the DEM (and a halo); the
    // halves' components are joined across the seam. Memory stays near that of one thread.
    // A worker costs about 0.2 s to start (it loads the libraries): worth it from about 20 Mpx.
    const seam = Math.round((c0 + c1) / 2 / bw) * bw;
    const useWorker = (options.threads ?? availableParallelism()) > 1 && import.meta.url.endsWith('.js') && seam > c0 && seam < c1 && (r1 - r0) * (c1 - c0) >= (options.threads && options.threads > 1 ? 0 : 2e7);
    let band: BandResult;
    if (useWorker) {
      const [left, right] = await Promise.all([labelBand({ ...job, colStart: c0, colEnd: seam }), labelBandInWorker({ ...job, colStart: seam, colEnd: c1 })]);
      band = mergeColumnBands(left, right, seam);
    } else band = await labelBand(job);
    const { totalPlanar, totalSurface, demMissing } = band;
    if (demMissing > 0) {
      findings.push({
        code: 'TERRAIN_DEM_NODATA',
        severity: 'warning',
        message: `${demPath}: ${demMissing} bare pixel(s) inside the license have no DEM value (nodata or outside the DEM); they were left out, not given a slope`,
        where: { file: demPath },
      });
    }
    const pixelM = Math.sqrt(classes.pixelAreaM2(Math.floor((r0 + r1) / 2)));
    const components = mergeByGap(band.components, (options.mergeGapM ?? 0) / pixelM);
    const toWgs = createTransform(classes.info.crs, crsFromEpsg(4326));
    const toMap = (p: number[]): number[] => [ct[0] + p[0]! * ct[1], ct[3] + p[1]! * ct[5]];
    const exposed: ExposedSlope[] = [];
    for (const comp of components) {
      if (comp.weight < minAreaM2) continue;
      const [cx, cy] = toMap(comp.centroid);
      exposed.push({
        id: exposed.length + 1,
        areaM2: comp.weight,
        surfaceAreaM2: comp.channels[0]!.sum,
        meanSlopeDeg: comp.channels[1]!.sum / comp.pixels,
        maxSlopeDeg: comp.channels[1]!.max,
        elevationM: { min: comp.channels[2]!.min, max: comp.channels[2]!.max },
        centroid: toWgs.point(cx!, cy!),
        outline: outlineRuns(comp.runs).map((poly) => poly.map((ring) => ring.map((p) => toWgs.point(...(toMap(p) as [number, number]))))),
      });
    }
    return {
      count: exposed.length,
      limit,
      connectivity: 8,
      minSlopeDeg,
      minAreaM2,
      method: `slope by ${options.algorithm === 'zevenbergen' ? 'Zevenbergen-Thorne' : 'Horn'} (as gdaldem -compute_edges), sampled at class pixel centres from the nearest DEM cell; license by pixel centre; surface area = planimetric ÷ cos(min(slope, ${maxSlopeDeg}°))${options.mergeGapM ? `; components closer than ${options.mergeGapM} m joined` : ''}`,
      bareSlopeAreaM2: { planar: totalPlanar, surface: totalSurface },
      componentsBeforeAreaFilter: components.length,
      slopes: exposed,
      crs: crsLabel(classes.info.crs),
      findings,
    };
  } finally {
    await classes.close();
    await dem.close();
  }
}

export interface ZoneSlopesOptions extends SlopesOptions {
  /** A final-slope polygon is exposed when its bare share reaches this (default 0.5), or its bare area reaches minAreaM2. */
  minShare?: number;
}

/**
 * Zone mode: the final slopes are given as polygons (from the mine's design or
 * survey). Each is exposed when its bare area ≥ minAreaM2 or its bare share ≥
 * minShare (pixel centres inside the polygon; surface areas from the DEM).
 */
export async function exposedSlopesInZones(classesPath: string, demPath: string, zones: License[], options: ZoneSlopesOptions = {}): Promise<SlopesReport> {
  const minAreaM2 = options.minAreaM2 ?? 50;
  const minShare = options.minShare ?? 0.5;
  const limit = options.limit ?? 2;
  const maxSlopeDeg = options.maxSlopeDeg ?? 85;
  const { classes, dem, bare } = await openClassesAndDem(classesPath, demPath, options);
  try {
    const ct = classes.info.transform;
    const dt = dem.info.transform;
    const slopes = new SlopeRows(dem, options.algorithm ?? 'horn');
    const toWgs = createTransform(classes.info.crs, crsFromEpsg(4326));
    const cosCap = Math.cos((maxSlopeDeg * Math.PI) / 180);
    const out: ExposedSlope[] = [];
    let totalPlanar = 0,
      totalSurface = 0;
    const findings: Finding[] = [...classes.info.findings, ...dem.info.findings];
    for (const [zi, zone] of zones.entries()) {
      const polygons = toPixelPolygons(
        zone.blocks.map((b) => b.rings),
        zone.crs,
        classes,
      );
      const cov = new PolygonCoverage(polygons, 'centre');
      const row = new Float64Array(cov.width);
      let areaM2 = 0,
        bareM2 = 0,
        surface = 0,
        slopeSum = 0,
        slopeMax = -Infinity,
        zMin = Infinity,
        zMax = -Infinity,
        n = 0;
      let sx = 0,
        sy = 0;
      for (let r = Math.max(0, cov.rowMin); r < Math.min(classes.info.height, cov.rowMax); r++) {
        cov.rows(r, r + 1, row);
        const pa = classes.pixelAreaM2(r);
        const demRow = Math.floor((ct[3] + (r + 0.5) * ct[5] - dt[3]) / dt[5]);
        const sRow = demRow >= 0 && demRow < dem.info.height ? await slopes.row(demRow) : null;
        const zRow = sRow ? await slopes.dem.row(demRow) : null;
        const { blockWidth: bw, blockHeight: bh } = classes.info;
        const by = Math.floor(r / bh);
        for (let c = Math.max(0, cov.colMin); c < Math.min(classes.info.width, cov.colMax); c++) {
          if (row[c - cov.colMin] !== 1) continue;
          areaM2 += pa;
          const bx = Math.floor(c / bw);
          const v = (await classes.readBlock(bx, by))[(r - by * bh) * bw + (c - bx * bw)]!;
          if (v === classes.info.nodata || !bare[v]) continue;
          const dc = Math.floor((ct[0] + (c + 0.5) * ct[1] - dt[0]) / dt[1]);
          const s = sRow && dc >= 0 && dc < dem.info.width ? sRow[dc]! : NaN;
          bareM2 += pa;
          if (Number.isNaN(s)) continue;
          n++;
          surface += pa / Math.max(Math.cos((s * Math.PI) / 180), cosCap);
          slopeSum += s;
          slopeMax = Math.max(slopeMax, s);
          zMin = Math.min(zMin, zRow![dc]!);
          zMax = Math.max(zMax, zRow![dc]!);
          sx += c + 0.5;
          sy += r + 0.5;
        }
      }
      if (areaM2 === 0) {
        findings.push({ code: 'TERRAIN_ZONE_OUTSIDE', severity: 'warning', message: `final-slope zone ${zi + 1} has no class pixels under it`, where: { file: zone.sourceFile, feature: zi + 1 } });
        continue;
      }
      totalPlanar += bareM2;
      totalSurface += surface;
      if (bareM2 >= minAreaM2 || bareM2 / areaM2 >= minShare) {
        const [lon, lat] = n ? toWgs.point(ct[0] + (sx / n) * ct[1], ct[3] + (sy / n) * ct[5]) : [NaN, NaN];
        const toWgsRing = (ring: Float64Array): number[][] => {
          const t = createTransform(zone.crs, crsFromEpsg(4326));
          const pts: number[][] = [];
          for (let i = 0; i + 1 < ring.length; i += 2) pts.push(t.point(ring[i]!, ring[i + 1]!));
          return pts;
        };
        out.push({
          id: out.length + 1,
          areaM2: bareM2,
          surfaceAreaM2: surface,
          meanSlopeDeg: n ? slopeSum / n : NaN,
          maxSlopeDeg: slopeMax,
          elevationM: { min: zMin, max: zMax },
          centroid: [lon!, lat!],
          outline: zone.blocks.map((b) => b.rings.map(toWgsRing)),
        });
      }
    }
    return {
      count: out.length,
      limit,
      connectivity: 8,
      minSlopeDeg: 0,
      minAreaM2,
      method: `zone mode: each final-slope polygon is exposed when its bare area ≥ ${minAreaM2} m² or its bare share ≥ ${minShare}; pixel centres; surface area = planimetric ÷ cos(min(slope, ${maxSlopeDeg}°))`,
      bareSlopeAreaM2: { planar: totalPlanar, surface: totalSurface },
      componentsBeforeAreaFilter: zones.length,
      slopes: out,
      crs: crsLabel(classes.info.crs),
      findings,
    };
  } finally {
    await classes.close();
    await dem.close();
  }
}
