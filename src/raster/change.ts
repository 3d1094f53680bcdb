/**
 * Bare ground between two surveys (R3.1): two class rasters on the same grid,
 * compared pixel by pixel inside the license (pixel centre rule; excluded
 * zones left out): new bare patches (bare now, not bare before) and
 * re-greened patches (bare before, green now), 8-connected, with outlines.
 */
import { createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import { GreenmineError } from '../errors.js';
import type { License } from '../license/model.js';
import type { BlockCache } from './block-cache.js';
import { type Component, outlineRuns, StreamingLabeler } from './components.js';
import { type PixelPolygons, PolygonCoverage } from './coverage.js';
import { RasterReader } from './reader.js';
import { type ClassScheme, WORLDCOVER } from './scheme.js';
import { toPixelPolygons } from './zonal.js';

export interface ChangePatch {
  /** new-bare: bare now, not before; regreened: green now, bare before; idle: bare in both surveys and not worked (only with `worked`). */
  kind: 'new-bare' | 'regreened' | 'idle';
  id: number;
  areaM2: number;
  centroid: [number, number];
  outline: number[][][][];
}

export interface BareChange {
  crs: string;
  bareBeforeM2: number;
  bareNowM2: number;
  newBareM2: number;
  regreenedM2: number;
  /** Bare in both surveys, outside the excluded zones, and no worked position near it (only when `worked` was given). */
  idleBareM2: number | null;
  patches: ChangePatch[];
}

export interface ChangeOptions {
  /** Decoded blocks shared with other measurements of the same rasters (an audit's checks). */
  cache?: BlockCache;
  scheme?: ClassScheme;
  exclude?: License[];
  minPatchM2?: number;
  /** Positions (WGS 84 lon/lat, interleaved) where machines worked during the period: bare ground within `workedRadiusM` of one is not idle. */
  worked?: Float64Array;
  workedRadiusM?: number;
}

export async function bareChange(beforePath: string, nowPath: string, licenses: License[], options: ChangeOptions = {}): Promise<BareChange> {
  const before = await RasterReader.open(beforePath, { cache: options.cache });
  const now = await RasterReader.open(nowPath, { cache: options.cache });
  try {
    const a = before.info,
      b = now.info;
    if (a.width !== b.width || a.height !== b.height || a.transform.some((v, i) => Math.abs(v - b.transform[i]!) > 1e-9) || a.crs.proj4 !== b.crs.proj4) {
      throw new GreenmineError('RASTER_GRID_MISMATCH', `${nowPath} and ${beforePath} are not on the same grid; warp one onto the other to compare surveys`, { file: nowPath });
    }
    const scheme = options.scheme ?? WORLDCOVER;
    const group = new Uint8Array(65536); // 1 bare, 2 green
    for (const [code, c] of scheme.classes) group[code] = c.group === 'bare' ? 1 : c.group === 'green' ? 2 : 0;
    const zones = licenses.flatMap((l) =>
      toPixelPolygons(
        l.blocks.map((blk) => blk.rings),
        l.crs,
        now,
      ),
    );
    const excluded: PixelPolygons = (options.exclude ?? []).flatMap((l) =>
      toPixelPolygons(
        l.blocks.map((blk) => blk.rings),
        l.crs,
        now,
      ),
    );
    const cov = new PolygonCoverage(zones, 'centre');
    const exc = excluded.length ? new PolygonCoverage(excluded, 'centre') : null;
    const r0 = Math.max(0, cov.rowMin),
      r1 = Math.min(b.height, cov.rowMax);
    const c0 = Math.max(0, cov.colMin),
      c1 = Math.min(b.width, cov.colMax);
    if (r0 >= r1 || c0 >= c1) throw new GreenmineError('RASTER_NO_OVERLAP', `${nowPath}: the license does not overlap the raster`, { file: nowPath });
    const w = c1 - c0;
    const newBare = new StreamingLabeler(w, 8, c0);
    const regreened = new StreamingLabeler(w, 8, c0);
    const maskNew = new Uint8Array(w),
      maskGreen = new Uint8Array(w);
    // Worked ground: a coarse grid of cells of the worked radius, each position marking its cell and the eight around it.
    const worked = options.worked ? workedGrid(options.worked, options.workedRadiusM ?? 10, now, c0, r0, c1, r1) : null;
    const idle = worked ? new StreamingLabeler(w, 8, c0) : null;
    const maskIdle = new Uint8Array(w);
    let idleArea = 0;
    const weights = new Float64Array(w);
    const covRow = new Float64Array(cov.width);
    const excRow = new Float64Array(exc ? exc.width : 0);
    let bareBefore = 0,
      bareNow = 0,
      newArea = 0,
      greenArea = 0;
    const { blockWidth: bw, blockHeight: bh } = b;
    for (let by = Math.floor(r0 / bh); by * bh < r1; by++) {
      const bx0 = Math.floor(c0 / bw),
        bx1 = Math.floor((c1 - 1) / bw);
      const [oldBlocks, newBlocks] = await Promise.all([Promise.all(Array.from({ length: bx1 - bx0 + 1 }, (_, k) => before.readBlock(bx0 + k, by))), Promise.all(Array.from({ length: bx1 - bx0 + 1 }, (_, k) => now.readBlock(bx0 + k, by)))]);
      for (let r = Math.max(r0, by * bh); r < Math.min(r1, (by + 1) * bh); r++) {
        cov.rows(r, r + 1, covRow);
        if (exc) exc.rows(r, r + 1, excRow);
        const area = now.pixelAreaM2(r);
        maskNew.fill(0);
        maskGreen.fill(0);
        maskIdle.fill(0);
        for (let c = c0; c < c1; c++) {
          if (covRow[c - cov.colMin] !== 1) continue;
          if (exc && c >= exc.colMin && c < exc.colMax && r >= exc.rowMin && r < exc.rowMax && excRow[c - exc.colMin] === 1) continue;
          const bx = Math.floor(c / bw);
          const i = (r - by * bh) * bw + (c - bx * bw);
          const vOld = oldBlocks[bx - bx0]![i]!,
            vNew = newBlocks[bx - bx0]![i]!;
          if (vOld === a.nodata || vNew === b.nodata) continue;
          const gOld = group[vOld]!,
            gNew = group[vNew]!;
          if (gOld === 1) bareBefore += area;
          if (gNew === 1) bareNow += area;
          weights[c - c0] = area;
          if (gNew === 1 && gOld !== 1) {
            maskNew[c - c0] = 1;
            newArea += area;
          } else if (gOld === 1 && gNew === 2) {
            maskGreen[c - c0] = 1;
            greenArea += area;
          } else if (worked && gOld === 1 && gNew === 1 && !worked.at(c, r)) {
            maskIdle[c - c0] = 1;
            idleArea += area;
          }
        }
        newBare.pushRow(r, maskNew, weights);
        regreened.pushRow(r, maskGreen, weights);
        idle?.pushRow(r, maskIdle, weights);
      }
    }
    const t = b.transform;
    const toWgs = createTransform(b.crs, crsFromEpsg(4326));
    const toMap = (p: number[]): [number, number] => [t[0] + p[0]! * t[1], t[3] + p[1]! * t[5]];
    const minPatchM2 = options.minPatchM2 ?? 50;
    const patches: ChangePatch[] = [];
    const add = (kind: ChangePatch['kind'], list: Component[]): void => {
      let id = 0;
      for (const c of list) {
        if (c.weight < minPatchM2) continue;
        patches.push({ kind, id: ++id, areaM2: c.weight, centroid: toWgs.point(...toMap(c.centroid)), outline: outlineRuns(c.runs).map((poly) => poly.map((ring) => ring.map((p) => toWgs.point(...toMap(p))))) });
      }
    };
    add('new-bare', newBare.finish());
    add('regreened', regreened.finish());
    if (idle) add('idle', idle.finish());
    return { crs: crsLabel(b.crs), bareBeforeM2: bareBefore, bareNowM2: bareNow, newBareM2: newArea, regreenedM2: greenArea, idleBareM2: worked ? idleArea : null, patches };
  } finally {
    await before.close();
    await now.close();
  }
}

/** Which pixels of the window lie near a worked position, on a grid of cells as wide as the radius (memory: the window ÷ radius²). */
function workedGrid(lonLat: Float64Array, radiusM: number, reader: RasterReader, c0: number, r0: number, c1: number, r1: number): { at(c: number, r: number): boolean } {
  const t = reader.info.transform;
  const cellPx = Math.max(1, Math.floor(radiusM / Math.max(Math.abs(t[1]), Math.abs(t[5]))));
  const W = Math.ceil((c1 - c0) / cellPx) + 2,
    H = Math.ceil((r1 - r0) / cellPx) + 2;
  const grid = new Uint8Array(W * H);
  const tr = createTransform(crsFromEpsg(4326), reader.info.crs);
  const p: [number, number] = [0, 0];
  for (let i = 0; i + 1 < lonLat.length; i += 2) {
    tr.point(lonLat[i]!, lonLat[i + 1]!, p);
    const gc = Math.floor(((p[0] - t[0]) / t[1] - c0) / cellPx) + 1;
    const gr = Math.floor(((p[1] - t[3]) / t[5] - r0) / cellPx) + 1;
    for (let dr = -1; dr <= 1; dr++)
      for (let dc = -1; dc <= 1; dc++) {
        const x = gc + dc,
          y = gr + dr;
        if (x >= 0 && y >= 0 && x < W && y < H) grid[y * W + x] = 1;
      }
  }
  return { at: (c, r) => grid[(Math.floor((r - r0) / cellPx) + 1) * W + Math.floor((c - c0) / cellPx) + 1] === 1 };
}
