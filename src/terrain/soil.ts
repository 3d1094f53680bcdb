/**
 * Platform soil thickness (R2.3, 平台覆土不低于30cm): thickness = DEM after
 * soil spreading − DEM before, at the centres of the "before" DEM's pixels
 * inside each platform polygon. When the two DEMs are on different grids the
 * "after" DEM is resampled bilinearly at those centres (stated in the report).
 */
import { createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import type { License } from '../license/model.js';
import type { BlockCache } from '../raster/block-cache.js';
import { outlineRuns, StreamingLabeler } from '../raster/components.js';
import { PolygonCoverage } from '../raster/coverage.js';
import { RasterReader } from '../raster/reader.js';
import { toPixelPolygons } from '../raster/zonal.js';
import { DemRows, SlopeRows } from './slope.js';

export interface SoilOptions {
  /** Decoded blocks shared with other measurements of the same rasters (an audit's checks). */
  cache?: BlockCache;
  /** Minimum soil thickness, m (default 0.30). */
  minThicknessM?: number;
  /**
   * Only pixels flatter than this (slope of the "before" DEM, degrees) count: with the license as the
   * "platform", its flat cells stand in for a platform layer.
   */
  maxSlopeDeg?: number;
}

export interface PlatformSoil {
  id: string;
  pixels: number;
  areaM2: number;
  meanM: number | null;
  minM: number | null;
  p05M: number | null;
  /** Share of the sampled pixels thinner than the minimum. */
  fractionBelow: number | null;
  areaBelowM2: number;
  /** True when no sampled pixel is thinner than the minimum; null when nothing could be sampled. */
  pass: boolean | null;
  /** Pixels under the platform where a DEM has no value (left out, not zero-filled). */
  missingPixels: number;
  /** The thin places: 8-connected patches below the minimum, GeoJSON MultiPolygon coordinates (WGS 84). */
  thinPatches: number[][][][][];
}

export interface SoilReport {
  minThicknessM: number;
  pass: boolean | null;
  resampling: 'none (same grid)' | 'bilinear (after DEM onto the before grid)';
  crs: string;
  platforms: PlatformSoil[];
  findings: Finding[];
}

function sameGrid(a: RasterReader, b: RasterReader): boolean {
  return a.info.width === b.info.width && a.info.height === b.info.height && a.info.transform.every((v, i) => Math.abs(v - b.info.transform[i]!) < 1e-9);
}

function percentile(sorted: Float64Array, p: number): number {
  // Linear interpolation between closest ranks (numpy's default).
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export async function platformSoil(platforms: License[], beforePath: string, afterPath: string, options: SoilOptions = {}): Promise<SoilReport> {
  const minThicknessM = options.minThicknessM ?? 0.3;
  if (!Number.isFinite(minThicknessM)) throw new GreenmineError('TERRAIN_BAD_OPTION', `minThicknessM must be finite, got ${minThicknessM}`);
  const before = await RasterReader.open(beforePath, { cache: options.cache });
  const after = await RasterReader.open(afterPath, { cache: options.cache });
  try {
    if (before.info.crs.proj4 !== after.info.crs.proj4) {
      throw new GreenmineError('TERRAIN_CRS_MISMATCH', `${afterPath} is in ${crsLabel(after.info.crs)} but ${beforePath} in ${crsLabel(before.info.crs)}; warp one onto the other first`, { file: afterPath });
    }
    const same = sameGrid(before, after);
    const beforeRows = new DemRows(before);
    const flatOnly = options.maxSlopeDeg !== undefined ? new SlopeRows(before) : null;
    const afterRows = new DemRows(after);
    const bt = before.info.transform;
    const at = after.info.transform;
    const findings: Finding[] = [...before.info.findings, ...after.info.findings];
    const toWgs = createTransform(before.info.crs, crsFromEpsg(4326));
    const results: PlatformSoil[] = [];
    for (const [index, platform] of platforms.entries()) {
      const id = options.maxSlopeDeg !== undefined ? `flat cells (< ${options.maxSlopeDeg}°) of ${platform.id}` : String(platform.attributes.id ?? platform.name ?? index + 1);
      const polygons = toPixelPolygons(
        platform.blocks.map((b) => b.rings),
        platform.crs,
        before,
      );
      const cov = new PolygonCoverage(polygons, 'centre');
      const r0 = Math.max(0, cov.rowMin),
        r1 = Math.min(before.info.height, cov.rowMax);
      const c0 = Math.max(0, cov.colMin),
        c1 = Math.min(before.info.width, cov.colMax);
      const values: number[] = [];
      let missing = 0;
      let areaM2 = 0;
      let areaBelowM2 = 0;
      const labeler = c1 > c0 ? new StreamingLabeler(c1 - c0, 8, c0) : null;
      const thin = new Uint8Array(Math.max(0, c1 - c0));
      const row = new Float64Array(cov.width);
      for (let r = r0; r < r1; r++) {
        cov.rows(r, r + 1, row);
        const slopeRow = flatOnly ? Float32Array.from(await flatOnly.row(r)) : null;
        const b = await beforeRows.row(r);
        const pixelM2 = before.pixelAreaM2(r);
        thin.fill(0);
        // Bilinear sampling of the after DEM at this row's centres, when the grids differ.
        const y = bt[3] + (r + 0.5) * bt[5];
        const fy = (y - at[3]) / at[5] - 0.5;
        const ay0 = Math.floor(fy);
        const wy = fy - ay0;
        const aRow0 = same ? await afterRows.row(r) : ay0 >= 0 && ay0 < after.info.height ? await afterRows.row(ay0) : null;
        const aRow1 = same ? null : ay0 + 1 >= 0 && ay0 + 1 < after.info.height ? await afterRows.row(ay0 + 1) : null;
        for (let c = c0; c < c1; c++) {
          if (row[c - cov.colMin] !== 1) continue;
          if (slopeRow && !(slopeRow[c]! < options.maxSlopeDeg!)) continue;
          let a: number;
          if (same) a = aRow0![c]!;
          else {
            const x = bt[0] + (c + 0.5) * bt[1];
            const fx = (x - at[0]) / at[1] - 0.5;
            const ax0 = Math.floor(fx);
            const wx = fx - ax0;
            if (!aRow0 || !aRow1 || ax0 < 0 || ax0 + 1 >= after.info.width) a = NaN;
            else a = (aRow0[ax0]! * (1 - wx) + aRow0[ax0 + 1]! * wx) * (1 - wy) + (aRow1[ax0]! * (1 - wx) + aRow1[ax0 + 1]! * wx) * wy;
          }
          const t = a - b[c]!;
          if (Number.isNaN(t)) {
            missing++;
            continue;
          }
          values.push(t);
          areaM2 += pixelM2;
          if (t < minThicknessM) {
            areaBelowM2 += pixelM2;
            thin[c - c0] = 1;
          }
        }
        labeler?.pushRow(r, thin);
      }
      const sorted = Float64Array.from(values).sort();
      const n = sorted.length;
      const mean = n ? values.reduce((s, v) => s + v, 0) / n : null;
      const below = n ? values.filter((v) => v < minThicknessM).length / n : null;
      const toMap = (p: number[]): [number, number] => [bt[0] + p[0]! * bt[1], bt[3] + p[1]! * bt[5]];
      const thinPatches = (labeler?.finish() ?? []).map((comp) => outlineRuns(comp.runs).map((poly) => poly.map((ring) => ring.map((p) => toWgs.point(...toMap(p))))));
      if (n === 0) {
        findings.push({ code: 'TERRAIN_PLATFORM_OUTSIDE', severity: 'warning', message: `platform ${id} has no DEM pixels with values under it (outside the DEMs or all nodata)`, where: { file: platform.sourceFile, feature: index + 1 } });
      } else if (missing > 0) {
        findings.push({ code: 'TERRAIN_DEM_NODATA', severity: 'warning', message: `platform ${id}: ${missing} pixel(s) without a DEM value were left out`, where: { file: platform.sourceFile, feature: index + 1 } });
      }
      results.push({
        id,
        pixels: n,
        areaM2,
        meanM: mean,
        minM: n ? sorted[0]! : null,
        p05M: n ? percentile(sorted, 0.05) : null,
        fractionBelow: below,
        areaBelowM2,
        pass: n ? below === 0 : null,
        missingPixels: missing,
        thinPatches,
      });
    }
    const assessed = results.filter((p) => p.pass !== null);
    return {
      minThicknessM,
      pass: assessed.length ? assessed.every((p) => p.pass) : null,
      resampling: same ? 'none (same grid)' : 'bilinear (after DEM onto the before grid)',
      crs: crsLabel(before.info.crs),
      platforms: results,
      findings,
    };
  } finally {
    await before.close();
    await after.close();
  }
}
