/**
 * Evidence in the formats people open it in: shapefiles for ArcGIS, MapGIS and
 * QGIS (in the license's CGCS2000 Gauss-Krüger CRS by default, GBK attributes),
 * KML for Google Earth and Ovital (WGS 84), GeoPackage. evidence.geojson (WGS 84,
 * RFC 7946) is always written with the audit's outputs.
 */
import { join } from 'node:path';
import type { AuditReport } from '../audit/audit.js';
import { mapCrs } from '../audit/map.js';
import { type Crs, crsFromEpsg, parseCrs } from '../crs/index.js';
import { GreenmineError } from '../errors.js';
import { evidenceGpkg } from './gpkg.js';
import { evidenceKml } from './kml.js';
import { evidenceRows } from './rows.js';
import { shapefiles } from './shp.js';

export { esriWkt, ogcWkt } from '../crs/prj.js';
export { COLUMNS, type EvidenceRow, evidenceRows } from './rows.js';

export const EVIDENCE_FORMATS = ['geojson', 'shp', 'kml', 'gpkg'] as const;
export type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

export interface EvidenceOptions {
  formats: EvidenceFormat[];
  /** CRS of the shapefiles and GeoPackage (default: the license's CGCS2000 Gauss-Krüger CRS, else its zone's). */
  crs?: string | Crs;
}

export function checkEvidenceFormats(formats: string[]): EvidenceFormat[] {
  for (const f of formats) {
    if (!(EVIDENCE_FORMATS as readonly string[]).includes(f)) throw new GreenmineError('USAGE', `--evidence-format: "${f}" is not one of ${EVIDENCE_FORMATS.join(', ')}`);
  }
  return [...new Set(formats)] as EvidenceFormat[];
}

/** The evidence files besides evidence.geojson, to be written with the audit's outputs (paths in `dir`). */
export async function evidenceFiles(report: AuditReport, dir: string, options: EvidenceOptions): Promise<Array<{ path: string; data: string | Uint8Array }>> {
  const out: Array<{ path: string; data: string | Uint8Array }> = [];
  const crs = options.crs === undefined ? mapCrs(report) : typeof options.crs === 'string' ? parseCrs(options.crs, { source: '--evidence-crs' }) : options.crs;
  if (options.formats.includes('shp')) for (const f of shapefiles(evidenceRows(report, crs), crs, 'evidence')) out.push({ path: join(dir, f.path), data: f.data });
  if (options.formats.includes('gpkg')) out.push({ path: join(dir, 'evidence.gpkg'), data: await evidenceGpkg(evidenceRows(report, crs), crs, 'evidence') });
  if (options.formats.includes('kml')) out.push({ path: join(dir, 'evidence.kml'), data: evidenceKml(evidenceRows(report, crsFromEpsg(4326)), `${report.mine.name} — greenmine evidence`) });
  return out;
}
