/**
 * Green coverage of a mine (R1.1, R2.1, R3.3): class areas inside the license
 * (or its greenable zones), minus excluded zones, grouped by the class scheme,
 * the green-coverage ratio green ÷ (green + bare) against the 100 % target, and
 * bare ground outside the license within a buffer.
 */

import { featureCollection, multiPolygon } from '@turf/helpers';
import intersect from '@turf/intersect';
import { type Crs, createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { pointInRing, ringArea2, segmentContact } from '../license/geometry.js';
import type { License } from '../license/model.js';
import { outlineRuns } from './components.js';
import type { CoverageMode } from './coverage.js';
import { type OpenOptions, RasterReader } from './reader.js';
import { type ClassGroup, type ClassScheme, WORLDCOVER } from './scheme.js';
import { type ClassSums, toPixelPolygons, zonalClassAreas } from './zonal.js';

export interface CoverageOptions extends OpenOptions {
  mode?: CoverageMode;
  scheme?: ClassScheme;
  /** Areas not yet due for greening (e.g. the active working floor). */
  exclude?: License[];
  /** Greenable zones: when given, their parts inside the license (not the whole license) are measured. */
  greenable?: License[];
  /** Buffer around the license for bare ground outside it (m, default 50; 0 = off). */
  bufferM?: number;
  /** Target green-coverage ratio (default 1). */
  target?: number;
  /** Label bare patches (8-connected) of at least this area, m² (default: no patches). */
  minPatchM2?: number;
  /** List at most this many bare patches, the largest (default 10 000); all are counted. */
  maxPatches?: number;
  /** Trace the patches' outlines (default true); false leaves `outline` and `outlineRasterCrs` empty and keeps memory to the patches' figures. */
  outlines?: boolean;
}

export interface BarePatch {
  id: number;
  areaM2: number;
  pixels: number;
  /** Centroid [lon, lat] (WGS 84). */
  centroid: [number, number];
  /** Outline in WGS 84 and in the raster's CRS (GeoJSON MultiPolygon coordinates); empty when `outlines: false`. */
  outline: number[][][][];
  outlineRasterCrs: number[][][][];
}

export interface GroupAreas {
  green: number;
  bare: number;
  nongreenable: number;
  other: number;
  nodata: number;
  total: number;
  byClass: Record<string, number>;
}

export interface CoverageReport {
  file: string;
  mode: CoverageMode;
  crs: string;
  pixelSizeM: [number, number];
  scheme: string;
  /** Class areas inside the license (or its greenable zones) after subtracting the excluded zones; `license` is the whole measured area, `excluded` what was subtracted. */
  areaM2: GroupAreas & { license: number; excluded: number };
  /** The class areas before subtracting the excluded zones (equal when none are given). */
  beforeExclusionM2: GroupAreas;
  greenRatio: number | null;
  target: number;
  /** Bare area that keeps the ratio from the target. */
  bareToTargetM2: number;
  /** Bare and not-greenable ground (built-up, water… as the scheme groups them) within the buffer outside the license. */
  outsideLicense: { bufferM: number; bareM2: number; nongreenableM2: number } | null;
  /** Number of bare patches of at least `minPatchM2` (null when not asked for); `barePatches` lists the `maxPatches` largest. */
  patches: number | null;
  barePatches: BarePatch[];
  /** Codes found in the raster that the scheme does not know, with their areas. */
  unknownClasses: Record<string, number>;
  findings: Finding[];
}

function polygonsOf(licenses: License[], crs?: Crs): { polygons: Float64Array[][]; crs: Crs }[] {
  return licenses.map((l) => ({ polygons: l.blocks.map((b) => b.rings), crs: crs ?? l.crs }));
}

/**
 * Greenable zones clipped to the licenses (polygon intersection in the first license's CRS, so
 * a zone drawn past the boundary is measured only inside it); a zone reaching outside is a finding.
 */
function clipToLicenses(zones: License[], licenses: License[], findings: Finding[]): { polygons: Float64Array[][]; crs: Crs }[] {
  const crs = licenses[0]!.crs;
  const rings = (l: License): number[][][][] => {
    const tr = l.crs.proj4 === crs.proj4 ? null : createTransform(l.crs, crs);
    return l.blocks.map((b) =>
      b.rings.map((r) => {
        const out: number[][] = [];
        for (let i = 0; i + 1 < r.length; i += 2) out.push(tr ? tr.point(r[i]!, r[i + 1]!, [0, 0]) : [r[i]!, r[i + 1]!]);
        return out;
      }),
    );
  };
  const licenseArea = multiPolygon(licenses.flatMap(rings));
  const licenseFlat = flat(licenseArea.geometry.coordinates);
  const area = (polys: number[][][][]): number => polys.reduce((a, p) => a + p.reduce((b, r, k) => b + ((k === 0 ? 1 : -1) * Math.abs(ringArea2(r.flat()))) / 2, 0), 0);
  const polygons: Float64Array[][] = [];
  zones.forEach((zone, zi) => {
    const own = rings(zone);
    let clipped: number[][][][] = [];
    try {
      if (strictlyInside(flat(own), licenseFlat)) clipped = own;
      else {
        const g = intersect(featureCollection([multiPolygon(own), licenseArea]))?.geometry;
        clipped = !g ? [] : g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
      }
    } catch (err) {
      throw new GreenmineError('ZONE_CLIP_FAILED', `${zone.sourceFile}: zone ${zone.name ?? zi + 1} cannot be intersected with the license (${(err as Error).message})`, { file: zone.sourceFile, feature: zi });
    }
    const ownArea = area(own);
    const outside = ownArea - area(clipped);
    if (outside > Math.max(1e-6 * ownArea, crs.geographic ? 1e-12 : 0.01)) {
      findings.push({
        code: 'ZONE_OUTSIDE_LICENSE',
        severity: 'warning',
        message: `${zone.sourceFile}: greenable zone ${zone.name ?? zi + 1} reaches outside the license (${((outside / ownArea) * 100).toFixed(1)} % of it); only the part inside is measured`,
        where: { file: zone.sourceFile, feature: zi },
      });
    }
    for (const poly of clipped) polygons.push(poly.map((r) => Float64Array.from(r.flat())));
  });
  return [{ polygons, crs }];
}

const flat = (polys: number[][][][]): Float64Array[][] => polys.map((poly) => poly.map((r) => Float64Array.from(r.flat())));

/** 1 strictly inside the polygons (closed interleaved rings, holes after the outer ring), 0 on a boundary, -1 outside. */
function whereIn(x: number, y: number, polys: Float64Array[][]): 1 | 0 | -1 {
  for (const [outer, ...holes] of polys) {
    const o = pointInRing(x, y, outer!);
    if (o === 0) return 0;
    if (o < 0) continue;
    let inHole = false;
    for (const hole of holes) {
      const h = pointInRing(x, y, hole);
      if (h === 0) return 0;
      if (h > 0) {
        inHole = true;
        break;
      }
    }
    if (!inHole) return 1;
  }
  return -1;
}

/**
 * Whether `zone` lies in the interior of `area`: its vertices strictly inside, no edge of one touching an
 * edge of the other, no vertex of `area` inside it (a hole of the area within the zone). Then their
 * intersection is the zone itself and the polygon clipper (exact arithmetic, the slowest step of an audit
 * whose zones lie inside the license) is not needed. False when unsure (touching, or too many edge pairs).
 */
function strictlyInside(zone: Float64Array[][], area: Float64Array[][]): boolean {
  const edges = (polys: Float64Array[][]): number => polys.reduce((n, p) => n + p.reduce((m, r) => m + r.length / 2 - 1, 0), 0);
  if (edges(zone) * edges(area) > 4e6) return false;
  for (const poly of zone) for (const r of poly) for (let i = 0; i + 1 < r.length; i += 2) if (whereIn(r[i]!, r[i + 1]!, area) !== 1) return false;
  for (const poly of area) for (const r of poly) for (let i = 0; i + 1 < r.length; i += 2) if (whereIn(r[i]!, r[i + 1]!, zone) !== -1) return false;
  for (const zp of zone)
    for (const a of zp)
      for (const ap of area)
        for (const b of ap) for (let i = 0; i + 3 < a.length; i += 2) for (let j = 0; j + 3 < b.length; j += 2) if (segmentContact(a[i]!, a[i + 1]!, a[i + 2]!, a[i + 3]!, b[j]!, b[j + 1]!, b[j + 2]!, b[j + 3]!) !== 0) return false;
  return true;
}

function group(sums: ClassSums, scheme: ClassScheme, unknown: Record<string, number>): GroupAreas {
  const out: GroupAreas = { green: 0, bare: 0, nongreenable: 0, other: 0, nodata: sums.nodataM2, total: sums.totalM2, byClass: {} };
  for (const [code, m2] of sums.byClassM2) {
    out.byClass[String(code)] = m2;
    if (scheme.nodata !== null && code === scheme.nodata) {
      out.nodata += m2;
      continue;
    }
    const c = scheme.classes.get(code);
    const g: ClassGroup = c?.group ?? 'other';
    out[g] += m2;
    if (!c) unknown[String(code)] = (unknown[String(code)] ?? 0) + m2;
  }
  return out;
}

export async function measureCoverage(classesPath: string, licenses: License[], options: CoverageOptions = {}): Promise<CoverageReport> {
  const reader = await RasterReader.open(classesPath, options);
  try {
    const scheme = options.scheme ?? WORLDCOVER;
    const clipFindings: Finding[] = [];
    const measured = options.greenable?.length ? clipToLicenses(options.greenable, licenses, clipFindings) : polygonsOf(licenses);
    const zones = measured.flatMap(({ polygons, crs }) => toPixelPolygons(polygons, crs, reader));
    const exclude = options.exclude ? polygonsOf(options.exclude).flatMap(({ polygons, crs }) => toPixelPolygons(polygons, crs, reader)) : undefined;
    const bufferM = options.bufferM ?? 50;
    const bareCodes = new Set([...scheme.classes].filter(([, c]) => c.group === 'bare').map(([code]) => code));
    const wantPatches = options.minPatchM2 !== undefined;
    const zonal = await zonalClassAreas(reader, zones, {
      mode: options.mode,
      exclude,
      bufferM,
      patchClasses: wantPatches ? bareCodes : undefined,
      minPatchM2: options.minPatchM2,
      maxPatches: options.maxPatches,
      patchRuns: options.outlines ?? true,
    });
    const unknown: Record<string, number> = {};
    const inside = group(zonal.inside, scheme, unknown);
    const after = group(zonal.insideExcluded, scheme, {});
    const target = options.target ?? 1;
    const greenable = after.green + after.bare;
    const greenRatio = greenable > 0 ? after.green / greenable : null;
    const findings: Finding[] = [...reader.info.findings, ...clipFindings, ...zonal.findings];
    if (Object.keys(unknown).length) {
      findings.push({
        code: 'RASTER_UNKNOWN_CLASS',
        severity: 'warning',
        message: `class code(s) ${Object.keys(unknown).join(', ')} are not in the scheme "${scheme.name}" (counted as "other")`,
        where: { file: classesPath },
      });
    }
    let outsideLicense: CoverageReport['outsideLicense'] = null;
    if (zonal.outsideBuffer) {
      const ring = group(zonal.outsideBuffer, scheme, {});
      outsideLicense = { bufferM, bareM2: ring.bare, nongreenableM2: ring.nongreenable };
    }
    const t = reader.info.transform;
    const barePatches: BarePatch[] = [];
    if (zonal.patches) {
      const toWgs = createTransform(reader.info.crs, crsFromEpsg(4326));
      const toMap = (p: number[]): number[] => [t[0] + p[0]! * t[1], t[3] + p[1]! * t[5]];
      if (zonal.patchCount > zonal.patches.length) {
        findings.push({
          code: 'PATCHES_TRUNCATED',
          severity: 'warning',
          message: `${zonal.patchCount} bare patches of at least ${options.minPatchM2} m²; the ${zonal.patches.length} largest are listed (raise the minimum area or maxPatches for more)`,
          where: { file: classesPath },
        });
      }
      for (const c of zonal.patches) {
        // Holes below the minimum patch area are specks, filled in the outline (the area stays the measured one).
        const outlineRasterCrs = options.outlines === false ? [] : outlineRuns(c.runs, { minHoleAreaPx: options.minPatchM2! / reader.pixelAreaM2(Math.round(c.centroid[1])) }).map((poly) => poly.map((ring) => ring.map(toMap)));
        const outline = outlineRasterCrs.map((poly) => poly.map((ring) => ring.map(([x, y]) => toWgs.point(x!, y!))));
        const [cx, cy] = toMap(c.centroid);
        barePatches.push({ id: c.id, areaM2: c.weight, pixels: c.pixels, centroid: toWgs.point(cx!, cy!), outline, outlineRasterCrs });
      }
    }
    return {
      file: classesPath,
      mode: zonal.mode,
      crs: crsLabel(reader.info.crs),
      pixelSizeM: reader.info.crs.geographic ? [Math.sqrt(reader.pixelAreaM2(0)), Math.sqrt(reader.pixelAreaM2(0))] : [Math.abs(t[1]), Math.abs(t[5])],
      scheme: scheme.name,
      areaM2: { license: zonal.inside.totalM2, excluded: zonal.inside.totalM2 - zonal.insideExcluded.totalM2, ...after },
      beforeExclusionM2: inside,
      greenRatio,
      target,
      bareToTargetM2: after.bare,
      outsideLicense,
      patches: zonal.patches ? zonal.patchCount : null,
      barePatches,
      unknownClasses: unknown,
      findings,
    };
  } finally {
    await reader.close();
  }
}
