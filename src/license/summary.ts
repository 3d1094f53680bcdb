import { crsLabel } from '../crs/index.js';
import type { Finding } from '../errors.js';
import { licenseArea } from './area.js';
import { holeCount, type License, vertexCount } from './model.js';

/** The JSON summary of one license (the `greenmine license --json` contract). */
export interface LicenseSummary {
  file: string;
  id: string;
  name: string | null;
  licenseNo: string | null;
  holder: string | null;
  crs: string;
  crsName: string;
  crsResolvedBy: string;
  blocks: number;
  holes: number;
  vertices: number;
  areaM2: { ellipsoidal: number; planar: number };
  areaMethod: { ellipsoidal: string; planar: string };
  statedAreaM2: number | null;
  elevationM: { min: number; max: number } | null;
  /** [minLon, minLat, maxLon, maxLat] on the license's datum. */
  bbox: [number, number, number, number];
  findings: Finding[];
}

export function summarizeLicense(license: License): LicenseSummary {
  const area = licenseArea(license);
  return {
    file: license.sourceFile,
    id: license.id,
    name: license.name,
    licenseNo: license.licenseNo,
    holder: license.holder,
    crs: crsLabel(license.crs),
    crsName: license.crs.name,
    crsResolvedBy: license.crs.resolvedBy,
    blocks: license.blocks.length,
    holes: holeCount(license),
    vertices: vertexCount(license),
    areaM2: { ellipsoidal: area.ellipsoidalM2, planar: area.planarM2 },
    areaMethod: { ellipsoidal: `geodesic polygon on the ${area.ellipsoid} ellipsoid (GeographicLib)`, planar: `shoelace in ${area.planarCrs}` },
    statedAreaM2: license.statedArea?.m2 ?? null,
    elevationM: license.elevationM,
    bbox: area.bboxLonLat,
    findings: license.findings,
  };
}
