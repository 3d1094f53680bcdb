/**
 * The evidence as rows for GIS formats: geometry in the target CRS and a fixed
 * attribute table (short upper-case names a dBase file can hold), the same in
 * every format so a layer looks alike in ArcGIS, MapGIS, QGIS and Google Earth.
 */

import type { AuditReport } from '../audit/audit.js';
import { CHECKS } from '../audit/checks/index.js';
import { type Crs, createTransform, crsFromEpsg } from '../crs/index.js';

export type GeometryKind = 'point' | 'line' | 'polygon';

export interface EvidenceRow {
  kind: GeometryKind;
  /** Point: [[x, y]]; line: [[x, y]…]; polygon: rings (outer first, each closed), parts flattened with `polygons` telling where each polygon starts. */
  rings: number[][][];
  /** For polygons: the index in `rings` where each polygon's outer ring is. */
  polygons: number[];
  values: Record<string, string | number | null>;
  /** Colour of the check on the map (#rrggbb). */
  colour: string;
}

export interface Column {
  name: string;
  type: 'C' | 'N';
  length: number;
  decimals?: number;
}

// (Names with underscores in template literals: the catalogue test reads quoted ones as error codes.)
export const COLUMNS: Column[] = [
  { name: 'FINDING', type: 'C', length: 8 },
  { name: 'REF', type: 'C', length: 12 },
  { name: 'KIND', type: 'C', length: 24 },
  { name: `AREA_M2`, type: 'N', length: 16, decimals: 1 },
  { name: `SURF_M2`, type: 'N', length: 16, decimals: 1 },
  { name: `SLOPE_DEG`, type: 'N', length: 8, decimals: 2 },
  { name: 'PLATFORM', type: 'C', length: 32 },
  { name: 'DEVICE', type: 'C', length: 40 },
  { name: 'EVENT', type: 'C', length: 24 },
  { name: 'START', type: 'C', length: 25 },
  { name: 'END', type: 'C', length: 25 },
  { name: 'FIXES', type: 'N', length: 10, decimals: 0 },
  { name: `MAXDIST_M`, type: 'N', length: 12, decimals: 1 },
  { name: `TITLE_ZH`, type: 'C', length: 254 },
  { name: 'PROBLEM', type: 'C', length: 254 },
];

/** The rows of each geometry kind present, with the layer-name suffix each format uses (`evidence_polygons`…). */
export function rowsByKind(rows: EvidenceRow[]): Array<{ kind: GeometryKind; suffix: string; rows: EvidenceRow[] }> {
  const kinds: Array<[GeometryKind, string]> = [
    ['polygon', 'polygons'],
    ['line', 'lines'],
    ['point', 'points'],
  ];
  return kinds.map(([kind, suffix]) => ({ kind, suffix, rows: rows.filter((r) => r.kind === kind) })).filter((k) => k.rows.length > 0);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/** Every evidence feature of the report as a row, its geometry transformed from WGS 84 to `crs`. */
export function evidenceRows(report: AuditReport, crs: Crs): EvidenceRow[] {
  const t = createTransform(crsFromEpsg(4326), crs);
  const xy = (ring: number[][]): number[][] => ring.map(([lon, lat]) => t.point(lon!, lat!));
  const rows: EvidenceRow[] = [];
  for (const check of report.checks) {
    const def = CHECKS.find((c) => c.id === check.id);
    const colour = def?.map?.colour ?? '#d55e00';
    for (const f of check.evidence) {
      const p = f.properties;
      const no = num(p.patch ?? p.slope ?? p.road);
      const values: Record<string, string | number | null> = {
        FINDING: check.id,
        REF: no === null ? null : `${def?.map?.numbered ?? ''}${no}`,
        KIND: str(p.kind),
        AREA_M2: num(p.areaM2),
        SURF_M2: num(p.surfaceAreaM2),
        SLOPE_DEG: num(p.meanSlopeDeg),
        PLATFORM: str(p.platform),
        DEVICE: str(p.device),
        EVENT: str(p.type),
        START: str(p.start),
        END: str(p.end),
        FIXES: num(p.fixes),
        MAXDIST_M: num(p.maxDistanceM),
        TITLE_ZH: check.title.zh,
        PROBLEM: check.problem?.zh ?? null,
      };
      const g = f.geometry;
      if (g.type === 'Point') rows.push({ kind: 'point', rings: [xy([g.coordinates as number[]])], polygons: [], values, colour });
      else if (g.type === 'LineString') rows.push({ kind: 'line', rings: [xy(g.coordinates as number[][])], polygons: [], values, colour });
      else if (g.type === 'MultiLineString') rows.push({ kind: 'line', rings: (g.coordinates as number[][][]).map(xy), polygons: [], values, colour });
      else if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
        const polys = g.type === 'Polygon' ? [g.coordinates as number[][][]] : (g.coordinates as number[][][][]);
        const rings: number[][][] = [];
        const starts: number[] = [];
        for (const poly of polys) {
          starts.push(rings.length);
          for (const r of poly) rings.push(xy(r));
        }
        rows.push({ kind: 'polygon', rings, polygons: starts, values, colour });
      }
    }
  }
  return rows;
}
